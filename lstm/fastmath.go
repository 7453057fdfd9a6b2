package lstm

import "math"

// float32 exponential and the gate non-linearities, accurate to a few
// float32 ulps (see TestExp32) and several times faster than converting
// to float64 for math.Exp.

// exp32 returns e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-6
// Taylor polynomial (error < 2e-8 relative on that interval), 2^n put into
// the exponent bits.
func exp32(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375 // ln 2 split so that n·ln2hi is exact
		ln2lo = -2.12194440e-4
	)
	if x > 88 { // e^88 ≈ 1.7e38 is near the largest float32
		return float32(math.Inf(1))
	}
	if x < -87.3365447504019 {
		return 0 // below the smallest normal: flush, as sigmoid and tanh want
	}
	f := x*log2e + 0.5
	ni := int32(f) // truncates toward zero: make it floor
	if float32(ni) > f {
		ni--
	}
	n := float32(ni)
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(ni+127)<<23)
}

func sigmoid(x float32) float32 { return 1 / (1 + exp32(-x)) }

// tanh is 1 − 2/(e^{2|x|}+1) with x's sign: absolute error of a few 1e-8.
func tanh(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	if a > 9 { // tanh(9) rounds to 1 in float32
		if x < 0 {
			return -1
		}
		return 1
	}
	t := 1 - 2/(exp32(2*a)+1)
	if x < 0 {
		return -t
	}
	return t
}
