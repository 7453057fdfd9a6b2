package features

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TestPowerFFT checks powerFFT against gonum's real FFT on random input
// (and a few structured signals) for every power-of-two length up to 2048.
// Tolerance: both compute in float64 with O(log n) rounding steps per
// value, so they agree to ~1e-15 of the largest bin; 1e-9 of the largest
// bin (the project's bound) leaves a wide margin yet catches any wrong
// twiddle, permutation or packing, which errs by the size of the bins.
func TestPowerFFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 61))
	for n := 4; n <= 2048; n *= 2 {
		f := newPowerFFT(n)
		g := fourier.NewFFT(n)
		coef := make([]complex128, n/2+1)
		got := make([]float64, n/2+1)
		signals := map[string]func(i int) float64{
			"random":  func(int) float64 { return rng.NormFloat64() * 1000 },
			"impulse": func(i int) float64 { return float64(max(0, 1-(i-1)*(i-1))) }, // x_1 = 1
			"dc":      func(int) float64 { return 3 },
			"nyquist": func(i int) float64 { return float64(1 - 2*(i%2)) },
			"tone":    func(i int) float64 { return math.Cos(2 * math.Pi * 3 * float64(i) / float64(n)) },
		}
		for name, sig := range signals {
			x := make([]float64, n)
			for i := range x {
				x[i] = sig(i)
			}
			f.power(got, x)
			g.Coefficients(coef, x)
			var top float64
			for _, c := range coef {
				top = max(top, real(c)*real(c)+imag(c)*imag(c))
			}
			for k, c := range coef {
				want := real(c)*real(c) + imag(c)*imag(c)
				if d := math.Abs(got[k] - want); d > 1e-9*top {
					t.Fatalf("n %d, %s: |X_%d|² = %g, gonum %g (|diff| %g > %g)", n, name, k, got[k], want, d, 1e-9*top)
				}
			}
		}
	}
}
