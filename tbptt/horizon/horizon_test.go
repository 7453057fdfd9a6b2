package horizon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

// refLoss runs the float64 reference over frames 0 … τ of xs from zero
// state and returns L_τ for class y, with eps added, right after frame j
// is computed, to unit k of layer l's h (which = 'h') or c (which = 'c';
// then h_j = o_j ⊙ tanh(c_j) is recomputed from the perturbed cell, as
// the gradient ∂L/∂c_j includes that path). The layer above sees the
// perturbed h_j at frame j already, like the gradient's path through it.
func (r *ref64) refLoss(p []float64, xs [][]float64, τ, y, j, l int, which byte, k int, eps float64) float64 {
	c := r.cfg
	H := c.Hidden
	s := r.zero()
	for t := 0; t <= τ; t++ {
		in := xs[t]
		for ll := range c.Layers {
			I := len(in)
			wih := p[r.off[name("lstm.weight_ih_l", ll)]:]
			whh := p[r.off[name("lstm.weight_hh_l", ll)]:]
			bih := p[r.off[name("lstm.bias_ih_l", ll)]:]
			bhh := p[r.off[name("lstm.bias_hh_l", ll)]:]
			h, cn := make([]float64, H), make([]float64, H)
			for u := range H {
				gate := func(q int) float64 {
					v := bih[q] + bhh[q]
					for i := range I {
						v += wih[q*I+i] * in[i]
					}
					for i := range H {
						v += whh[q*H+i] * s[ll][0][i]
					}
					return v
				}
				var pi, pf, po float64
				if c.Peepholes {
					pp := p[r.off[name("lstm.peephole_l", ll)]:]
					pi, pf, po = pp[u], pp[H+u], pp[2*H+u]
				}
				cp := s[ll][1][u]
				i := sig64(gate(u) + pi*cp)
				f := sig64(gate(H+u) + pf*cp)
				g := math.Tanh(gate(2*H + u))
				cn[u] = f*cp + i*g
				hit := t == j && ll == l && u == k
				if hit && which == 'c' {
					cn[u] += eps
				}
				o := sig64(gate(3*H+u) + po*cn[u])
				h[u] = o * math.Tanh(cn[u])
				if hit && which == 'h' {
					h[u] += eps
				}
			}
			s[ll] = [2][]float64{h, cn}
			in = h
		}
	}
	return r.loss(p, s, y)
}

// TestHorizonFiniteDifferences checks the per-frame state-gradient norms
// Horizon reports against central finite differences of the float64
// reference: one sentence with a single scored frame τ, so that the mean
// and every quantile at lag d is ‖∂L_τ/∂h_{τ−d}‖ (or c) itself.
func TestHorizonFiniteDifferences(t *testing.T) {
	cases := []struct {
		name        string
		layers      int
		peep        bool
		n, τ, delay int
		lags        int
	}{
		{"1 layer", 1, false, 10, 7, 0, 12},
		{"2 layers peepholes", 2, true, 10, 8, 0, 12},
		{"lags cut at 4", 1, true, 9, 8, 0, 4},
		{"target delay 2", 2, false, 9, 6, 2, 10},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := lstm.Config{Inputs: 3, Hidden: 4, Layers: tc.layers, Outputs: 5, Peepholes: tc.peep}
			rng := rand.New(rand.NewPCG(uint64(ci)+1, 7))
			m, err := lstm.New(cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			// Larger recurrent weights than the initialisation, so that
			// the gradient does not vanish within the few lags checked.
			for i := range m.Params() {
				m.Params()[i] *= 2
			}
			x := features.NewMatrix(tc.n, cfg.Inputs)
			xs := make([][]float64, tc.n)
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			for t := range tc.n {
				for _, v := range x.Row(t) {
					xs[t] = append(xs[t], float64(v))
				}
			}
			lab := make([]int32, tc.n)
			for i := range lab {
				lab[i] = labels.Excluded
			}
			y := 3
			lab[tc.τ-tc.delay] = int32(y)
			s := &data.Sentence{ID: "s", Feats: x, Labels: lab}
			rep, err := Measure(context.Background(), m, []*data.Sentence{s}, Config{Lags: tc.lags, K2: []int{1, 3}, TargetDelay: tc.delay, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Frames != 1 {
				t.Fatalf("%d scored frames, want 1", rep.Frames)
			}
			ref := newRef64(cfg)
			p := make([]float64, len(m.Params()))
			for i, v := range m.Params() {
				p[i] = float64(v)
			}
			const eps = 1e-6
			for l := range tc.layers {
				lags := rep.Layers[l]
				if want := min(tc.lags, tc.τ) + 1; len(lags) != want {
					t.Fatalf("layer %d: %d lags, want %d", l, len(lags), want)
				}
				top := rep.Layers[l][0]
				for _, lg := range lags {
					j := tc.τ - lg.Lag
					for _, which := range []byte{'h', 'c'} {
						var ss float64
						for k := range cfg.Hidden {
							d := (ref.refLoss(p, xs, tc.τ, y, j, l, which, k, eps) -
								ref.refLoss(p, xs, tc.τ, y, j, l, which, k, -eps)) / (2 * eps)
							ss += d * d
						}
						want := math.Sqrt(ss)
						got, q := lg.MeanH, lg.QuantH
						scale := top.MeanH
						if which == 'c' {
							got, q, scale = lg.MeanC, lg.QuantC, top.MeanC
						}
						// float32 forward and backward against a float64
						// reference with central differences (error
						// O(eps²) plus rounding 1e-16/eps ≈ 1e-10): a few
						// float32 ulps of relative error per frame, and
						// an absolute floor for norms that have vanished
						// far below lag 0's.
						if tol := 1e-4*want + 1e-6*scale; math.Abs(got-want) > tol {
							t.Errorf("layer %d lag %d: ‖∂L/∂%c‖ = %.8g, finite differences %.8g", l, lg.Lag, which, got, want)
						}
						for _, v := range q {
							if v != got && math.Abs(v-got) > 1e-6*got {
								t.Errorf("layer %d lag %d: quantile %v of one value %v", l, lg.Lag, v, got)
							}
						}
					}
				}
			}
		})
	}
}

// TestTruncatedGradientIsEngines checks g(k2) against the engine: TBPTT(1,
// k2) with per-error truncation at fixed weights (the step function only
// adds up the updates) sums to the same gradient.
func TestTruncatedGradientIsEngines(t *testing.T) {
	cfg := lstm.Config{Inputs: 4, Hidden: 6, Layers: 2, Outputs: 5, Peepholes: true}
	rng := rand.New(rand.NewPCG(3, 4))
	m, _ := lstm.New(cfg, rng)
	sents := randomSentences(rng, cfg, []int{13, 5, 20})
	for _, k2 := range []int{1, 3, 7, tbptt.All} {
		spec := fmt.Sprintf("frame:k2=%s:truncation=per-error", tbptt.K2String(k2))
		s, err := ParseSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		eng, err := NewEngine(m, s, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float64, len(m.Params()))
		if _, err := eng.Train(sents, func(g *lstm.Grads) error {
			for i, v := range g.Data {
				want[i] += float64(v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		w := newWorker(m, Config{Lags: 1, K2: []int{k2}, TargetDelay: 1})
		got := make([]float64, len(m.Params()))
		for _, s := range sents {
			w.measure(s)
			for i, v := range w.grads[0].Data {
				got[i] += float64(v)
			}
		}
		// Same terms, summed in another order in float32: a relative
		// error of a few float32 ulps of the gradient's norm.
		var diff, nrm float64
		for i := range got {
			diff += (got[i] - want[i]) * (got[i] - want[i])
			nrm += want[i] * want[i]
		}
		if r := math.Sqrt(diff / nrm); r > 1e-5 {
			t.Errorf("%s: ‖g − engine‖/‖engine‖ = %.3g", spec, r)
		}
	}
}

// randomSentences returns sentences of the given lengths with random
// features and labels, one frame in four excluded.
func randomSentences(rng *rand.Rand, cfg lstm.Config, lens []int) []*data.Sentence {
	var out []*data.Sentence
	for i, n := range lens {
		x := features.NewMatrix(n, cfg.Inputs)
		for j := range x.Data {
			x.Data[j] = float32(rng.NormFloat64())
		}
		lab := make([]int32, n)
		for j := range lab {
			lab[j] = int32(rng.IntN(cfg.Outputs))
			if rng.IntN(4) == 0 {
				lab[j] = labels.Excluded
			}
		}
		out = append(out, &data.Sentence{ID: fmt.Sprint("s", i), Feats: x, Labels: lab})
	}
	return out
}

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
	train := lagTask(rand.New(rand.NewPCG(1, 1)), 256, T, C, L)
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
		s := Schedule{Name: "tbptt", K1: T, K2: tc.k2, Truncation: PerError}
		eng, err := NewEngine(m, s, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		opt := NewAdam(len(m.Params()), 5e-3)
		for range 15 {
			if _, err := eng.Train(train, func(g *lstm.Grads) error { opt.Step(m.Params(), g.Data); return nil }); err != nil {
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
		rep, err := Measure(context.Background(), m, test, Config{Lags: 3 * L, K2: []int{L, L + 1, 2 * L}})
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

func TestHorizonConfigErrors(t *testing.T) {
	cfg := lstm.Config{Inputs: 2, Hidden: 3, Layers: 1, Outputs: 2}
	m, _ := lstm.New(cfg, rand.New(rand.NewPCG(1, 1)))
	sents := randomSentences(rand.New(rand.NewPCG(1, 2)), cfg, []int{5})
	unscored := randomSentences(rand.New(rand.NewPCG(1, 2)), cfg, []int{5})
	for i := range unscored[0].Labels {
		unscored[0].Labels[i] = labels.Excluded
	}
	bad := randomSentences(rand.New(rand.NewPCG(1, 2)), lstm.Config{Inputs: 3, Outputs: 2}, []int{5})
	for _, tc := range []struct {
		name  string
		sents []*data.Sentence
		cfg   Config
		want  string
	}{
		{"no sentences", nil, Config{}, "no sentences"},
		{"nothing scored", unscored, Config{}, "no scored frame"},
		{"wrong inputs", bad, Config{}, "features per frame"},
		{"negative lags", sents, Config{Lags: -1}, "lags"},
		{"negative k2", sents, Config{K2: []int{-2}}, "k2"},
		{"cosine", sents, Config{Cosine: 2}, "cosine"},
		{"quantile", sents, Config{Quantiles: []float64{0.5, 1}}, "quantile"},
		{"quantile order", sents, Config{Quantiles: []float64{0.9, 0.1}}, "increasing"},
		{"delay", sents, Config{TargetDelay: -1}, "delay"},
	} {
		_, err := Measure(context.Background(), m, tc.sents, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestHorizonReportFiles checks the report's invariants, its files and
// that results do not depend on the number of workers.
func TestHorizonReportFiles(t *testing.T) {
	cfg := lstm.Config{Inputs: 3, Hidden: 5, Layers: 2, Outputs: 4}
	rng := rand.New(rand.NewPCG(5, 5))
	m, _ := lstm.New(cfg, rng)
	sents := randomSentences(rng, cfg, []int{30, 12, 25, 40, 7})
	hc := Config{Lags: 20, K2: []int{20, 1, 5, 5, 10}, MaxSentences: 4, Workers: 1}
	rep, err := Measure(context.Background(), m, sents, hc)
	if err != nil {
		t.Fatal(err)
	}
	hc.Workers = 3
	rep3, err := Measure(context.Background(), m, sents, hc)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	rep.WriteJSON(&a)
	rep3.WriteJSON(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("reports with 1 and 3 workers differ")
	}
	if rep.Sentences != 4 {
		t.Errorf("%d sentences measured, want 4 (MaxSentences)", rep.Sentences)
	}
	var ks []int
	for _, k := range rep.K2 {
		ks = append(ks, k.K2)
	}
	if fmt.Sprint(ks) != fmt.Sprint([]int{1, 5, 10, 20, tbptt.All}) {
		t.Errorf("k2 measured %v, want sorted, unique, all last", ks)
	}
	full := rep.K2[len(rep.K2)-1]
	if full.RelErr != 0 || math.Abs(full.Cosine-1) > 1e-12 {
		t.Errorf("full BPTT against itself: rel err %v, cosine %v", full.RelErr, full.Cosine)
	}
	for l, lags := range rep.Layers {
		if len(lags) != 21 {
			t.Errorf("layer %d: %d lags, want 21", l, len(lags))
		}
		for _, lg := range lags {
			if lg.QuantC[0] > lg.QuantC[1] || lg.QuantC[1] > lg.QuantC[2] {
				t.Errorf("layer %d lag %d: quantiles %v not ordered", l, lg.Lag, lg.QuantC)
			}
		}
	}
	if rep.Layers[0][0].Frames <= rep.Layers[0][20].Frames {
		t.Error("fewer frames at lag 0 than at lag 20")
	}
	dir := t.TempDir()
	files, err := rep.WriteFiles(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 7 {
		t.Errorf("files %v, want 7", files)
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: missing or empty", f)
		}
	}
	var back Report
	jb, _ := os.ReadFile(filepath.Join(dir, "horizon.json"))
	if err := json.Unmarshal(jb, &back); err != nil || back.Recommended != rep.Recommended || len(back.Layers) != 2 {
		t.Errorf("horizon.json does not read back: %v", err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "horizon_lags.csv"))
	if lines := strings.Count(string(csv), "\n"); lines != 1+2*21 {
		t.Errorf("horizon_lags.csv has %d lines, want %d", lines, 1+2*21)
	}
	if !strings.HasPrefix(string(csv), "layer,lag,frames,mean_dh,mean_dc,dh_q10,dh_q50,dh_q90,dc_q10,dc_q50,dc_q90\n") {
		t.Errorf("horizon_lags.csv header: %q", strings.SplitN(string(csv), "\n", 2)[0])
	}
	s := rep.Summary()
	if s.Recommended != tbptt.K2String(rep.Recommended) || len(s.Cosines) != 4 {
		t.Errorf("summary %+v", s)
	}
}

// BenchmarkHorizon measures one 300-frame sentence of the 39→128→61
// network at 100 lags and the default k2 list (about 290 frames
// back-propagated per frame).
func BenchmarkHorizon(b *testing.B) {
	cfg := lstm.Config{Inputs: 39, Hidden: 128, Layers: 1, Outputs: 61}
	rng := rand.New(rand.NewPCG(1, 1))
	m, _ := lstm.New(cfg, rng)
	sents := randomSentences(rng, cfg, []int{300})
	b.ResetTimer()
	for b.Loop() {
		if _, err := Measure(context.Background(), m, sents, Config{Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*300)/b.Elapsed().Seconds(), "frames/s")
}

// TestTrainLogHorizon records the horizon every N updates without
// changing the weights.
func TestTrainLogHorizon(t *testing.T) {
	train, dev := synthSplit(21, 10, false), synthSplit(22, 4, false)
	dir := t.TempDir()
	c := smallConfig()
	c.Schedule, c.K1, c.K2, c.Epochs = "tbptt", 5, "5", 2
	plain := filepath.Join(dir, "plain.safetensors")
	want, err := Train(context.Background(), c, train, dev, plain, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	c.LogHorizon = 7
	out := filepath.Join(dir, "logged.safetensors")
	got, err := Train(context.Background(), c, train, dev, out, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if i := sameBits(loadParams(t, LastPath(plain)), loadParams(t, LastPath(out))); i != -1 {
		t.Errorf("logging the horizon changed the weights (parameter %d)", i)
	}
	if got.Updates != want.Updates {
		t.Fatalf("%d updates, want %d", got.Updates, want.Updates)
	}
	log, err := ReadHorizonLog(HorizonLogPath(out))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(log)) != got.Updates/7 {
		t.Fatalf("%d horizon lines for %d updates every 7", len(log), got.Updates)
	}
	for i, s := range log {
		if s.Updates != int64(7*(i+1)) || s.K2 != "5" || s.Epoch < 1 || s.Epoch > 2 || len(s.Cosines) == 0 || s.Recommended == "" {
			t.Errorf("line %d: %+v", i+1, s)
		}
	}
	// A new run replaces the log.
	if _, err := Train(context.Background(), c, train, dev, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if again, _ := ReadHorizonLog(HorizonLogPath(out)); len(again) != len(log) {
		t.Errorf("a new run left %d lines, want %d", len(again), len(log))
	}
}
