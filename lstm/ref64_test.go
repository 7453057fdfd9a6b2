package lstm

// A float64 reference of the network, written from the equations as
// directly as possible and sharing nothing with the float32 code but the
// parameter layout. Gradient checks differentiate it by central finite
// differences. (tbptt's tests carry a copy: test files cannot be shared.)

import "math"

type ref64 struct {
	cfg Config
	off map[string]int

	// When set, the next step adds dc to c and then dh to h of unit pk of
	// layer pl (for finite differences with respect to states).
	pl, pk int
	dh, dc float64
}

func newRef64(c Config) *ref64 {
	r := &ref64{cfg: c, off: map[string]int{}, pl: -1}
	for _, t := range c.Layout() {
		r.off[t.Name] = t.Offset
	}
	return r
}

// refState is h and c per layer.
type refState [][2][]float64

func (r *ref64) zero() refState {
	s := make(refState, r.cfg.Layers)
	for l := range s {
		s[l] = [2][]float64{make([]float64, r.cfg.Hidden), make([]float64, r.cfg.Hidden)}
	}
	return s
}

func (s refState) clone() refState {
	o := make(refState, len(s))
	for l := range s {
		o[l] = [2][]float64{append([]float64(nil), s[l][0]...), append([]float64(nil), s[l][1]...)}
	}
	return o
}

func sig64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// step runs one frame with parameters p from state s and returns the new
// state.
func (r *ref64) step(p []float64, s refState, x []float64) refState {
	c := r.cfg
	H := c.Hidden
	ns := make(refState, c.Layers)
	in := x
	for l := range c.Layers {
		I := len(in)
		wih := p[r.off[name("lstm.weight_ih_l", l)]:]
		whh := p[r.off[name("lstm.weight_hh_l", l)]:]
		bih := p[r.off[name("lstm.bias_ih_l", l)]:]
		bhh := p[r.off[name("lstm.bias_hh_l", l)]:]
		a := make([]float64, 4*H)
		for q := range 4 * H {
			v := bih[q] + bhh[q]
			for k := range I {
				v += wih[q*I+k] * in[k]
			}
			for k := range H {
				v += whh[q*H+k] * s[l][0][k]
			}
			a[q] = v
		}
		h, cn := make([]float64, H), make([]float64, H)
		for k := range H {
			cp := s[l][1][k]
			ai, af, ag, ao := a[k], a[H+k], a[2*H+k], a[3*H+k]
			var pi, pf, po float64
			if c.Peepholes {
				pp := p[r.off[name("lstm.peephole_l", l)]:]
				pi, pf, po = pp[k], pp[H+k], pp[2*H+k]
			}
			i := sig64(ai + pi*cp)
			f := sig64(af + pf*cp)
			g := math.Tanh(ag)
			cn[k] = f*cp + i*g
			if l == r.pl && k == r.pk {
				cn[k] += r.dc
			}
			o := sig64(ao + po*cn[k])
			h[k] = o * math.Tanh(cn[k])
			if l == r.pl && k == r.pk {
				h[k] += r.dh
			}
		}
		ns[l] = [2][]float64{h, cn}
		in = h
	}
	return ns
}

// loss is −log softmax(W h + b)[y] of the top layer of s.
func (r *ref64) loss(p []float64, s refState, y int) float64 {
	c := r.cfg
	H, O := c.Hidden, c.Outputs
	w := p[r.off["output.weight"]:]
	b := p[r.off["output.bias"]:]
	h := s[c.Layers-1][0]
	z := make([]float64, O)
	mx := math.Inf(-1)
	for q := range O {
		z[q] = b[q]
		for k := range H {
			z[q] += w[q*H+k] * h[k]
		}
		mx = max(mx, z[q])
	}
	var sum float64
	for q := range O {
		sum += math.Exp(z[q] - mx)
	}
	return -(z[y] - mx - math.Log(sum))
}

func name(prefix string, l int) string { return prefix + string(rune('0'+l)) }

// fdGrad returns the central finite-difference gradient of f at p.
func fdGrad(p []float64, f func([]float64) float64) []float64 {
	const h = 1e-6
	g := make([]float64, len(p))
	for i := range p {
		v := p[i]
		p[i] = v + h
		fp := f(p)
		p[i] = v - h
		fm := f(p)
		p[i] = v
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}
