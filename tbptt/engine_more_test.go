package tbptt

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/lstm"
)

// allScored returns sentences whose every label is a class.
func allScored(rng *rand.Rand, c lstm.Config, lengths ...int) []*data.Sentence {
	ss := testSentences(rng, c, lengths...)
	for _, s := range ss {
		for j := range s.Labels {
			s.Labels[j] = int32(rng.IntN(c.Outputs))
		}
	}
	return ss
}

// TestStatsCounts checks the work counts against the worked example of the
// package documentation: TBPTT(3, 5) on one 8-frame sentence, every frame
// scored, updates after frames 2, 5 and 7.
func TestStatsCounts(t *testing.T) {
	cases := []struct {
		tr       Truncation
		fwd, bwd int64
	}{
		// window: [0,2] streaming; [1,5] re-run; [3,7] re-run.
		{Window, 8 + 5 + 5, 3 + 5 + 5},
		// per-error: τ=0,1,2 share the streaming window [0,2]; τ=3,4 share
		// the re-run [0,4] (windows reaching the sentence start share it);
		// τ=5,6,7 re-run [1,5], [2,6], [3,7].
		{PerError, 8 + 5 + 5 + 5 + 5, 3 + 5 + 5 + 5 + 5},
		// chunk: [0,2], [3,5], [6,7]: nothing re-run.
		{Chunk, 8, 3 + 3 + 2},
	}
	for _, tc := range cases {
		m := testModel(t, oneLayer, 1)
		e, err := NewEngine(m, Schedule{Kind: KindTBPTT, K1: 3, K2: 5, Truncation: tc.tr}, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.Train(allScored(rand.New(rand.NewPCG(1, 1)), oneLayer, 8), sgd(m, 0.01, nil))
		if err != nil {
			t.Fatal(err)
		}
		if st.Updates != 3 || st.FramesForward != tc.fwd || st.FramesBackward != tc.bwd || st.Scored != 8 {
			t.Errorf("%v: %+v, want 3 updates, %d forward, %d backward, 8 scored", tc.tr, st, tc.fwd, tc.bwd)
		}
	}
}

// TestFullBPTT: TBPTT(n, n) with n at least the sentence length is one
// update per sentence with the full gradient, bit for bit the sentence
// schedule's (whose gradient TestEngineMatchesDefinition checks against
// finite differences of the whole sentence's loss), in every truncation
// mode.
func TestFullBPTT(t *testing.T) {
	sents := testSentences(rand.New(rand.NewPCG(2, 2)), twoPeep, 9, 4, 12)
	run := func(s Schedule) [][]float32 {
		m := testModel(t, twoPeep, 3)
		e, err := NewEngine(m, s, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		var g [][]float32
		if _, err := e.Train(sents, sgd(m, 0.05, &g)); err != nil {
			t.Fatal(err)
		}
		return g
	}
	want := run(Sentence())
	if len(want) != 3 {
		t.Fatalf("sentence schedule made %d updates for 3 sentences", len(want))
	}
	for _, tr := range []Truncation{Window, PerError, Chunk} {
		for _, k := range [][2]int{{12, 12}, {20, 20}, {12, All}} {
			got := run(Schedule{Kind: KindTBPTT, K1: k[0], K2: k[1], Truncation: tr})
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("TBPTT(%d, %d) %v differs from full BPTT", k[0], k[1], tr)
			}
		}
	}
}

// TestNoGradientAcrossSentences: changing the previous sentence's inputs
// leaves every gradient of the next sentence's updates unchanged, bit for
// bit, in every mode, including those that reach back to the sentence
// start. The learning rate is 0 so that the weights, and so the next
// sentence's gradients, cannot differ for any other reason.
func TestNoGradientAcrossSentences(t *testing.T) {
	for _, s := range []Schedule{
		Sentence(),
		{Kind: KindFrame, K1: 1, K2: All},
		{Kind: KindTBPTT, K1: 3, K2: 50, Truncation: Window},
		{Kind: KindTBPTT, K1: 3, K2: 5, Truncation: PerError},
		{Kind: KindTBPTT, K1: 2, K2: 9, Truncation: Chunk},
	} {
		for _, batch := range []int{1, 2} {
			rng := rand.New(rand.NewPCG(4, 4))
			a := testSentences(rng, twoPeep, 7, 5, 6, 8)
			// b: the same sentences, the first two with other inputs.
			b := slices.Clone(a)
			for i := range 2 {
				c := *a[i]
				c.Feats = features.NewMatrix(a[i].Feats.Rows, a[i].Feats.Cols)
				for j := range c.Feats.Data {
					c.Feats.Data[j] = a[i].Feats.Data[j] + float32(rng.NormFloat64())
				}
				b[i] = &c
			}
			grads := func(ss []*data.Sentence) [][]float32 {
				m := testModel(t, twoPeep, 5)
				e, err := NewEngine(m, s, 0, batch)
				if err != nil {
					t.Fatal(err)
				}
				var g [][]float32
				if _, err := e.Train(ss, sgd(m, 0, &g)); err != nil {
					t.Fatal(err)
				}
				return g
			}
			ga, gb := grads(a), grads(b)
			firstGroup := len(grads(a[:2]))
			if len(ga) != len(gb) {
				t.Fatalf("%v batch %d: %d and %d updates", s, batch, len(ga), len(gb))
			}
			// Updates of the first two sentences differ …
			if slices.Equal(ga[0], gb[0]) {
				t.Fatalf("%v: perturbing the first sentence did not change its gradient", s)
			}
			// … and those of the next ones are identical.
			for u := firstGroup; u < len(ga); u++ {
				if !slices.Equal(ga[u], gb[u]) {
					t.Errorf("%v batch %d: update %d depends on the previous sentences", s, batch, u)
				}
			}
		}
	}
}

// TestZeroAllocs: once the engine has seen the longest sentence, training
// allocates nothing per frame or per update, in any mode. With batch 1 a
// Train call allocates nothing at all; with batch > 1 it starts its worker
// goroutines (a few allocations per call, however many updates).
func TestZeroAllocs(t *testing.T) {
	for _, s := range []Schedule{
		Sentence(),
		{Kind: KindFrame, K1: 1, K2: 3},
		{Kind: KindTBPTT, K1: 3, K2: 5, Truncation: Window},
		{Kind: KindTBPTT, K1: 3, K2: 5, Truncation: PerError},
		{Kind: KindTBPTT, K1: 3, K2: 5, Truncation: Chunk},
	} {
		for _, batch := range []int{1, 2} {
			m := testModel(t, twoPeep, 6)
			short := testSentences(rand.New(rand.NewPCG(6, 6)), twoPeep, 20, 13, 31)
			long := slices.Concat(short, short, short, short)
			e, err := NewEngine(m, s, 1, batch)
			if err != nil {
				t.Fatal(err)
			}
			step := sgd(m, 1e-3, nil)
			if _, err := e.Train(short, step); err != nil {
				t.Fatal(err)
			}
			a := testing.AllocsPerRun(5, func() { e.Train(short, step) })
			b := testing.AllocsPerRun(5, func() { e.Train(long, step) })
			if batch == 1 && (a != 0 || b != 0) || a > 8 || b > 8 { // the 12 sentences make over 20 updates
				t.Errorf("%v batch %d: %v allocations per Train call over 3 sentences, %v over 12", s, batch, a, b)
			}
		}
	}
}

// TestEngineErrors: bad sentences are rejected before any update, and an
// error from step stops training.
func TestEngineErrors(t *testing.T) {
	m := testModel(t, oneLayer, 7)
	e, err := NewEngine(m, Sentence(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	good := testSentences(rand.New(rand.NewPCG(7, 7)), oneLayer, 5)
	bad := testSentences(rand.New(rand.NewPCG(7, 7)), oneLayer, 5)
	bad[0].Labels[3] = 4 // one past the 4 classes
	short := testSentences(rand.New(rand.NewPCG(7, 7)), oneLayer, 5)
	short[0].Labels = short[0].Labels[:4]
	wide := testSentences(rand.New(rand.NewPCG(7, 7)), lstm.Config{Inputs: 3, Hidden: 1, Layers: 1, Outputs: 4}, 5)
	for _, ss := range [][]*data.Sentence{bad, short, wide, {nil}} {
		st, err := e.Train(append(good, ss...), sgd(m, 0.1, nil))
		if err == nil || st.Updates != 0 {
			t.Errorf("bad sentence: err %v after %d updates", err, st.Updates)
		}
	}
	stop := errors.New("stop")
	calls := 0
	st, err := e.Train(testSentences(rand.New(rand.NewPCG(8, 8)), oneLayer, 3, 3, 3), func(*lstm.Grads) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || st.Updates != 2 || calls != 2 {
		t.Errorf("step error: err %v, %d updates, %d calls", err, st.Updates, calls)
	}
	for _, bad := range []struct{ delay, batch int }{{-1, 1}, {0, 0}} {
		if _, err := NewEngine(m, Sentence(), bad.delay, bad.batch); err == nil {
			t.Errorf("NewEngine accepted delay %d batch %d", bad.delay, bad.batch)
		}
	}
}

// TestBatchCores: with batch > 1 the streams run on several goroutines, and
// the gradients are bit for bit the same on one core or two.
func TestBatchCores(t *testing.T) {
	sents := testSentences(rand.New(rand.NewPCG(9, 9)), twoPeep, 9, 4, 12, 7, 3)
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		m := testModel(t, twoPeep, 3)
		e, err := NewEngine(m, Schedule{Kind: KindTBPTT, K1: 3, K2: 4}, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		var g [][]float32
		if _, err := e.Train(sents, sgd(m, 0.05, &g)); err != nil {
			t.Fatal(err)
		}
		return g
	}
	if !slices.EqualFunc(run(1), run(2), slices.Equal) {
		t.Error("gradients depend on the number of cores")
	}
}

// TestSetSchedule: an engine switched to another schedule computes what a
// new engine for that schedule computes.
func TestSetSchedule(t *testing.T) {
	sents := testSentences(rand.New(rand.NewPCG(10, 10)), oneLayer, 9, 6)
	s1 := Schedule{Kind: KindFrame, K1: 1, K2: 1}
	s2 := Schedule{Kind: KindTBPTT, K1: 3, K2: 5, Truncation: PerError}
	m1, m2 := testModel(t, oneLayer, 4), testModel(t, oneLayer, 4)
	e1, _ := NewEngine(m1, s1, 0, 1)
	var g1, g2 [][]float32
	e1.Train(sents, sgd(m1, 0.05, &g1))
	if err := e1.SetSchedule(s2); err != nil {
		t.Fatal(err)
	}
	e1.Train(sents, sgd(m1, 0.05, &g1))
	e2, _ := NewEngine(m2, s1, 0, 1)
	e2.Train(sents, sgd(m2, 0.05, &g2))
	e3, _ := NewEngine(m2, s2, 0, 1)
	e3.Train(sents, sgd(m2, 0.05, &g2))
	if !slices.EqualFunc(g1, g2, slices.Equal) {
		t.Error("SetSchedule differs from a new engine")
	}
	if e1.SetSchedule(Schedule{Kind: "x"}) == nil {
		t.Error("SetSchedule accepted an invalid schedule")
	}
}

// TestArgmax: the first largest element, NaNs passed over unless first,
// as the plain loop defines it; random rows against that loop.
func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	plain := func(v []float32) int {
		best := 0
		for i, x := range v {
			if x > v[best] {
				best = i
			}
		}
		return best
	}
	for _, v := range [][]float32{
		nil, {1}, {1, 2, 3, 2}, {3, 3, 1}, {1, 5, 5, 5, 5, 5}, {negZero, 0, 0},
		{0, negZero}, {nan, 1, 2}, {1, nan, 2}, {2, nan, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9},
		{float32(math.Inf(-1)), float32(math.Inf(-1))}, {-1, float32(math.Inf(1)), 2},
	} {
		want := 0
		if len(v) > 0 {
			want = plain(v)
		}
		if got := argmax(v); got != want {
			t.Errorf("argmax(%v) = %d, want %d", v, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(81, 81))
	for range 2000 {
		v := make([]float32, 1+rng.IntN(70))
		for i := range v {
			v[i] = float32(rng.IntN(5)) // ties are common
		}
		if got, want := argmax(v), plain(v); got != want {
			t.Fatalf("argmax(%v) = %d, want %d", v, got, want)
		}
	}
}
