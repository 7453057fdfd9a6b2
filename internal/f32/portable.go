package f32

// The portable kernels. They define the results that faster versions must
// reproduce to within float32 rounding.

// MatVec computes y += A·x for row-major A (rows×cols), len(x) = cols,
// len(y) = rows.
func MatVec(y, a []float32, rows, cols int, x []float32) {
	x = x[:cols]
	for r := range rows {
		row := a[r*cols : r*cols+cols]
		var s float32
		for c, v := range row {
			s += v * x[c]
		}
		y[r] += s
	}
}

// MatTVec computes y += Aᵀ·x for row-major A (rows×cols), len(x) = rows,
// len(y) = cols.
func MatTVec(y, a []float32, rows, cols int, x []float32) {
	y = y[:cols]
	for r := range rows {
		xr := x[r]
		if xr == 0 {
			continue
		}
		row := a[r*cols : r*cols+cols]
		for c, v := range row {
			y[c] += xr * v
		}
	}
}

// AddOuter computes A += x·yᵀ for row-major A (rows×cols), len(x) = rows,
// len(y) = cols.
func AddOuter(a []float32, rows, cols int, x, y []float32) {
	y = y[:cols]
	for r := range rows {
		xr := x[r]
		if xr == 0 {
			continue
		}
		row := a[r*cols : r*cols+cols]
		for c, v := range y {
			row[c] += xr * v
		}
	}
}

// MatMulT computes C += A·Bᵀ with A (m×k), B (n×k) and C (m×n), all
// row-major. It is the input projection of a window of frames:
// X (T×I) times W_ihᵀ.
func MatMulT(c, a, b []float32, m, n, k int) {
	for i := range m {
		MatVec(c[i*n:i*n+n], b, n, k, a[i*k:i*k+k])
	}
}

// MatTMul computes C += Aᵀ·B with A (k×m), B (k×n) and C (m×n), all
// row-major. It accumulates a weight gradient over a window of frames:
// dGᵀ (4H×T) times X (T×I).
func MatTMul(c, a, b []float32, m, n, k int) {
	for t := range k {
		AddOuter(c, m, n, a[t*m:t*m+m], b[t*n:t*n+n])
	}
}

// Dot returns x·y.
func Dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// Axpy computes y += alpha·x.
func Axpy(y []float32, alpha float32, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
