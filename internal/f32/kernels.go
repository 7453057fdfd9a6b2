package f32

import "fmt"

// ntMinK512 is the shortest dot-product length for which the AVX-512
// A·Bᵀ kernel beats the AVX2 one on AMD Zen 5: at k = 39 (the input
// projection) 16-lane registers with a masked tail are about 15 % slower,
// at k = 128 they are level or ahead. Shorter products at the AVX-512
// level use the AVX2 kernel.
const ntMinK512 = 64

// MatVec computes y += A·x for row-major A (rows×cols), len(x) = cols,
// len(y) = rows.
func MatVec(y, a []float32, rows, cols int, x []float32) {
	checkMat("MatVec", a, rows, cols)
	checkLen("MatVec", "x", x, cols)
	checkLen("MatVec", "y", y, rows)
	if rows == 0 || cols == 0 {
		return
	}
	switch impl {
	case implAVX512:
		if cols >= ntMinK512 {
			gemmNTAvx512(&y[0], &x[0], &a[0], 1, rows, cols)
		} else {
			gemmNTAvx2(&y[0], &x[0], &a[0], 1, rows, cols)
		}
	case implAVX2:
		gemmNTAvx2(&y[0], &x[0], &a[0], 1, rows, cols)
	default:
		matVecGeneric(y, a, rows, cols, x)
	}
}

// MatTVec computes y += Aᵀ·x for row-major A (rows×cols), len(x) = rows,
// len(y) = cols.
func MatTVec(y, a []float32, rows, cols int, x []float32) {
	checkMat("MatTVec", a, rows, cols)
	checkLen("MatTVec", "x", x, rows)
	checkLen("MatTVec", "y", y, cols)
	if rows == 0 || cols == 0 {
		return
	}
	switch impl {
	case implAVX512:
		axpyRowsAvx512(&y[0], &a[0], rows, cols, &x[0], 1)
	case implAVX2:
		axpyRowsAvx2(&y[0], &a[0], rows, cols, &x[0], 1)
	default:
		matTVecGeneric(y, a, rows, cols, x)
	}
}

// AddOuter computes A += x·yᵀ for row-major A (rows×cols), len(x) = rows,
// len(y) = cols.
func AddOuter(a []float32, rows, cols int, x, y []float32) {
	checkMat("AddOuter", a, rows, cols)
	checkLen("AddOuter", "x", x, rows)
	checkLen("AddOuter", "y", y, cols)
	if rows == 0 || cols == 0 {
		return
	}
	switch impl {
	case implAVX512:
		addOuterAvx512(&a[0], rows, cols, &x[0], &y[0])
	case implAVX2:
		addOuterAvx2(&a[0], rows, cols, &x[0], &y[0])
	default:
		addOuterGeneric(a, rows, cols, x, y)
	}
}

// MatMulT computes C += A·Bᵀ with A (m×k), B (n×k) and C (m×n), all
// row-major. It is the input projection of a window of frames:
// X (T×I) times W_ihᵀ.
func MatMulT(c, a, b []float32, m, n, k int) {
	checkMat("MatMulT", a, m, k)
	checkMat("MatMulT", b, n, k)
	checkMat("MatMulT", c, m, n)
	if m == 0 || n == 0 || k == 0 {
		return
	}
	switch impl {
	case implAVX512:
		if k >= ntMinK512 {
			gemmNTAvx512(&c[0], &a[0], &b[0], m, n, k)
		} else {
			gemmNTAvx2(&c[0], &a[0], &b[0], m, n, k)
		}
	case implAVX2:
		gemmNTAvx2(&c[0], &a[0], &b[0], m, n, k)
	default:
		matMulTGeneric(c, a, b, m, n, k)
	}
}

// MatTMul computes C += Aᵀ·B with A (k×m), B (k×n) and C (m×n), all
// row-major. It accumulates a weight gradient over a window of frames:
// dGᵀ (4H×T) times X (T×I).
func MatTMul(c, a, b []float32, m, n, k int) {
	checkMat("MatTMul", a, k, m)
	checkMat("MatTMul", b, k, n)
	checkMat("MatTMul", c, m, n)
	if m == 0 || n == 0 || k == 0 {
		return
	}
	switch impl {
	case implAVX512:
		gemmTNAvx512(&c[0], &a[0], &b[0], m, n, k)
	case implAVX2:
		gemmTNAvx2(&c[0], &a[0], &b[0], m, n, k)
	default:
		matTMulGeneric(c, a, b, m, n, k)
	}
}

// Dot returns x·y. len(y) must be at least len(x).
func Dot(x, y []float32) float32 {
	checkLen("Dot", "y", y, len(x))
	if len(x) == 0 {
		return 0
	}
	var s float32
	switch impl {
	case implAVX512:
		if len(x) >= ntMinK512 {
			gemmNTAvx512(&s, &x[0], &y[0], 1, 1, len(x))
		} else {
			gemmNTAvx2(&s, &x[0], &y[0], 1, 1, len(x))
		}
	case implAVX2:
		gemmNTAvx2(&s, &x[0], &y[0], 1, 1, len(x))
	default:
		s = dotGeneric(x, y)
	}
	return s
}

// Axpy computes y += alpha·x. len(y) must be at least len(x).
func Axpy(y []float32, alpha float32, x []float32) {
	checkLen("Axpy", "y", y, len(x))
	if len(x) == 0 {
		return
	}
	switch impl {
	case implAVX512:
		addOuterAvx512(&y[0], 1, len(x), &alpha, &x[0])
	case implAVX2:
		addOuterAvx2(&y[0], 1, len(x), &alpha, &x[0])
	default:
		axpyGeneric(y, alpha, x)
	}
}

// The fast kernels read and write through raw pointers, so the shapes are
// checked here, with the panics an index expression would give.

func checkMat(fn string, a []float32, rows, cols int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("f32.%s: negative dimension %d×%d", fn, rows, cols))
	}
	if len(a) < rows*cols {
		panic(fmt.Sprintf("f32.%s: matrix of %d×%d needs %d elements, have %d", fn, rows, cols, rows*cols, len(a)))
	}
}

func checkLen(fn, name string, v []float32, n int) {
	if len(v) < n {
		panic(fmt.Sprintf("f32.%s: len(%s) = %d, need %d", fn, name, len(v), n))
	}
}
