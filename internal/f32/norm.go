package f32

// SumSquares returns Σ x[i]² computed in float64, for gradient norms. The
// sum runs in 16 interleaved partial sums (element i into sum i mod 16)
// combined pairwise in a fixed order; each square of a float32 is exact in
// float64, so every implementation rounds identically and the result is
// bit-identical across them.
func SumSquares(x []float32) float64 {
	var acc [16]float64
	n := 0
	if impl != implPortable {
		n = len(x) &^ 15
		if n > 0 {
			sumSquaresAvx2(&x[0], n, &acc)
		}
	}
	for ; n+16 <= len(x); n += 16 {
		v := x[n : n+16 : n+16]
		for k := range 16 {
			acc[k] += float64(v[k]) * float64(v[k])
		}
	}
	for i := n; i < len(x); i++ {
		v := float64(x[i])
		acc[i%16] += v * v
	}
	for w := 8; w > 0; w /= 2 {
		for i := range w {
			acc[i] += acc[i+w]
		}
	}
	return acc[0]
}

// Scale multiplies every x[i] by s (one rounding each, bit-identical
// across implementations).
func Scale(x []float32, s float32) {
	n := 0
	if impl != implPortable {
		n = len(x) &^ 7
		if n > 0 {
			scaleAvx2(&x[0], n, s)
		}
	}
	for i := n; i < len(x); i++ {
		x[i] *= s
	}
}
