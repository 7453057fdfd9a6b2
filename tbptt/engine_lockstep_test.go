package tbptt

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/phoneme/phoneme/lstm"
)

// TestLockstepMatchesDefinition checks the lockstep path (one update per
// group, batch > 1, no peepholes: lstm.Batch) against the float64
// definition, with TestEngineMatchesDefinition's tolerances, for groups
// with empty sentences, unequal lengths, target delay, one and two
// layers, and more streams than one sub-batch holds.
func TestLockstepMatchesDefinition(t *testing.T) {
	twoLayer := lstm.Config{Inputs: 2, Hidden: 3, Layers: 2, Outputs: 4}
	var long []int
	for i := range 37 {
		long = append(long, i%9)
	}
	for _, v := range []struct {
		name         string
		cfg          lstm.Config
		s            Schedule
		delay, batch int
		lengths      []int
	}{
		{"sentence/batch2", oneLayer, Sentence(), 0, 2, []int{11, 2, 7, 4, 0, 3}},
		{"sentence/2layers/delay1/batch3", twoLayer, Sentence(), 1, 3, []int{5, 0, 9, 3, 3, 8}},
		{"k1=all,k2=12/chunk/batch4", oneLayer, Schedule{Kind: KindTBPTT, K1: All, K2: 12, Truncation: Chunk}, 0, 4, []int{11, 2, 7, 4, 6, 1, 3, 5}},
		{"sentence/batch37", twoLayer, Sentence(), 2, 37, long},
	} {
		t.Run(v.name, func(t *testing.T) {
			m := testModel(t, v.cfg, 41)
			sents := testSentences(rand.New(rand.NewPCG(42, 42)), v.cfg, v.lengths...)
			p := to64(m.Params())
			const lr = 0.05
			rt := &refTrainer{r: newRef64(v.cfg), s: v.s, delay: v.delay, batch: v.batch, lr: lr}
			want := rt.train(p, sents)
			e, err := NewEngine(m, v.s, v.delay, v.batch)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]float32
			if _, err := e.Train(sents, sgd(m, lr, &got)); err != nil {
				t.Fatal(err)
			}
			// The last group is full, so the mode it left tells how it ran.
			if e.mode != modeSubs {
				t.Fatal("the lockstep path was not taken")
			}
			if len(got) != len(want) {
				t.Fatalf("%d updates, reference %d", len(got), len(want))
			}
			for u := range want {
				scale := 1.0
				for _, x := range want[u] {
					scale = max(scale, math.Abs(x))
				}
				for i := range want[u] {
					if d := math.Abs(float64(got[u][i])-want[u][i]) / scale; d > 1e-5 {
						t.Fatalf("update %d, parameter %d: gradient %g, reference %g", u, i, got[u][i], want[u][i])
					}
				}
			}
			for i, x := range m.Params() {
				if d := math.Abs(float64(x) - p[i]); d > 1e-5 {
					t.Fatalf("parameter %d after training: %g, reference %g", i, x, p[i])
				}
			}
		})
	}
}

// TestLockstepCoresAndStats: the lockstep path gives bit for bit the same
// gradients on one core or two, and the same statistics as the stream by
// stream path (which it replaces only for speed).
func TestLockstepCoresAndStats(t *testing.T) {
	c := lstm.Config{Inputs: 5, Hidden: 9, Layers: 1, Outputs: 6}
	sents := testSentences(rand.New(rand.NewPCG(43, 43)), c, 9, 4, 12, 7, 3, 0, 12, 5, 6)
	run := func(procs int, s Schedule) ([][]float32, Stats) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		m := testModel(t, c, 44)
		e, err := NewEngine(m, s, 1, 4)
		if err != nil {
			t.Fatal(err)
		}
		var g [][]float32
		st, err := e.Train(sents, sgd(m, 0.05, &g))
		if err != nil {
			t.Fatal(err)
		}
		return g, st
	}
	g1, st1 := run(1, Sentence())
	g2, st2 := run(2, Sentence())
	if !slices.EqualFunc(g1, g2, slices.Equal) {
		t.Error("gradients depend on the number of cores")
	}
	// K2 = 11 < 12 frames: the stream by stream path, same definition.
	_, st3 := run(2, Schedule{Kind: KindTBPTT, K1: All, K2: 11, Truncation: Chunk})
	if st1 != st2 {
		t.Errorf("stats %+v on one core, %+v on two", st1, st2)
	}
	st1.Loss, st1.Errors, st3.Loss, st3.Errors = 0, 0, 0, 0 // weights differ after the first update
	st1.FramesBackward, st3.FramesBackward = 0, 0           // k2 = 11 truncates
	if st1 != st3 {
		t.Errorf("lockstep stats %+v, stream by stream %+v", st1, st3)
	}
}

// TestLockstepAllocs: once its buffers have grown, a lockstep Train call
// allocates only for starting its worker goroutines (a few per call, as
// TestZeroAllocs allows for batch > 1), however many groups it trains.
func TestLockstepAllocs(t *testing.T) {
	c := lstm.Config{Inputs: 3, Hidden: 8, Layers: 2, Outputs: 5}
	m := testModel(t, c, 45)
	short := testSentences(rand.New(rand.NewPCG(46, 46)), c, 20, 13, 31, 7)
	long := slices.Concat(short, short, short, short)
	e, err := NewEngine(m, Sentence(), 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	step := sgd(m, 1e-3, nil)
	if _, err := e.Train(long, step); err != nil {
		t.Fatal(err)
	}
	a := testing.AllocsPerRun(5, func() { e.Train(short, step) })
	b := testing.AllocsPerRun(5, func() { e.Train(long, step) })
	if a > 8 || b > 8 {
		t.Errorf("%v allocations per Train call over one group, %v over four", a, b)
	}
}

// TestWindowLockstep: schedules with k1 < all run their updates as
// lockstep windows (lstm.Batch), giving bit for bit the same gradients on
// one core and two, and the statistics of the stream-by-stream path:
// the same updates, forward frames (re-runs included), back-propagated
// and scored frames, and the same loss up to float32 rounding of the
// outputs (relative 1e-5; argmax ties aside, the same errors ±1 per
// update).
func TestWindowLockstep(t *testing.T) {
	c := lstm.Config{Inputs: 3, Hidden: 7, Layers: 2, Outputs: 5}
	sents := testSentences(rand.New(rand.NewPCG(47, 47)), c, 9, 4, 25, 7, 3, 0, 12, 5, 6, 31)
	run := func(procs int, s Schedule, window bool) ([][]float32, Stats, *Engine) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		m := testModel(t, c, 48)
		e, err := NewEngine(m, s, 1, 4)
		if err != nil {
			t.Fatal(err)
		}
		e.noWindow = !window
		var g [][]float32
		st, err := e.Train(sents, sgd(m, 0.05, &g))
		if err != nil {
			t.Fatal(err)
		}
		return g, st, e
	}
	for _, s := range []Schedule{
		{Kind: KindTBPTT, K1: 20, K2: 20},
		{Kind: KindTBPTT, K1: 3, K2: 5},
		{Kind: KindTBPTT, K1: 4, K2: 4, Truncation: Chunk},
		{Kind: KindTBPTT, K1: 2, K2: All, Truncation: PerError},
		{Kind: KindFrame, K1: 1, K2: 1},
		{Kind: KindFrame, K1: 1, K2: 6, Truncation: PerError},
		{Kind: KindFrame, K1: 1, K2: All},
	} {
		t.Run(s.String(), func(t *testing.T) {
			g1, st1, e := run(1, s, true)
			if e.mode != modeWindows {
				t.Fatal("the windowed lockstep path was not taken")
			}
			g2, st2, _ := run(2, s, true)
			if !slices.EqualFunc(g1, g2, slices.Equal) || st1 != st2 {
				t.Error("gradients or statistics depend on the number of cores")
			}
			_, ref, _ := run(2, s, false)
			if math.Abs(st1.Loss-ref.Loss) > 1e-5*ref.Loss || st1.Errors < ref.Errors-st1.Updates || st1.Errors > ref.Errors+st1.Updates {
				t.Errorf("loss %v, errors %d; stream by stream %v, %d", st1.Loss, st1.Errors, ref.Loss, ref.Errors)
			}
			st1.Loss, st1.Errors, ref.Loss, ref.Errors = 0, 0, 0, 0
			if st1 != ref {
				t.Errorf("lockstep stats %+v, stream by stream %+v", st1, ref)
			}
		})
	}
	// k2 < k1 with window truncation: errors have windows of their own.
	if _, _, e := run(1, Schedule{Kind: KindTBPTT, K1: 5, K2: 2}, true); e.mode != modeStreams {
		t.Error("TBPTT(5, 2) ran in windowed lockstep")
	}
}

// TestParallelRange: during Train, ParallelRange covers every element
// exactly once, in one range per goroutine when there are elements
// enough, else in one; outside Train (no pool) in one range on the caller.
func TestParallelRange(t *testing.T) {
	c := lstm.Config{Inputs: 3, Hidden: 4, Layers: 1, Outputs: 5}
	m, err := lstm.New(c, rand.New(rand.NewPCG(71, 71)))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(m, Schedule{Kind: KindFrame, K1: 1, K2: 1}, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*minShare + 17
	var (
		calls  [n]atomic.Int32
		ranges atomic.Int32
	)
	cover := func(lo, hi int) {
		ranges.Add(1)
		for i := lo; i < hi; i++ {
			calls[i].Add(1)
		}
	}
	check := func(when string, size, wantRanges int) {
		for i := range calls {
			want := int32(0)
			if i < size {
				want = 1
			}
			if got := calls[i].Swap(0); got != want {
				t.Fatalf("%s: element %d of %d covered %d times", when, i, size, got)
			}
		}
		if got := ranges.Swap(0); got != int32(wantRanges) {
			t.Fatalf("%s: %d ranges for %d elements, want %d", when, got, size, wantRanges)
		}
	}
	steps := 0
	step := func(*lstm.Grads) error {
		e.ParallelRange(n, cover)
		check("in Train", n, min(4, runtime.GOMAXPROCS(0), n/minShare))
		e.ParallelRange(7, cover)
		check("in Train", 7, 1)
		steps++
		return nil
	}
	if _, err := e.Train(allScored(rand.New(rand.NewPCG(72, 72)), c, 5, 3, 4, 6), step); err != nil {
		t.Fatal(err)
	}
	if steps != 6 {
		t.Errorf("%d steps, want 6", steps)
	}
	e.ParallelRange(n, cover)
	check("after Train", n, 1)
}
