package f32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks run every kernel at the project's sizes under each available
// implementation and report GFLOP/s (one multiply-add = 2 flops).

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func benchImpls(b *testing.B, name string, flops float64, f func()) {
	for _, im := range available() {
		b.Run(fmt.Sprintf("%s/%s", name, im), func(b *testing.B) {
			defer useImpl(im)()
			for b.Loop() {
				f()
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkMatVec(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sh := range [][2]int{{512, 128}, {512, 39}, {61, 128}} {
		rows, cols := sh[0], sh[1]
		a, x, y := randSlice(rng, rows*cols), randSlice(rng, cols), randSlice(rng, rows)
		benchImpls(b, fmt.Sprintf("%dx%d", rows, cols), 2*float64(rows*cols), func() { MatVec(y, a, rows, cols, x) })
	}
}

func BenchmarkMatTVec(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][2]int{{512, 128}, {512, 39}, {61, 128}} {
		rows, cols := sh[0], sh[1]
		a, x, y := randSlice(rng, rows*cols), randSlice(rng, rows), randSlice(rng, cols)
		benchImpls(b, fmt.Sprintf("%dx%d", rows, cols), 2*float64(rows*cols), func() { MatTVec(y, a, rows, cols, x) })
	}
}

func BenchmarkAddOuter(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 3))
	for _, sh := range [][2]int{{512, 128}, {512, 39}, {61, 128}} {
		rows, cols := sh[0], sh[1]
		a, x, y := randSlice(rng, rows*cols), randSlice(rng, rows), randSlice(rng, cols)
		benchImpls(b, fmt.Sprintf("%dx%d", rows, cols), 2*float64(rows*cols), func() { AddOuter(a, rows, cols, x, y) })
	}
}

// MatMulT at the input projection of a window: X (T×39) · W_ihᵀ (512×39),
// and the recurrent product of a batch of 32 streams.
func BenchmarkMatMulT(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 4))
	for _, sh := range [][3]int{{20, 512, 39}, {300, 512, 39}, {32, 512, 128}, {16, 512, 128}, {16, 128, 512}, {4800, 512, 39}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, w, c := randSlice(rng, m*k), randSlice(rng, n*k), randSlice(rng, m*n)
		benchImpls(b, fmt.Sprintf("m%d_n%d_k%d", m, n, k), 2*float64(m*n*k), func() { MatMulT(c, a, w, m, n, k) })
	}
}

// MatTMul at the weight gradients of a window: dGᵀ (512×T) · H (T×128)
// and dGᵀ · X (T×39).
func BenchmarkMatTMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 5))
	for _, sh := range [][3]int{{512, 128, 20}, {512, 39, 20}, {512, 128, 300}, {512, 39, 300}, {512, 128, 4800},
		// The lockstep batch's weight gradients: per-frame updates of 16 or 32
		// streams, and whole sentences (MatTMul blocks them itself).
		{512, 128, 16}, {512, 128, 32}, {512, 39, 16}, {512, 39, 32}, {61, 128, 16}, {61, 128, 32}, {512, 39, 4800}, {61, 128, 4800}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, w, c := randSlice(rng, k*m), randSlice(rng, k*n), randSlice(rng, m*n)
		benchImpls(b, fmt.Sprintf("m%d_n%d_k%d", m, n, k), 2*float64(m*n*k), func() { MatTMul(c, a, w, m, n, k) })
	}
}

func BenchmarkDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 6))
	for _, n := range []int{128, 4096} {
		x, y := randSlice(rng, n), randSlice(rng, n)
		var s float32
		benchImpls(b, fmt.Sprint(n), 2*float64(n), func() { s += Dot(x, y) })
	}
}

func BenchmarkAxpy(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 7))
	for _, n := range []int{128, 94000} {
		x, y := randSlice(rng, n), randSlice(rng, n)
		benchImpls(b, fmt.Sprint(n), 2*float64(n), func() { Axpy(y, 1e-3, x) })
	}
}

// The element-wise kernels report GFLOP/s too, counting the flops of the
// portable formulas (exp as one), so the figures compare implementations
// rather than measure hardware peak; ns/op is the figure to read.

func BenchmarkLSTMCell(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 8))
	const hidden = 128
	pre, cPrev := lstmInputs(rng, hidden)
	gates := make([]float32, 4*hidden)
	c, h := make([]float32, hidden), make([]float32, hidden)
	benchImpls(b, "128", 30*hidden, func() {
		copy(gates, pre)
		LSTMCell(gates, cPrev, c, h, hidden)
	})
}

func BenchmarkLSTMCellBackward(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 9))
	const hidden = 128
	gates, cPrev := lstmInputs(rng, hidden)
	c, h := make([]float32, hidden), make([]float32, hidden)
	LSTMCell(gates, cPrev, c, h, hidden)
	dh, dc, dcPrev := randSlice(rng, hidden), randSlice(rng, hidden), make([]float32, hidden)
	dgates := make([]float32, 4*hidden)
	benchImpls(b, "128", 30*hidden, func() {
		LSTMCellBackward(dgates, dcPrev, gates, cPrev, c, dh, dc, hidden)
	})
}

// The optimisers at the reference model's size: 4·128·(39+128) + 2·512
// + 61·129 ≈ 94 k parameters.
func BenchmarkAdam(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 10))
	const n = 94401
	p, g := randSlice(rng, n), randSlice(rng, n)
	m, v := make([]float32, n), make([]float32, n)
	s := NewAdamStep(1e-3, 0.9, 0.999, 1e-8, 10)
	benchImpls(b, "94k", 12*n, func() { Adam(p, g, m, v, s) })
	// An eighth of it stays in L1/L2: the per-element cost shows whether
	// the full step is bound by the divider or by memory.
	const k = n / 8
	benchImpls(b, "12k", 12*k, func() { Adam(p[:k], g[:k], m[:k], v[:k], s) })
}

func BenchmarkMomentum(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 11))
	const n = 94401
	p, g, v := randSlice(rng, n), randSlice(rng, n), make([]float32, n)
	benchImpls(b, "94k", 4*n, func() { Momentum(p, g, v, 1e-3, 0.9) })
}

var sinkF64 float64

//go:noinline
func scalarWork(x []float64) float64 {
	var s float64
	for i, v := range x {
		s += v * float64(i) / (1 + math.Abs(v))
	}
	return s
}

// BenchmarkScalarAfterKernel times plain Go float64 code (SSE
// instructions) right after a MatVec, reported as scalar-ns. Dirty upper
// vector state left by a kernel would slow it down several times (see
// issue 5); with VZEROUPPER at the end of every routine the figure is the
// same for all implementations (best of many runs about 5.1 µs on Zen 5
// whichever kernel ran before; averages vary with the machine's load).
func BenchmarkScalarAfterKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 12))
	a, x, y := randSlice(rng, 512*128), randSlice(rng, 128), randSlice(rng, 512)
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = rng.NormFloat64()
	}
	for _, im := range available() {
		b.Run(im.String(), func(b *testing.B) {
			defer useImpl(im)()
			var scalar time.Duration
			for b.Loop() {
				MatVec(y, a, 512, 128, x)
				st := time.Now()
				sinkF64 += scalarWork(xs)
				scalar += time.Since(st)
			}
			b.ReportMetric(float64(scalar.Nanoseconds())/float64(b.N), "scalar-ns")
		})
	}
}

// BenchmarkMatTMulBlocked: a long MatTMul (the weight gradient of a
// lockstep batch, 16 streams × 300 frames) called in blocks of k rows.
func BenchmarkMatTMulBlocked(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 5))
	m, n, k := 512, 128, 4800
	a, w, c := randSlice(rng, k*m), randSlice(rng, k*n), randSlice(rng, m*n)
	for _, blk := range []int{16, 32, 64, 128, 256} {
		benchImpls(b, fmt.Sprintf("block%d", blk), 2*float64(m*n*k), func() {
			for r := 0; r < k; r += blk {
				kk := min(blk, k-r)
				MatTMul(c, a[r*m:(r+kk)*m], w[r*n:(r+kk)*n], m, n, kk)
			}
		})
	}
}

// BenchmarkMatMul: C += A·B at the batched LSTM's shapes (16 streams per
// sub-batch): the recurrent product per frame (16×128 by 128×512, W_hhᵀ),
// the input projection over 300 frames (4800×39 by 39×512), ∂h per frame
// (16×512 by W_hh, 512×128) and from the outputs (4800×61 by 61×128),
// beside MatMulT on the first two (the same products with B transposed).
// Compare the GFLOP/s with BenchmarkFMALoop's peak.
func BenchmarkMatMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, sh := range [][3]int{{16, 512, 128}, {4800, 512, 39}, {16, 128, 512}, {4800, 128, 61}, {1, 512, 128}, {1, 128, 512}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, bm, c := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m*n)
		benchImpls(b, fmt.Sprintf("%dx%dx%d", m, n, k), 2*float64(m*n*k), func() { MatMul(c, a, bm, m, n, k) })
	}
	for _, sh := range [][3]int{{16, 512, 128}, {4800, 512, 39}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, bm, c := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m*n)
		benchImpls(b, fmt.Sprintf("MatMulT-%dx%dx%d", m, n, k), 2*float64(m*n*k), func() { MatMulT(c, a, bm, m, n, k) })
	}
	// C = A·B: the input projection written without a pre-filled C.
	for _, sh := range [][3]int{{4800, 512, 39}, {16, 512, 128}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, bm, c := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m*n)
		benchImpls(b, fmt.Sprintf("MatMulSet-%dx%dx%d", m, n, k), 2*float64(m*n*k), func() { MatMulSet(c, a, bm, m, n, k) })
	}
}

// benchRate runs f under each implementation as name/impl and reports
// elements per second (ns/op is the figure to compare).
func benchRate(b *testing.B, name string, elems float64, f func()) {
	for _, im := range available() {
		b.Run(fmt.Sprintf("%s/%s", name, im), func(b *testing.B) {
			defer useImpl(im)()
			for b.Loop() {
				f()
			}
			b.ReportMetric(elems*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
		})
	}
}

// The row kernels at a lockstep frame of 16 streams × 128 cells, beside
// the per-row calls they replace ("perrow"). The gates are overwritten by
// their activations and fed back on the next call: the kernels have no
// data-dependent paths, so this times the same work without a copy.
func BenchmarkLSTMCellRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 13))
	const hidden, rows = 128, 16
	gates, cPrev := lstmInputs(rng, hidden*rows)
	c, h := make([]float32, hidden*rows), make([]float32, hidden*rows)
	benchRate(b, "16x128", hidden*rows, func() { LSTMCellRows(gates, cPrev, c, h, hidden, rows) })
	benchRate(b, "perrow-16x128", hidden*rows, func() {
		for r := range rows {
			s := r * hidden
			LSTMCell(gates[4*s:4*(s+hidden)], cPrev[s:s+hidden], c[s:s+hidden], h[s:s+hidden], hidden)
		}
	})
}

func BenchmarkLSTMCellBackwardRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 14))
	const hidden, rows = 128, 16
	gates, cPrev := lstmInputs(rng, hidden*rows)
	c, h := make([]float32, hidden*rows), make([]float32, hidden*rows)
	LSTMCellRows(gates, cPrev, c, h, hidden, rows)
	dh, dc := randSlice(rng, hidden*rows), randSlice(rng, hidden*rows)
	dgates, dcPrev := make([]float32, 4*hidden*rows), make([]float32, hidden*rows)
	benchRate(b, "16x128", hidden*rows, func() {
		LSTMCellBackwardRows(dgates, dcPrev, gates, cPrev, c, dh, dc, hidden, rows)
	})
	benchRate(b, "perrow-16x128", hidden*rows, func() {
		for r := range rows {
			s, e := r*hidden, (r+1)*hidden
			LSTMCellBackward(dgates[4*s:4*e], dcPrev[s:e], gates[4*s:4*e], cPrev[s:e], c[s:e], dh[s:e], dc[s:e], hidden)
		}
	})
}

// exp32Old and logSoftmaxOld are copies of the scalar code in package
// lstm (fastmath.go, trace.go) that LogSoftmaxRows and ExpScale replace,
// kept here as the benchmarks' baseline ("lstm-go"; it does not depend on
// the implementation, so only its first run means anything).
func exp32Old(x float32) float32 {
	x = min(max(x, -87.33), 88)
	n := (x*1.44269504088896341 + 12582912) - 12582912
	r := x - n*0.693359375 - n*-2.12194440e-4
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

func logSoftmaxOld(z []float32) {
	mx := z[0]
	for _, v := range z {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range z {
		s += float64(exp32Old(v - mx))
	}
	lse := mx + float32(math.Log(s))
	for i := range z {
		z[i] -= lse
	}
}

// LogSoftmaxRows over the outputs of a lockstep batch (16 streams × 300
// frames, 61 outputs). Each call works on a fresh copy of the logits,
// timed with it ("copy" alone is the copy).
func BenchmarkLogSoftmaxRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 15))
	const rows, n = 4800, 61
	logits := randSlice(rng, rows*n)
	for i := range logits {
		logits[i] *= 5
	}
	z := make([]float32, rows*n)
	b.Run("copy", func(b *testing.B) {
		for b.Loop() {
			copy(z, logits)
		}
	})
	benchRate(b, "4800x61", rows*n, func() {
		copy(z, logits)
		LogSoftmaxRows(z, rows, n)
	})
	b.Run("4800x61/lstm-go", func(b *testing.B) {
		for b.Loop() {
			copy(z, logits)
			for r := range rows {
				logSoftmaxOld(z[r*n : (r+1)*n])
			}
		}
		b.ReportMetric(rows*n*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
	})
}

// ExpScale on one output row (61) and on a batch's (4800×61), into a
// separate slice (the output error), beside the scalar loop it replaces.
func BenchmarkExpScale(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 16))
	for _, n := range []int{61, 4800 * 61} {
		src := randSlice(rng, n)
		for i := range src {
			src[i] = -float32(math.Abs(float64(src[i]) * 5)) // log-posteriors
		}
		dst := make([]float32, n)
		name := fmt.Sprint(n)
		if n > 61 {
			name = "4800x61"
		}
		benchRate(b, name, float64(n), func() { ExpScale(dst, src, 1.0/32) })
		b.Run(name+"/lstm-go", func(b *testing.B) {
			for b.Loop() {
				for i, v := range src {
					dst[i] = 1.0 / 32 * exp32Old(v)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
		})
	}
}
