//go:build !purego

package f32

import "golang.org/x/sys/cpu"

func supported(i implementation) bool {
	switch i {
	case implPortable:
		return true
	case implAVX2:
		return cpu.X86.HasAVX2 && cpu.X86.HasFMA
	case implAVX512:
		return cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA
	}
	return false
}

func bestImpl() implementation {
	// Measured on AMD Zen 5 (see doc.go): the AVX-512 level is level with
	// AVX2 on the L2-bound matrix–vector products and 10–45 % ahead on
	// Aᵀ·x and Aᵀ·B; where AVX2 measured faster (short dot products) the
	// AVX-512 level calls the AVX2 kernel.
	if supported(implAVX512) {
		return implAVX512
	}
	if supported(implAVX2) {
		return implAVX2
	}
	return implPortable
}

//go:noescape
func gemmNTAvx2(c, a, b *float32, m, n, k int)

//go:noescape
func axpyRowsAvx2(y, b *float32, rows, cols int, x *float32, incx int)

//go:noescape
func addOuterAvx2(a *float32, rows, cols int, x, y *float32)

//go:noescape
func gemmTNAvx2(c, a, b *float32, m, n, k int)

//go:noescape
func gemmTNAvx512(c, a, b *float32, m, n, k, set int)

//go:noescape
func gemmNTAvx512(c, a, b *float32, m, n, k int)

//go:noescape
func axpyRowsAvx512(y, b *float32, rows, cols int, x *float32, incx int)

//go:noescape
func addOuterAvx512(a *float32, rows, cols int, x, y *float32)

//go:noescape
func sigmoidAvx2(x *float32, n int)

//go:noescape
func tanhAvx2(dst, src *float32, n int)

//go:noescape
func lstmCellAvx2(gates, cPrev, c, h *float32, hidden, n int)

//go:noescape
func lstmCellBackwardAvx2(dgates, dcPrev, gates, cPrev, c, dh, dc, dcT *float32, hidden, n int)

//go:noescape
func adamAvx2(p, grad, m, v *float32, n int, s *AdamStep, rcp float32)

//go:noescape
func adamAvx512(p, grad, m, v *float32, n int, s *AdamStep, rcp float32)

//go:noescape
func momentumAvx2(p, grad, v *float32, n int, lr, mu float32)

//go:noescape
func sumSquaresAvx2(x *float32, n int, acc *[16]float64)

//go:noescape
func scaleAvx2(x *float32, n int, s float32)

//go:noescape
func fmaLoopAvx2(n int)

//go:noescape
func fmaLoopAvx512(n int)

//go:noescape
func gemmNNAvx2(c, a, b *float32, m, n, k int)

//go:noescape
func gemmNNAvx512(c, a, b *float32, m, n, k, set int)

//go:noescape
func expScaleAvx2(dst, src *float32, n int, scale float32)

//go:noescape
func lstmCellRowsAvx512(gates, cPrev, c, h *float32, hidden, rows int)

//go:noescape
func lstmCellBackwardRowsAvx512(dgates, dcPrev, gates, cPrev, c, dh, dc *float32, hidden, rows int)

//go:noescape
func expScaleAvx512(dst, src *float32, n int, scale float32)

//go:noescape
func logSumExpRowsAvx512(z *float32, rows, n int, mx, sum *float32)

//go:noescape
func subRowsAvx512(z *float32, rows, n int, v *float32)

//go:noescape
func logSumExpRowsAvx2(z *float32, rows, n int, mx, sum *float32)

//go:noescape
func subRowsAvx2(z *float32, rows, n int, v *float32)
