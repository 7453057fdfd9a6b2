//go:build !amd64 || purego

package f32

func supported(i implementation) bool { return i == implPortable }

func bestImpl() implementation { return implPortable }

// Never called: impl is always implPortable on these builds.

func gemmNTAvx2(c, a, b *float32, m, n, k int)                         { panic("unreachable") }
func axpyRowsAvx2(y, b *float32, rows, cols int, x *float32, incx int) { panic("unreachable") }
func addOuterAvx2(a *float32, rows, cols int, x, y *float32)           { panic("unreachable") }
func gemmNTAvx512(c, a, b *float32, m, n, k int)                       { panic("unreachable") }
func axpyRowsAvx512(y, b *float32, rows, cols int, x *float32, incx int) {
	panic("unreachable")
}
func addOuterAvx512(a *float32, rows, cols int, x, y *float32) { panic("unreachable") }
