package lstm

import "math"

// A float32 exponential for the soft-max, accurate to a few float32 ulps
// (see TestExp32) and several times faster than converting to float64 for
// math.Exp. The gate non-linearities are internal/f32's kernels.

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
