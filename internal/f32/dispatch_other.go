//go:build !amd64 || purego

package f32

func supported(i implementation) bool { return i == implPortable }

func bestImpl() implementation { return implPortable }

// Never called: impl is always implPortable on these builds.

func gemmNTAvx2(c, a, b *float32, m, n, k int)                         { panic("unreachable") }
func axpyRowsAvx2(y, b *float32, rows, cols int, x *float32, incx int) { panic("unreachable") }
func addOuterAvx2(a *float32, rows, cols int, x, y *float32)           { panic("unreachable") }
func gemmTNAvx2(c, a, b *float32, m, n, k int)                         { panic("unreachable") }
func gemmTNAvx512(c, a, b *float32, m, n, k, set int)                  { panic("unreachable") }
func gemmNTAvx512(c, a, b *float32, m, n, k int)                       { panic("unreachable") }
func axpyRowsAvx512(y, b *float32, rows, cols int, x *float32, incx int) {
	panic("unreachable")
}
func addOuterAvx512(a *float32, rows, cols int, x, y *float32) { panic("unreachable") }
func sigmoidAvx2(x *float32, n int)                            { panic("unreachable") }
func tanhAvx2(dst, src *float32, n int)                        { panic("unreachable") }
func lstmCellAvx2(gates, cPrev, c, h *float32, hidden, n int)  { panic("unreachable") }
func lstmCellBackwardAvx2(dgates, dcPrev, gates, cPrev, c, dh, dc, dcT *float32, hidden, n int) {
	panic("unreachable")
}
func adamAvx2(p, grad, m, v *float32, n int, s *AdamStep, rcp float32)   { panic("unreachable") }
func adamAvx512(p, grad, m, v *float32, n int, s *AdamStep, rcp float32) { panic("unreachable") }
func momentumAvx2(p, grad, v *float32, n int, lr, mu float32)            { panic("unreachable") }
func sumSquaresAvx2(x *float32, n int, acc *[16]float64)                 { panic("unreachable") }
func scaleAvx2(x *float32, n int, s float32)                             { panic("unreachable") }
func fmaLoopAvx2(n int)                                                  { panic("unreachable") }
func fmaLoopAvx512(n int)                                                { panic("unreachable") }
func gemmNNAvx2(c, a, b *float32, m, n, k int)                           { panic("unreachable") }
func gemmNNAvx512(c, a, b *float32, m, n, k, set int)                    { panic("unreachable") }
func expScaleAvx2(dst, src *float32, n int, scale float32)               { panic("unreachable") }
func lstmCellRowsAvx512(gates, cPrev, c, h *float32, hidden, rows int)   { panic("unreachable") }
func lstmCellBackwardRowsAvx512(dgates, dcPrev, gates, cPrev, c, dh, dc *float32, hidden, rows int) {
	panic("unreachable")
}
func expScaleAvx512(dst, src *float32, n int, scale float32)        { panic("unreachable") }
func logSumExpRowsAvx512(z *float32, rows, n int, mx, sum *float32) { panic("unreachable") }
func subRowsAvx512(z *float32, rows, n int, v *float32)             { panic("unreachable") }
func logSumExpRowsAvx2(z *float32, rows, n int, mx, sum *float32)   { panic("unreachable") }
func subRowsAvx2(z *float32, rows, n int, v *float32)               { panic("unreachable") }
