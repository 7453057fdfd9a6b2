package features

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// BenchmarkFFT measures the 512-point real FFT of one frame in isolation:
// gonum's fourier.FFT (what Compute used first), and gonum's complex FFT
// of half the size with the real-from-complex packing (transform only),
// and this package's powerFFT (power spectrum included).
func BenchmarkFFT(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 512)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	b.Run("gonum-real-512", func(b *testing.B) {
		f := fourier.NewFFT(512)
		out := make([]complex128, 257)
		for b.Loop() {
			f.Coefficients(out, x)
		}
	})
	b.Run("gonum-cmplx-256", func(b *testing.B) {
		f := fourier.NewCmplxFFT(256)
		buf := make([]complex128, 256)
		for b.Loop() {
			for i := range buf {
				buf[i] = complex(x[2*i], x[2*i+1])
			}
			f.Coefficients(buf, buf)
		}
	})
	b.Run("powerFFT-512", func(b *testing.B) {
		f := newPowerFFT(512)
		out := make([]float64, 257)
		for b.Loop() {
			f.power(out, x)
		}
	})
}
