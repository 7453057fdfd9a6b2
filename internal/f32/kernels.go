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
	if impl == implPortable {
		matMulTGeneric(c, a, b, m, n, k)
		return
	}
	for r := 0; r < m; r += ntBlock {
		mm := min(ntBlock, m-r)
		if impl == implAVX512 && k >= ntMinK512 {
			gemmNTAvx512(&c[r*n], &a[r*k], &b[0], mm, n, k)
		} else {
			gemmNTAvx2(&c[r*n], &a[r*k], &b[0], mm, n, k)
		}
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
	if impl == implPortable {
		matTMulGeneric(c, a, b, m, n, k)
		return
	}
	// The kernels sweep all k rows of A and B for each tile of C; over a
	// long k (a lockstep batch's weight gradient: thousands of rows) the
	// panels fall out of cache. Blocks of tnBlock rows keep them in L1/L2:
	// 4.5× faster for 512×128 over 4800 rows on Zen 5 (BenchmarkMatTMulBlocked).
	matTMulBlocks(c, a, b, m, n, k, false)
}

// MatTMulSet computes C = Aᵀ·B, with the shapes of MatTMul and the same
// result bits as clearing C and calling MatTMul. Where C is a gradient
// tensor's first contribution, it spares a separate pass clearing C (and
// reading the zeros back): with an update per frame, the whole gradient is
// one such outer product per tensor.
func MatTMulSet(c, a, b []float32, m, n, k int) {
	checkMat("MatTMulSet", a, k, m)
	checkMat("MatTMulSet", b, k, n)
	checkMat("MatTMulSet", c, m, n)
	if m == 0 || n == 0 {
		return
	}
	if impl != implAVX512 || k == 0 {
		clear(c[:m*n])
		MatTMul(c, a, b, m, n, k)
		return
	}
	matTMulBlocks(c, a, b, m, n, k, true)
}

// matTMulBlocks is MatTMul's fast path; with set, the first block starts
// from zero instead of C (AVX-512 only: it masks C's loads).
func matTMulBlocks(c, a, b []float32, m, n, k int, set bool) {
	for r := 0; r < k; r += tnBlock {
		kk := min(tnBlock, k-r)
		if impl == implAVX512 {
			s := 0
			if set && r == 0 {
				s = 1
			}
			gemmTNAvx512(&c[0], &a[r*m], &b[r*n], m, n, kk, s)
		} else {
			gemmTNAvx2(&c[0], &a[r*m], &b[r*n], m, n, kk)
		}
	}
}

// tnBlock is MatTMul's block of rows (measured best at 32–64).
const tnBlock = 48

// ntBlock is MatMulT's block of rows of A and C: a block of C (128×512)
// stays in L2 while B is reused; 4800 rows at once ran at less than half
// the speed (32–128 measured alike on the shared machine).
const ntBlock = 128

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

// MatMul computes C += A·B with A (m×k), B (k×n) and C (m×n), all
// row-major: the products of the batched LSTM whose right factor is a
// weight matrix as stored (∂h = ∂gates·W_hh) or transposed once for many
// rows (gates += H·W_hhᵀ). The vector kernels keep a tile of C in
// registers while they run through k (register blocking), so each load of
// B serves several rows; they need n to be a multiple of the vector lanes
// (the LSTM's 4H and H are), and other widths take the portable loop.
func MatMul(c, a, b []float32, m, n, k int) {
	checkMat("MatMul", a, m, k)
	checkMat("MatMul", b, k, n)
	checkMat("MatMul", c, m, n)
	if m == 0 || n == 0 || k == 0 {
		return
	}
	matMul(c, a, b, m, n, k, false)
}

// MatMulSet computes C = A·B, with the shapes of MatMul and the same
// result bits as clearing C and calling MatMul: where C is first written
// by the product (the input projection of a window of frames), it spares
// a pass clearing C. The AVX-512 kernel starts its tiles from zero
// instead of loading C.
func MatMulSet(c, a, b []float32, m, n, k int) {
	checkMat("MatMulSet", a, m, k)
	checkMat("MatMulSet", b, k, n)
	checkMat("MatMulSet", c, m, n)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c[:m*n])
		return
	}
	matMul(c, a, b, m, n, k, true)
}

// matMul is MatMul's dispatch; with set, C = A·B: the AVX-512 tiled
// kernel starts from zero, the others after C is cleared.
func matMul(c, a, b []float32, m, n, k int, set bool) {
	switch {
	case m == 1 && impl != implPortable && n%(8*impl.lanes()) == 0:
		// A row times a matrix (a batch of one stream) is bound by
		// reading B from L2: the Σ x·B rows kernel keeps eight vectors of
		// C in registers over all of B's rows and runs 20–45 % faster
		// than the tiled kernel's one-row remainder (BenchmarkMatMul
		// 1×…). In its blocks of eight vectors it makes the same sums in
		// the same order, so the same bits; its narrower remainder splits
		// the sums, hence the multiple of eight vectors.
		if set {
			clear(c[:n])
		}
		if impl == implAVX512 {
			axpyRowsAvx512(&c[0], &b[0], k, n, &a[0], 1)
		} else {
			axpyRowsAvx2(&c[0], &b[0], k, n, &a[0], 1)
		}
	case impl == implAVX512 && n%16 == 0:
		s := 0
		if set {
			s = 1
		}
		// The kernel sweeps all rows for each panel of B's columns: in
		// blocks of nnBlock rows, the rows of A it reads stay in L1.
		for r := 0; r < m; r += nnBlock {
			gemmNNAvx512(&c[r*n], &a[r*k], &b[0], min(nnBlock, m-r), n, k, s)
		}
	default:
		if set {
			clear(c[:m*n])
		}
		if impl != implPortable && n%8 == 0 {
			gemmNNAvx2(&c[0], &a[0], &b[0], m, n, k)
		} else {
			matMulGeneric(c, a, b, m, n, k)
		}
	}
}

// nnBlock is the AVX-512 MatMul's block of rows of A and C: 64 rows of A
// (10–33 KiB at k = 39…128) stay in L1 while the kernel sweeps B's column
// panels. 32 and 64 measured alike on Zen 5, 256 slightly slower on the
// input projection (4800×39 by 39×512).
const nnBlock = 64
