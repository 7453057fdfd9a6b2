package tbptt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/ref64"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// refTrainer trains the float64 reference by the definition of the package
// documentation, independently of the engine: streaming states computed
// once per frame with the weights of the moment; at each update, for each
// scored τ, frames s(τ)…τ run from the stored state before s(τ) with the
// current weights; the update's gradient is the central finite difference
// of (1/A) Σ_streams Σ_τ L_τ with respect to every parameter.
type refTrainer struct {
	r     *ref64.Net
	s     Schedule
	delay int
	batch int
	lr    float64
}

// start is s(τ) for an update at frame t of a sentence (t = the stream's
// last frame in the update) whose previous update was at frame p.
func (rt *refTrainer) start(τ, t, p int) int {
	k2 := rt.s.K2
	switch rt.s.Truncation {
	case PerError:
		if k2 == All {
			return 0
		}
		return max(τ-k2+1, 0)
	case Chunk:
		w := 0
		if k2 != All {
			w = max(t-k2+1, 0)
		}
		w = max(w, p+1)
		if τ >= w {
			return w
		}
		return τ
	default:
		w := 0
		if k2 != All {
			w = max(t-k2+1, 0)
		}
		if τ >= w {
			return w
		}
		return τ
	}
}

func targetOf(s *data.Sentence, τ, delay int) int {
	if τ < delay || s.Labels[τ-delay] == labels.Excluded {
		return -1
	}
	return int(s.Labels[τ-delay])
}

// train runs the reference over sents, updating p by plain SGD, and returns
// every update's gradient.
func (rt *refTrainer) train(p []float64, sents []*data.Sentence) [][]float64 {
	var grads [][]float64
	for g0 := 0; g0 < len(sents); g0 += rt.batch {
		group := sents[g0:min(g0+rt.batch, len(sents))]
		T := 0
		stored := make([][]ref64.State, len(group)) // stored[b][j+1]: state after frame j
		for b, s := range group {
			T = max(T, s.Feats.Rows)
			stored[b] = []ref64.State{rt.r.Zero()}
		}
		k1 := rt.s.K1
		if k1 == All {
			k1 = T
		}
		for t0 := 0; t0 < T; t0 += k1 {
			t1 := min(t0+k1, T)
			for b, s := range group {
				for j := t0; j < min(t1, s.Feats.Rows); j++ {
					stored[b] = append(stored[b], rt.r.Step(p, stored[b][j], to64(s.Feats.Row(j))))
				}
			}
			active := 0
			for _, s := range group {
				if s.Feats.Rows > t0 {
					active++
				}
			}
			f := func(q []float64) float64 {
				var sum float64
				for b, s := range group {
					n := s.Feats.Rows
					if n <= t0 {
						continue
					}
					t, prev := min(t1, n)-1, t0-1
					for τ := prev + 1; τ <= t; τ++ {
						y := targetOf(s, τ, rt.delay)
						if y < 0 {
							continue
						}
						st := rt.start(τ, t, prev)
						state := stored[b][st]
						for j := st; j <= τ; j++ {
							state = rt.r.Step(q, state, to64(s.Feats.Row(j)))
						}
						sum += rt.r.Loss(q, state, y)
					}
				}
				return sum / float64(active)
			}
			g := ref64.FDGrad(p, f)
			grads = append(grads, g)
			for i := range p {
				p[i] -= rt.lr * g[i]
			}
		}
	}
	return grads
}

func to64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

// testModel returns a model with weights from U(−1, 1): larger than
// PyTorch's initialisation, so that gradients reach far back and a window
// off by one frame changes the gradient visibly.
func testModel(t testing.TB, c lstm.Config, seed uint64) *lstm.Model {
	rng := rand.New(rand.NewPCG(seed, 7))
	m, err := lstm.New(c, rng)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Params() {
		m.Params()[i] = float32(2*rng.Float64() - 1)
	}
	return m
}

// testSentences returns sentences of the given lengths with random
// features and labels, about one label in eight Excluded.
func testSentences(rng *rand.Rand, c lstm.Config, lengths ...int) []*data.Sentence {
	var ss []*data.Sentence
	for i, n := range lengths {
		s := &data.Sentence{ID: fmt.Sprint("s", i), Feats: features.NewMatrix(n, c.Inputs), Labels: make([]int32, n)}
		for j := range s.Feats.Data {
			s.Feats.Data[j] = float32(rng.NormFloat64())
		}
		for j := range s.Labels {
			s.Labels[j] = int32(rng.IntN(c.Outputs))
			if rng.IntN(8) == 0 {
				s.Labels[j] = labels.Excluded
			}
		}
		ss = append(ss, s)
	}
	return ss
}

// sgd returns a step function applying plain SGD to m and recording every
// gradient.
func sgd(m *lstm.Model, lr float32, record *[][]float32) func(*lstm.Grads) error {
	return func(g *lstm.Grads) error {
		if record != nil {
			*record = append(*record, append([]float32(nil), g.Data...))
		}
		p := m.Params()
		for i, v := range g.Data {
			p[i] -= lr * v
		}
		return nil
	}
}

var (
	oneLayer = lstm.Config{Inputs: 2, Hidden: 3, Layers: 1, Outputs: 4}
	twoPeep  = lstm.Config{Inputs: 2, Hidden: 2, Layers: 2, Outputs: 3, Peepholes: true}
)

// TestEngineMatchesDefinition is the project's central claim: for every
// schedule and truncation mode, every update's gradient is the exact
// gradient of the definition (checked against float64 central finite
// differences of the reference, which re-runs every window from its stored
// state with the current weights), and the weights after several updates
// and sentences agree.
//
// Tolerances: the engine computes in float32. Its gradients agree with the
// float64 finite differences (error ≲ 1e-9) to ~1e-7 relative (measured);
// we allow 1e-5 × max(1, ‖g‖∞), ~100 float32 ulps, while the learning
// rate 0.05 moves weights by ~0.1 per update, so a window run with stale
// weights or off by one frame is off by 1e-3 or more. Weights are compared
// to 1e-5 absolute after all updates (accumulated float32 rounding).
func TestEngineMatchesDefinition(t *testing.T) {
	scheds := []Schedule{
		Sentence(),
		{Kind: KindFrame, K1: 1, K2: All},
		{Kind: KindFrame, K1: 1, K2: 1},
		{Kind: KindFrame, K1: 1, K2: 3},
	}
	for _, k := range [][2]int{{3, 5}, {5, 3}, {3, 3}, {4, All}, {2, 7}, {1, 4}} {
		for _, tr := range []Truncation{Window, PerError, Chunk} {
			scheds = append(scheds, Schedule{Kind: KindTBPTT, K1: k[0], K2: k[1], Truncation: tr})
		}
	}
	variants := []struct {
		name         string
		cfg          lstm.Config
		delay, batch int
		lengths      []int
	}{
		// Sentences shorter than k1 and k2 (2), longer (11), and between.
		{"1layer", oneLayer, 0, 1, []int{11, 2, 7}},
		// Two layers, peepholes, target delay, two streams of unequal
		// lengths (11 with 2, then 7 with 4).
		{"2layers-peep-delay2-batch2", twoPeep, 2, 2, []int{11, 2, 7, 4}},
		// Without peepholes, batches of 2 and 3 run in lockstep (windows
		// side by side, lstm.Batch) wherever the schedule allows.
		{"2layers-delay1-batch3", lstm.Config{Inputs: 2, Hidden: 3, Layers: 2, Outputs: 4}, 1, 3, []int{11, 2, 7, 4, 0, 9, 3}},
		{"1layer-batch2", oneLayer, 0, 2, []int{5, 11, 2, 7, 8}},
		// Eight long streams: windows of 64 rows and more, which share
		// one set of transposed weights per update.
		{"1layer-delay1-batch8", oneLayer, 1, 8, []int{21, 17, 29, 25, 19, 23, 27, 20}},
	}
	for _, v := range variants {
		for _, s := range scheds {
			t.Run(v.name+"/"+s.String(), func(t *testing.T) {
				t.Parallel()
				m := testModel(t, v.cfg, 11)
				sents := testSentences(rand.New(rand.NewPCG(12, 12)), v.cfg, v.lengths...)
				p := to64(m.Params())
				const lr = 0.05
				rt := &refTrainer{r: newRef64(v.cfg), s: s, delay: v.delay, batch: v.batch, lr: lr}
				want := rt.train(p, sents)

				e, err := NewEngine(m, s, v.delay, v.batch)
				if err != nil {
					t.Fatal(err)
				}
				var got [][]float32
				st, err := e.Train(sents, sgd(m, lr, &got))
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) || st.Updates != int64(len(want)) {
					t.Fatalf("%d updates (stats %d), reference %d", len(got), st.Updates, len(want))
				}
				worst := 0.0
				for u := range want {
					scale := 1.0
					for _, x := range want[u] {
						scale = max(scale, math.Abs(x))
					}
					for i := range want[u] {
						d := math.Abs(float64(got[u][i])-want[u][i]) / scale
						worst = max(worst, d)
						if d > 1e-5 {
							t.Fatalf("update %d, parameter %d: gradient %g, reference %g", u, i, got[u][i], want[u][i])
						}
					}
				}
				for i, x := range m.Params() {
					if d := math.Abs(float64(x) - p[i]); d > 1e-5 {
						t.Fatalf("parameter %d after training: %g, reference %g", i, x, p[i])
					}
				}
				t.Logf("%d updates, worst relative gradient difference %.2g", len(want), worst)
			})
		}
	}
}

// TestEngineRandomSchedules repeats the definition check on random
// combinations of k1, k2, truncation, target delay, batch, sentence
// lengths and network shape (fixed seeds), with the same tolerances.
func TestEngineRandomSchedules(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for i := range 24 {
		cfg := lstm.Config{Inputs: 1 + rng.IntN(2), Hidden: 1 + rng.IntN(3), Layers: 1 + rng.IntN(2), Outputs: 2 + rng.IntN(2), Peepholes: rng.IntN(2) == 0}
		s := Schedule{Kind: KindTBPTT, K1: 1 + rng.IntN(6), K2: rng.IntN(7), Truncation: Truncation(rng.IntN(3))}
		delay, batch := rng.IntN(3), 1+rng.IntN(3)
		var lengths []int
		for range 1 + rng.IntN(4) {
			lengths = append(lengths, rng.IntN(12)) // including empty sentences
		}
		t.Run(fmt.Sprintf("%d/%v/%+v/delay%d/batch%d/%v", i, s, cfg, delay, batch, lengths), func(t *testing.T) {
			t.Parallel()
			m := testModel(t, cfg, uint64(i))
			sents := testSentences(rand.New(rand.NewPCG(uint64(i), 3)), cfg, lengths...)
			p := to64(m.Params())
			rt := &refTrainer{r: newRef64(cfg), s: s, delay: delay, batch: batch, lr: 0.05}
			want := rt.train(p, sents)
			e, err := NewEngine(m, s, delay, batch)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]float32
			if _, err := e.Train(sents, sgd(m, 0.05, &got)); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d updates, reference %d", len(got), len(want))
			}
			for u := range want {
				scale := 1.0
				for _, x := range want[u] {
					scale = max(scale, math.Abs(x))
				}
				for j := range want[u] {
					if d := math.Abs(float64(got[u][j])-want[u][j]) / scale; d > 1e-5 {
						t.Fatalf("update %d, parameter %d: gradient %g, reference %g", u, j, got[u][j], want[u][j])
					}
				}
			}
			for j, x := range m.Params() {
				if d := math.Abs(float64(x) - p[j]); d > 1e-5 {
					t.Fatalf("parameter %d after training: %g, reference %g", j, x, p[j])
				}
			}
		})
	}
}
