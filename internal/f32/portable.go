package f32

// The portable kernels. They define the results that faster versions must
// reproduce to within float32 rounding, and they are what runs on other
// architectures and under the purego build tag.

func matVecGeneric(y, a []float32, rows, cols int, x []float32) {
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

func matTVecGeneric(y, a []float32, rows, cols int, x []float32) {
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

func addOuterGeneric(a []float32, rows, cols int, x, y []float32) {
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

func matMulTGeneric(c, a, b []float32, m, n, k int) {
	for i := range m {
		matVecGeneric(c[i*n:i*n+n], b, n, k, a[i*k:i*k+k])
	}
}

func matTMulGeneric(c, a, b []float32, m, n, k int) {
	for t := range k {
		addOuterGeneric(c, m, n, a[t*m:t*m+m], b[t*n:t*n+n])
	}
}

func dotGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func axpyGeneric(y []float32, alpha float32, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func matMulGeneric(c, a, b []float32, m, n, k int) {
	for i := range m {
		for p := range k {
			x := a[i*k+p]
			if x == 0 {
				continue
			}
			row, ci := b[p*n:p*n+n], c[i*n:i*n+n]
			for j, v := range row {
				ci[j] += x * v
			}
		}
	}
}
