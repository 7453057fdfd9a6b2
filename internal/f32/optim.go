package f32

import "math"

// AdamStep holds the scalars of one Adam update with PyTorch's
// torch.optim.Adam semantics (no weight decay, no AMSGrad):
//
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
type AdamStep struct {
	B1, B2   float32 // β1, β2
	C1, C2   float32 // 1−β1, 1−β2 (rounded from float64)
	StepSize float32 // lr/(1−β1ᵗ)
	BC2Sqrt  float32 // √(1−β2ᵗ)
	Eps      float32 // ε
}

// NewAdamStep returns the scalars of update number t (from 1), computed in
// float64 and rounded once, as PyTorch does.
func NewAdamStep(lr, beta1, beta2, eps float64, t int64) AdamStep {
	bc1 := 1 - math.Pow(beta1, float64(t))
	bc2 := 1 - math.Pow(beta2, float64(t))
	return AdamStep{
		B1: float32(beta1), B2: float32(beta2),
		C1: float32(1 - beta1), C2: float32(1 - beta2),
		StepSize: float32(lr / bc1), BC2Sqrt: float32(math.Sqrt(bc2)),
		Eps: float32(eps),
	}
}

// Adam applies one Adam update to the parameters p given the gradient g
// and the moment estimates m and v, all of the same length. Every
// implementation performs the same separately rounded float32 operations
// (no fused multiply-add), so the results are bit-identical to the
// portable loop and to PyTorch's unfused kernels.
func Adam(p, g, m, v []float32, s AdamStep) {
	checkLen("Adam", "g", g, len(p))
	checkLen("Adam", "m", m, len(p))
	checkLen("Adam", "v", v, len(p))
	n := 0
	if impl == implAVX512 {
		// The update is bound by the divider (a square root and a
		// division per element); on Zen 5 it takes a 16-lane register at
		// the rate of an 8-lane one, so the 16-lane kernel runs at about
		// twice the AVX2 one's speed (BenchmarkAdam).
		n = len(p) &^ 31
		if n > 0 {
			adamAvx512(&p[0], &g[0], &m[0], &v[0], n, &s, 1/s.BC2Sqrt)
		}
	}
	if impl != implPortable {
		k := n + (len(p)-n)&^7
		if k > n {
			adamAvx2(&p[n], &g[n], &m[n], &v[n], k-n, &s, 1/s.BC2Sqrt)
		}
		n = k
	}
	adamGeneric(p[n:], g[n:len(p)], m[n:len(p)], v[n:len(p)], s)
}

func adamGeneric(p, g, m, v []float32, s AdamStep) {
	for i, gi := range g {
		// The conversions round every product, forbidding FMA fusion.
		mi := float32(s.B1*m[i]) + float32(s.C1*gi)
		vi := float32(s.B2*v[i]) + float32(s.C2*float32(gi*gi))
		m[i], v[i] = mi, vi
		denom := float32(float32(math.Sqrt(float64(vi)))/s.BC2Sqrt) + s.Eps
		p[i] -= float32(s.StepSize * float32(mi/denom))
	}
}

// Momentum applies one step of SGD with momentum mu and learning rate lr
// (PyTorch's torch.optim.SGD, no dampening or Nesterov): v ← mu·v + g,
// p ← p − lr·v. Like Adam it is bit-identical across implementations.
func Momentum(p, g, v []float32, lr, mu float32) {
	checkLen("Momentum", "g", g, len(p))
	checkLen("Momentum", "v", v, len(p))
	n := 0
	if impl != implPortable {
		n = len(p) &^ 7
		if n > 0 {
			momentumAvx2(&p[0], &g[0], &v[0], n, lr, mu)
		}
	}
	p, g, v = p[n:], g[n:len(p)], v[n:len(p)]
	for i, gi := range g {
		vi := float32(mu*v[i]) + gi
		v[i] = vi
		p[i] -= float32(lr * vi)
	}
}
