package f32

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumSquaresScale: every implementation gives the portable result bit
// for bit, and the sum is within n·2⁻⁵³ relative of the exact one (a sum
// of n non-negative float64 terms; checked against a float64 sum of the
// sorted squares, itself that accurate, so the tolerance is doubled).
func TestSumSquaresScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 91))
	for _, n := range []int{0, 1, 7, 15, 16, 17, 31, 33, 1000, 94401} {
		x := randSlice(rng, n)
		for i := range x {
			x[i] *= float32(math.Exp(4 * rng.NormFloat64())) // wide range of magnitudes
		}
		var want float64
		for _, v := range x {
			want += float64(v) * float64(v)
		}
		var ref float64
		var scaled []float32
		for k, im := range available() {
			restore := useImpl(im)
			s := SumSquares(x)
			y := append([]float32(nil), x...)
			Scale(y, 0.37)
			restore()
			if k == 0 {
				ref, scaled = s, y
				if d := math.Abs(s - want); d > 2*float64(n+1)*0x1p-53*want {
					t.Fatalf("n %d: SumSquares %g, float64 sum %g", n, s, want)
				}
				for i, v := range y {
					if v != x[i]*0.37 {
						t.Fatalf("n %d: Scale[%d] = %g, want %g", n, i, v, x[i]*0.37)
					}
				}
				continue
			}
			if math.Float64bits(s) != math.Float64bits(ref) {
				t.Fatalf("n %d: %v SumSquares %v, portable %v", n, im, s, ref)
			}
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(scaled[i]) {
					t.Fatalf("n %d: %v Scale[%d] = %g, portable %g", n, im, i, y[i], scaled[i])
				}
			}
		}
	}
}

func BenchmarkSumSquares(b *testing.B) {
	x := randSlice(rand.New(rand.NewPCG(1, 12)), 94401)
	benchImpls(b, "94k", 2*94401, func() { SumSquares(x) })
}
