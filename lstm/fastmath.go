package lstm

import "math"

// float32 exponential and the gate non-linearities, accurate to a few
// float32 ulps (see TestExp32) and several times faster than converting to
// float64 for math.Exp. The slice versions keep the whole computation in
// one branch-free loop: no calls, nothing for the CPU to mispredict.

const (
	log2e = 1.44269504088896341
	ln2hi = 0.693359375 // ln 2 split so that n·ln2hi is exact
	ln2lo = -2.12194440e-4
	round = 12582912 // 1.5·2²³: adding and subtracting it rounds to an integer
	expLo = -87.33   // e^x below this is under the smallest normal float32
	expHi = 88       // e^88 ≈ 1.65e38 is near the largest float32
)

// exp32 returns e^x for x clamped to [−87.33, 88]: x = n·ln2 + r with
// |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial (error < 2e-8
// relative on that interval), 2^n put into the exponent bits.
func exp32(x float32) float32 {
	x = min(max(x, expLo), expHi)
	n := (x*log2e + round) - round
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// sigmoids replaces every v[i] by σ(v[i]) = 1/(1+e^{−v[i]}).
func sigmoids(v []float32) {
	for i, x := range v {
		x = min(max(-x, expLo), expHi)
		n := (x*log2e + round) - round
		r := x - n*ln2hi - n*ln2lo
		p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
		v[i] = 1 / (1 + p*math.Float32frombits(uint32(int32(n)+127)<<23))
	}
}

// tanhs sets dst[i] = tanh(src[i]) = 2σ(2x) − 1: absolute error a few
// 1e-8 (relative accuracy is lost only near 0, where it does not matter
// next to the other terms of a cell).
func tanhs(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		x = min(max(-2*x, expLo), expHi)
		n := (x*log2e + round) - round
		r := x - n*ln2hi - n*ln2lo
		p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
		dst[i] = 2/(1+p*math.Float32frombits(uint32(int32(n)+127)<<23)) - 1
	}
}

func sigmoid(x float32) float32 { return 1 / (1 + exp32(-x)) }

func tanh(x float32) float32 { return 2/(1+exp32(-2*x)) - 1 }
