package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/phoneme/phoneme/internal/ref64"
)

// batchCase is a group of sentences of mixed lengths (one empty, one
// unscored) with random targets.
func batchCase(rng *rand.Rand, c Config, lengths []int) (xs [][]float32, targets [][]int32) {
	for k, n := range lengths {
		xs = append(xs, randInputs(rng, n, c.Inputs))
		ts := make([]int32, n)
		for j := range ts {
			ts[j] = int32(rng.IntN(c.Outputs))
			if k == 3 || j%5 == 4 {
				ts[j] = -1 // stream 3 is never scored; others skip some frames
			}
		}
		targets = append(targets, ts)
	}
	return xs, targets
}

var batchLengths = []int{5, 9, 0, 7, 9, 1}

// TestBatchFiniteDifferences checks BackwardBatch against central finite
// differences of the float64 reference summed over the streams, with the
// tolerance of TestBackwardFiniteDifferences.
func TestBatchFiniteDifferences(t *testing.T) {
	for _, c := range testConfigs {
		if c.Peepholes {
			continue
		}
		for _, br := range []int{0, 1, 7} { // blocks of the default rows, of one frame, of one or two frames
			t.Run(fmt.Sprint(c, br), func(t *testing.T) {
				m := testModel(t, c, 30)
				xs, targets := batchCase(rand.New(rand.NewPCG(31, 31)), c, batchLengths)
				bt := m.NewBatch()
				bt.blockRows = br
				m.ForwardBatch(bt, xs)
				g := m.NewGrads()
				const scale = 0.5
				back := m.BackwardBatch(g, bt, targets, scale)
				if want := 5 + 9 + 9 + 1; back != want { // stream 3 has no scored frame
					t.Errorf("back-propagated %d frames, want %d", back, want)
				}
				r := newRef64(c)
				f := func(p []float64) float64 {
					var sum float64
					for k, x := range xs {
						s := r.Zero()
						for τ := range len(targets[k]) {
							s = r.Step(p, s, to64(x[τ*c.Inputs:(τ+1)*c.Inputs]))
							if targets[k][τ] >= 0 {
								sum += r.Loss(p, s, int(targets[k][τ]))
							}
						}
					}
					return scale * sum
				}
				compareGrad(t, g.Data, ref64.FDGrad(to64(m.params), f), 1e-5)
			})
		}
	}
}

// TestBatchMatchesTraces: the batch's log-posteriors and gradient are those
// of one Trace per stream, to float32 rounding: the products sum in
// another order (and, for the recurrence, through other kernels), so each
// value may differ by a few ulps of the terms it sums; 1e-5 relative to the
// largest gradient element is ~100 ulps, far below any real difference.
func TestBatchMatchesTraces(t *testing.T) {
	c := Config{Inputs: 39, Hidden: 32, Layers: 2, Outputs: 61}
	m, err := New(c, rand.New(rand.NewPCG(32, 32)))
	if err != nil {
		t.Fatal(err)
	}
	xs, targets := batchCase(rand.New(rand.NewPCG(33, 33)), c, []int{40, 17, 0, 33, 40, 1, 25})
	bt := m.NewBatch()
	m.ForwardBatch(bt, xs)
	gb := m.NewGrads()
	m.BackwardBatch(gb, bt, targets, 0.25)
	gt := m.NewGrads()
	tr := m.NewTrace()
	worstP := 0.0
	for k, x := range xs {
		n := len(targets[k])
		if n == 0 {
			continue
		}
		tr.Start(x, nil, -1)
		m.Forward(tr, n)
		m.Outputs(tr, 0, n)
		m.Backward(gt, tr, 0, n, targets[k], 0, 0.25)
		for j := range n {
			for o, v := range tr.LogProbs(j) {
				worstP = max(worstP, math.Abs(float64(v-bt.LogProbs(k, j)[o])))
			}
		}
	}
	if worstP > 1e-5 {
		t.Errorf("log-posteriors differ by %g", worstP)
	}
	want := to64(gt.Data)
	compareGrad(t, gb.Data, want, 1e-5)
}

// TestBatchAllocs: a batch that has seen its longest group allocates
// nothing.
func TestBatchAllocs(t *testing.T) {
	c := Config{Inputs: 3, Hidden: 8, Layers: 2, Outputs: 5}
	m := testModel(t, c, 34)
	xs, targets := batchCase(rand.New(rand.NewPCG(35, 35)), c, batchLengths)
	bt, g := m.NewBatch(), m.NewGrads()
	run := func() {
		m.ForwardBatch(bt, xs)
		m.BackwardBatch(g, bt, targets, 1)
	}
	run()
	if a := testing.AllocsPerRun(10, run); a != 0 {
		t.Errorf("%v allocations per run", a)
	}
}

// TestTranspose: every element lands in its place, for row counts that
// are and are not multiples of the eight-row blocks.
func TestTranspose(t *testing.T) {
	for _, sh := range [][2]int{{0, 3}, {1, 1}, {7, 5}, {8, 39}, {9, 1}, {17, 16}, {512, 39}} {
		rows, cols := sh[0], sh[1]
		a := make([]float32, rows*cols)
		for i := range a {
			a[i] = float32(i)
		}
		dst := transpose([]float32{-1}, a, rows, cols)
		if len(dst) != rows*cols {
			t.Fatalf("%d×%d: len %d", rows, cols, len(dst))
		}
		for i := range rows {
			for j := range cols {
				if dst[j*rows+i] != a[i*cols+j] {
					t.Fatalf("%d×%d: [%d][%d] = %v, want %v", rows, cols, j, i, dst[j*rows+i], a[i*cols+j])
				}
			}
		}
	}
}

// BenchmarkTranspose: the reference network's W_ih (512×39) and W_hh
// (512×128), transposed once per lockstep update.
func BenchmarkTranspose(b *testing.B) {
	for _, sh := range [][2]int{{512, 39}, {512, 128}} {
		a := make([]float32, sh[0]*sh[1])
		var dst []float32
		b.Run(fmt.Sprintf("%dx%d", sh[0], sh[1]), func(b *testing.B) {
			for b.Loop() {
				dst = transpose(dst, a, sh[0], sh[1])
			}
			b.ReportMetric(float64(len(a))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}

// TestBatchZeroDeferred: after ZeroDeferred, BackwardBatch overwrites a
// gradient full of stale values with exactly the bits of clearing it
// first, with scored frames and with none.
func TestBatchZeroDeferred(t *testing.T) {
	c := Config{Inputs: 5, Hidden: 8, Layers: 2, Outputs: 7}
	m := testModel(t, c, 36)
	xs, targets := batchCase(rand.New(rand.NewPCG(37, 37)), c, batchLengths)
	none := make([][]int32, len(targets))
	for k, ts := range targets {
		none[k] = make([]int32, len(ts))
		for j := range none[k] {
			none[k][j] = -1
		}
	}
	for _, tc := range []struct {
		name    string
		targets [][]int32
	}{{"scored", targets}, {"unscored", none}} {
		t.Run(tc.name, func(t *testing.T) {
			bt := m.NewBatch()
			m.ForwardBatch(bt, xs)
			want := m.NewGrads()
			nw := m.BackwardBatch(want, bt, tc.targets, 0.5)
			got := m.NewGrads()
			for i := range got.Data {
				got.Data[i] = float32(i%7) - 3 // stale values
			}
			got.ZeroDeferred()
			if n := m.BackwardBatch(got, bt, tc.targets, 0.5); n != nw {
				t.Fatalf("back-propagated %d frames, want %d", n, nw)
			}
			for i := range want.Data {
				if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
					t.Fatalf("gradient[%d] = %v, want %v", i, got.Data[i], want.Data[i])
				}
			}
		})
	}
}

// TestBatchOneStream: a single stream long enough for the panel layout of
// W_hhᵀ (and 4H = 160, two panels, the second narrower) computes what a
// Trace does, to the rounding TestBatchMatchesTraces allows.
func TestBatchOneStream(t *testing.T) {
	c := Config{Inputs: 7, Hidden: 40, Layers: 2, Outputs: 11}
	m := testModel(t, c, 38)
	xs, targets := batchCase(rand.New(rand.NewPCG(39, 39)), c, []int{minRowsTransposed + 30})
	bt := m.NewBatch()
	m.ForwardBatch(bt, xs)
	gb := m.NewGrads()
	m.BackwardBatch(gb, bt, targets, 0.5)
	tr := m.NewTrace()
	n := len(targets[0])
	tr.Start(xs[0], nil, -1)
	m.Forward(tr, n)
	m.Outputs(tr, 0, n)
	gt := m.NewGrads()
	m.Backward(gt, tr, 0, n, targets[0], 0, 0.5)
	worst := 0.0
	for j := range n {
		for o, v := range tr.LogProbs(j) {
			worst = max(worst, math.Abs(float64(v-bt.LogProbs(0, j)[o])))
		}
	}
	if worst > 1e-5 {
		t.Errorf("log-posteriors differ by %g", worst)
	}
	compareGrad(t, gb.Data, to64(gt.Data), 1e-5)
}

// TestTransposePanels: element (k, j) of the transpose sits in panel
// j/panel, row k, column j mod panel, for widths that fill panels and
// leave a narrower last one.
func TestTransposePanels(t *testing.T) {
	for _, sh := range [][2]int{{1, 1}, {128, 3}, {160, 40}, {512, 128}, {300, 5}} {
		rows, cols := sh[0], sh[1]
		a := make([]float32, rows*cols)
		for i := range a {
			a[i] = float32(i)
		}
		dst := transposePanels(nil, a, rows, cols)
		for j := range rows {
			p0 := j / panel * panel
			w := min(panel, rows-p0)
			for k := range cols {
				if got := dst[p0*cols+k*w+j-p0]; got != a[j*cols+k] {
					t.Fatalf("%d×%d: (%d, %d) = %v, want %v", rows, cols, k, j, got, a[j*cols+k])
				}
			}
		}
	}
}
