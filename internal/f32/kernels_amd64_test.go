//go:build !purego

package f32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// At the AVX-512 level, products shorter than ntMinK512 go to the AVX2
// kernel, so the public API never gives the AVX-512 A·Bᵀ kernel a short k.
// This test calls it directly for every k up to 70, with the tolerance of
// TestMatMulT, so that its short-k paths stay correct should the
// threshold change.
func TestGemmNTAvx512ShortK(t *testing.T) {
	if !supported(implAVX512) {
		t.Skip("no AVX-512 on this CPU")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for k := 1; k <= 70; k++ {
		for _, sh := range [][2]int{{1, 13}, {3, 8}, {2, 21}} {
			m, n := sh[0], sh[1]
			a, b, c := newBuf(rng, m*k), newBuf(rng, n*k), newBuf(rng, m*n)
			exact, mag := make([]float64, m*n), make([]float64, m*n)
			for i := range m {
				for j := range n {
					e, g := float64(c.s()[i*n+j]), math.Abs(float64(c.s()[i*n+j]))
					for p := range k {
						v := float64(a.s()[i*k+p]) * float64(b.s()[j*k+p])
						e += v
						g += math.Abs(v)
					}
					exact[i*n+j], mag[i*n+j] = e, g
				}
			}
			gemmNTAvx512(&c.s()[0], &a.s()[0], &b.s()[0], m, n, k)
			what := fmt.Sprintf("gemmNTAvx512 m%d n%d k%d", m, n, k)
			compare(t, what, c.s(), exact, mag, k)
			c.checkGuards(t, what)
		}
	}
}
