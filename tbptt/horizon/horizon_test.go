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
	"github.com/phoneme/phoneme/internal/ref64"
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
func refLoss(r *ref64.Net, p []float64, xs [][]float64, τ, y, j, l int, which byte, k int, eps float64) float64 {
	s := r.Zero()
	for t := 0; t <= τ; t++ {
		r.Perturb(-1, 0, 0, 0)
		if t == j {
			if which == 'c' {
				r.Perturb(l, k, 0, eps)
			} else {
				r.Perturb(l, k, eps, 0)
			}
		}
		s = r.Step(p, s, xs[t])
	}
	r.Perturb(-1, 0, 0, 0)
	return r.Loss(p, s, y)
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
							d := (refLoss(ref, p, xs, tc.τ, y, j, l, which, k, eps) -
								refLoss(ref, p, xs, tc.τ, y, j, l, which, k, -eps)) / (2 * eps)
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
		s, err := tbptt.ParseSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		eng, err := tbptt.NewEngine(m, s, 1, 1)
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

func TestParseK2List(t *testing.T) {
	got, err := ParseK2List("1, 2,50,all")
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]int{1, 2, 50, tbptt.All}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "1,,2", "0", "-3", "1,x"} {
		if _, err := ParseK2List(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestHorizonHugeLags: lags far beyond the longest sentence are capped at
// it instead of allocating for every lag asked (issue 11: --lags 1e9 ran
// the machine out of memory).
func TestHorizonHugeLags(t *testing.T) {
	cfg := lstm.Config{Inputs: 2, Hidden: 3, Layers: 1, Outputs: 2}
	m, _ := lstm.New(cfg, rand.New(rand.NewPCG(1, 1)))
	sents := randomSentences(rand.New(rand.NewPCG(1, 2)), cfg, []int{5, 9})
	rep, err := Measure(context.Background(), m, sents, Config{Lags: 1 << 40, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rep.Top()); got != 9 {
		t.Errorf("%d lags reported, want 9 (0 … 8, the longest sentence)", got)
	}
}
