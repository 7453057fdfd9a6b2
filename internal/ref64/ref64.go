// Package ref64 is a float64 reference of the LSTM of package lstm, for
// tests: written from the equations as directly as possible, sharing nothing
// with the float32 code but the parameter layout. Gradient checks in lstm,
// tbptt and tbptt/horizon differentiate it by central finite differences
// (FDGrad) and compare with the float32 network's back-propagation.
package ref64

import "math"

// Config is the network's shape, as lstm.Config gives it.
type Config struct {
	Inputs, Hidden, Layers, Outputs int
	Peepholes                       bool
}

// Net is the reference network of one shape.
type Net struct {
	cfg Config
	off map[string]int

	// When pl ≥ 0, Step adds dc to c and then dh to h of unit pk of layer
	// pl (for finite differences with respect to states).
	pl, pk int
	dh, dc float64
}

// New returns the reference of a network of shape c whose parameters lie in
// one flat slice, tensor name (Name) → offset as offsets gives them
// (lstm.Config.Layout).
func New(c Config, offsets map[string]int) *Net {
	return &Net{cfg: c, off: offsets, pl: -1}
}

// Perturb makes every following Step add dc to the cell and then dh to the
// output of unit k of layer l; Perturb(-1, 0, 0, 0) turns that off.
func (r *Net) Perturb(l, k int, dh, dc float64) { r.pl, r.pk, r.dh, r.dc = l, k, dh, dc }

// State is h and c per layer.
type State [][2][]float64

// Zero returns the zero state of every layer.
func (r *Net) Zero() State {
	s := make(State, r.cfg.Layers)
	for l := range s {
		s[l] = [2][]float64{make([]float64, r.cfg.Hidden), make([]float64, r.cfg.Hidden)}
	}
	return s
}

// Clone returns a deep copy of s.
func (s State) Clone() State {
	o := make(State, len(s))
	for l := range s {
		o[l] = [2][]float64{append([]float64(nil), s[l][0]...), append([]float64(nil), s[l][1]...)}
	}
	return o
}

// Sigmoid is the logistic function.
func Sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Step runs one frame with parameters p from state s and returns the new
// state.
func (r *Net) Step(p []float64, s State, x []float64) State {
	c := r.cfg
	H := c.Hidden
	ns := make(State, c.Layers)
	in := x
	for l := range c.Layers {
		I := len(in)
		wih := p[r.off[Name("lstm.weight_ih_l", l)]:]
		whh := p[r.off[Name("lstm.weight_hh_l", l)]:]
		bih := p[r.off[Name("lstm.bias_ih_l", l)]:]
		bhh := p[r.off[Name("lstm.bias_hh_l", l)]:]
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
				pp := p[r.off[Name("lstm.peephole_l", l)]:]
				pi, pf, po = pp[k], pp[H+k], pp[2*H+k]
			}
			i := Sigmoid(ai + pi*cp)
			f := Sigmoid(af + pf*cp)
			g := math.Tanh(ag)
			cn[k] = f*cp + i*g
			if l == r.pl && k == r.pk {
				cn[k] += r.dc
			}
			o := Sigmoid(ao + po*cn[k])
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

// Loss is −log softmax(W h + b)[y] of the top layer of s.
func (r *Net) Loss(p []float64, s State, y int) float64 {
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

// Name is the tensor name of layer l: prefix followed by l.
func Name(prefix string, l int) string { return prefix + string(rune('0'+l)) }

// FDGrad returns the central finite-difference gradient of f at p.
func FDGrad(p []float64, f func([]float64) float64) []float64 {
	// Step 1e-6: float64 central differences then err by about
	// 1e-10 relative for these smooth functions (truncation ~h², rounding ~ε/h).
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
