package horizon_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/horizon"
	"github.com/phoneme/phoneme/tbptt/train"
)

// lagTask returns n sequences of T frames of random one-hot inputs over C
// classes, the label of frame t being the class of the input at t−L
// (frames t < L unlabelled).
func lagTask(rng *rand.Rand, n, T, C, L int) []*data.Sentence {
	var out []*data.Sentence
	for i := range n {
		x := features.NewMatrix(T, C)
		lab := make([]int32, T)
		cls := make([]int32, T)
		for t := range T {
			cls[t] = int32(rng.IntN(C))
			x.Row(t)[cls[t]] = 1
			lab[t] = labels.Excluded
			if t >= L {
				lab[t] = cls[t-L]
			}
		}
		out = append(out, &data.Sentence{ID: fmt.Sprint("lag", i), Feats: x, Labels: lab})
	}
	return out
}

// lagAccuracy is the share of labelled frames of sents that m classifies
// right.
func lagAccuracy(m *lstm.Model, sents []*data.Sentence) float64 {
	ok, n := 0, 0
	for _, s := range sents {
		lp := m.LogProbs(s.Feats)
		for t, y := range s.Labels {
			if y == labels.Excluded {
				continue
			}
			n++
			if argmax(lp.Row(t)) == int(y) {
				ok++
			}
		}
	}
	return float64(ok) / float64(n)
}

// TestHorizonLagTask is the constructed task whose answer is known: the
// label of frame t is the input of frame t−L (L = 8, two classes, chance
// 50%). An error must reach back to the frame whose input it names, i.e.
// through L+1 frames τ−L … τ: with per-error truncation (each error reaching
// exactly k2 frames) k2 = L−3 and k2 = L cannot learn it (the state that
// holds the input, c_{τ−L}, is held constant), while k2 = L+1 and L+2
// learn it. The horizon measured on the k2 = L+2 network reaches lag L.
//
// Training is one update per sequence (TBPTT(T, k2), per-error) with Adam;
// about 2 s on one core.
func TestHorizonLagTask(t *testing.T) {
	const C, L, H, T = 2, 8, 32, 30
	trainSet := lagTask(rand.New(rand.NewPCG(1, 1)), 256, T, C, L)
	test := lagTask(rand.New(rand.NewPCG(2, 2)), 64, T, C, L)
	cases := []struct {
		k2    int
		learn bool
	}{{L - 3, false}, {L, false}, {L + 1, true}, {L + 2, true}}
	for _, tc := range cases {
		m, err := lstm.New(lstm.Config{Inputs: C, Hidden: H, Layers: 1, Outputs: C}, rand.New(rand.NewPCG(3, 3)))
		if err != nil {
			t.Fatal(err)
		}
		s := tbptt.Schedule{Kind: tbptt.KindTBPTT, K1: T, K2: tc.k2, Truncation: tbptt.PerError}
		eng, err := tbptt.NewEngine(m, s, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		opt := train.NewAdam(len(m.Params()), 5e-3)
		for range 15 {
			if _, err := eng.Train(trainSet, func(g *lstm.Grads) error { opt.Step(m.Params(), g.Data); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		acc := lagAccuracy(m, test)
		t.Logf("k2 = %d: test accuracy %.3f", tc.k2, acc)
		// Chance is 50%: a network that cannot learn stays within a few
		// points of it (64×22 test frames: sd of chance ≈ 1.3 points); one
		// that learns gets above 90% within 15 epochs (measured: 0.96 for
		// k2 = L+1, 0.998 for L+2), 80% leaves a margin.
		if tc.learn && acc < 0.8 {
			t.Errorf("k2 = %d ≥ L+1 = %d: accuracy %.3f, want ≥ 0.8", tc.k2, L+1, acc)
		}
		if !tc.learn && acc > 0.6 {
			t.Errorf("k2 = %d ≤ L = %d: accuracy %.3f, want ≤ 0.6 (chance 0.5)", tc.k2, L, acc)
		}
		if tc.k2 != L+2 {
			continue
		}
		rep, err := horizon.Measure(context.Background(), m, test, horizon.Config{Lags: 3 * L, K2: []int{L, L + 1, 2 * L}})
		if err != nil {
			t.Fatal(err)
		}
		top := rep.Top()
		// The noise level: the mean ‖∂L/∂c‖ two L and more back, where no
		// label depends on the state any more.
		var noise float64
		for _, lg := range top[2*L : 2*L+5] {
			noise += lg.MeanC / 5
		}
		t.Logf("mean ‖∂L/∂c‖: lag 0 %.3g, lag L %.3g, lags 2L…2L+4 %.3g; %s",
			top[0].MeanC, top[L].MeanC, noise, rep.Recommendation())
		if top[L].MeanC < 5*noise {
			t.Errorf("mean ‖∂L/∂c‖ at lag L = %d is %.3g, not clearly above the level %.3g beyond 2L", L, top[L].MeanC, noise)
		}
		if r := rep.Reach(0.1); r >= 0 && r <= L {
			t.Errorf("mean ‖∂L/∂c‖ falls below 10%% of lag 0 at lag %d ≤ L = %d", r, L)
		}
		// A gradient truncated before frame τ−L misses what the network
		// learnt; one through it keeps nearly all of it.
		kL, _ := rep.Find(L)
		k2L, _ := rep.Find(2 * L)
		t.Logf("relative error to full BPTT: k2 = L %.3f, k2 = 2L %.3f", kL.RelErr, k2L.RelErr)
		if !(kL.RelErr > 0.2 && k2L.RelErr < 0.1) {
			t.Errorf("relative error to full BPTT: k2 = L %.3f (want > 0.2), k2 = 2L %.3f (want < 0.1)", kL.RelErr, k2L.RelErr)
		}
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
