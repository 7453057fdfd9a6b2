package f32

import (
	"fmt"
	"math"
)

// The row kernels of a lockstep batch: one call per frame (LSTMCellRows,
// LSTMCellBackwardRows) or per block of output rows (LogSoftmaxRows,
// ExpScale) instead of one per row. The AVX-512 level runs them in
// 16-lane assembly with masked tails; at the AVX2 level the LSTM cell
// kernels loop the 8-lane ones row by row, and the others have 8-lane
// versions.

// LSTMCellRows applies LSTMCell to rows consecutive rows: gates is
// rows×4·hidden, cPrev, c and h are rows×hidden, all row-major and
// contiguous (row r of gates at r·4·hidden, of the others at r·hidden).
// The accuracy is LSTMCell's; NaN stays NaN. At the AVX-512 level every
// row whose hidden is a multiple of 8 gets the bits LSTMCell gets at the
// AVX2 level.
func LSTMCellRows(gates, cPrev, c, h []float32, hidden, rows int) {
	checkRows("LSTMCellRows", hidden, rows)
	n := hidden * rows
	checkLen("LSTMCellRows", "gates", gates, 4*n)
	checkLen("LSTMCellRows", "cPrev", cPrev, n)
	checkLen("LSTMCellRows", "c", c, n)
	checkLen("LSTMCellRows", "h", h, n)
	if n == 0 {
		return
	}
	if impl == implAVX512 {
		lstmCellRowsAvx512(&gates[0], &cPrev[0], &c[0], &h[0], hidden, rows)
		return
	}
	for r := range rows {
		s := r * hidden
		LSTMCell(gates[4*s:4*(s+hidden)], cPrev[s:s+hidden], c[s:s+hidden], h[s:s+hidden], hidden)
	}
}

// LSTMCellBackwardRows applies LSTMCellBackward to rows consecutive rows,
// laid out as for LSTMCellRows (dgates and gates rows×4·hidden, the others
// rows×hidden). dcPrev may be dc itself; otherwise they must not overlap.
// The accuracy is LSTMCellBackward's.
func LSTMCellBackwardRows(dgates, dcPrev, gates, cPrev, c, dh, dc []float32, hidden, rows int) {
	const fn = "LSTMCellBackwardRows"
	checkRows(fn, hidden, rows)
	n := hidden * rows
	checkLen(fn, "dgates", dgates, 4*n)
	checkLen(fn, "dcPrev", dcPrev, n)
	checkLen(fn, "gates", gates, 4*n)
	checkLen(fn, "cPrev", cPrev, n)
	checkLen(fn, "c", c, n)
	checkLen(fn, "dh", dh, n)
	checkLen(fn, "dc", dc, n)
	if n == 0 {
		return
	}
	if impl == implAVX512 {
		lstmCellBackwardRowsAvx512(&dgates[0], &dcPrev[0], &gates[0], &cPrev[0], &c[0], &dh[0], &dc[0], hidden, rows)
		return
	}
	for r := range rows {
		s, e := r*hidden, (r+1)*hidden
		lstmCellBackward(fn, dgates[4*s:4*e], nil, dcPrev[s:e], gates[4*s:4*e], cPrev[s:e], c[s:e], dh[s:e], dc[s:e], hidden)
	}
}

// ExpScale sets dst[i] = scale·e^src[i] for every i < len(dst); dst may
// be src. It forms the output error of the soft-max layer from
// log-posteriors (src ≤ 0).
//
// The portable version rounds float64 math once. The fast versions use
// the activations' polynomial exponential on src clamped to
// [−87.34, 88]: for src in [−87.3, 88] the relative error is at most
// 3·2⁻²⁴ (measured at most 2.1·2⁻²⁴ = 1.25e-7, 1.33·2⁻²⁴ for the
// exponential alone, see TestExpScale); below, where
// e^src is under the smallest normal float32, the result is a number of
// magnitude at most |scale|·1.2e-38 (so the absolute error is at most
// that). NaN stays NaN.
func ExpScale(dst, src []float32, scale float32) {
	checkLen("ExpScale", "src", src, len(dst))
	switch impl {
	case implAVX512:
		if len(dst) > 0 {
			expScaleAvx512(&dst[0], &src[0], len(dst), scale)
		}
	case implAVX2:
		n := len(dst) &^ 7
		if n > 0 {
			expScaleAvx2(&dst[0], &src[0], n, scale)
		}
		if n < len(dst) {
			// The tail through a whole vector on the stack: the same
			// exponential for every element, and no math.Exp.
			var t [8]float32
			copy(t[:], src[n:])
			expScaleAvx2(&t[0], &t[0], 8, scale)
			copy(dst[n:], t[:])
		}
	default:
		for i, x := range src[:len(dst)] {
			dst[i] = float32(float64(scale) * math.Exp(float64(x)))
		}
	}
}

// LogSoftmax replaces z by its log soft-max: z[i] − log Σ_j e^z[j]. See
// LogSoftmaxRows.
func LogSoftmax(z []float32) {
	LogSoftmaxRows(z, 1, len(z))
}

// lsBlock is the number of rows LogSoftmaxRows hands to its vector
// kernels at a time, with their maxima, sums and log-sum-exps in arrays on
// the stack.
const lsBlock = 64

// LogSoftmaxRows replaces each of rows consecutive rows of n values in z
// by its log soft-max, z[i] − lse with lse = m + log Σ_j e^(z[j]−m) and m
// the row's maximum.
//
// The portable version takes the exponentials and their sum in float64
// (math.Exp). The AVX-512 version takes the exponentials with the
// activations' polynomial and sums them in 16 float32 lanes, the lanes
// then added pairwise, and takes the logarithm of each row's sum in
// float64 in Go; the AVX2 version does the same on 8 lanes. Each output
// is within
//
//	(0.37·n + ⌈n/8⌉ + 6)·2⁻²⁴ + 2⁻²⁴·(|log s| + |lse| + |output|)
//
// of the float64 log soft-max of the float32 inputs (s the sum of
// exponentials, at least 1): the rounding of z[j] − m (at most
// 2⁻²⁴·x·e^−x ≤ 2⁻²⁴/e of each term), the exponential's error
// (3·2⁻²⁴ relative), the float32 sum (at most ⌈n/8⌉ + 2 roundings), and the
// roundings of the logarithm, lse and the output. TestLogSoftmaxRows
// checks twice the bound and logs the largest errors: over all its rows
// at most 0.83 of the bound in every implementation; for rows of 61
// logits drawn from N(0, 5²) at most 1.6e-6 absolute (the rounding of
// outputs of magnitude up to about 25), every output equal to the
// portable one. A NaN or +Inf anywhere in a row makes the whole row NaN.
func LogSoftmaxRows(z []float32, rows, n int) {
	checkRows("LogSoftmaxRows", n, rows)
	checkLen("LogSoftmaxRows", "z", z, rows*n)
	if rows == 0 || n == 0 {
		return
	}
	if impl == implPortable {
		for r := range rows {
			logSoftmaxGeneric(z[r*n : (r+1)*n])
		}
		return
	}
	// Direct calls, not function values: the arrays stay on the stack
	// only where the compiler sees the //go:noescape declarations.
	var mx, s [lsBlock]float32
	for r := 0; r < rows; r += lsBlock {
		b := min(lsBlock, rows-r)
		zb := z[r*n : (r+b)*n]
		if impl == implAVX512 {
			logSumExpRowsAvx512(&zb[0], b, n, &mx[0], &s[0])
		} else {
			logSumExpRowsAvx2(&zb[0], b, n, &mx[0], &s[0])
		}
		for k := range b {
			// mx becomes the log-sum-exp to subtract.
			mx[k] += float32(math.Log(float64(s[k])))
		}
		if impl == implAVX512 {
			subRowsAvx512(&zb[0], b, n, &mx[0])
		} else {
			subRowsAvx2(&zb[0], b, n, &mx[0])
		}
	}
}

func logSoftmaxGeneric(z []float32) {
	m := rowMax(z)
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v - m))
	}
	subRow(z, m+float32(math.Log(s)))
}

// rowMax is the maximum of z (NaN if z holds one).
func rowMax(z []float32) float32 {
	m := z[0]
	for _, v := range z {
		m = max(m, v)
	}
	return m
}

func subRow(z []float32, v float32) {
	for i := range z {
		z[i] -= v
	}
}

func checkRows(fn string, n, rows int) {
	if n < 0 || rows < 0 {
		panic(fmt.Sprintf("f32.%s: negative shape %d×%d", fn, rows, n))
	}
}
