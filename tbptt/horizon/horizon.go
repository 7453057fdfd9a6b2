package horizon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/internal/plot"
	gplot "gonum.org/v1/plot"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

// Gradient horizon: how far back does the error signal reach?
//
// For a fixed model, each sentence is run once from zero state. Then:
//
//   - for every scored frame τ, one backward pass of L_τ alone over frames
//     max(0, τ−D) … τ leaves ∂L_τ/∂h_{τ−d} and ∂L_τ/∂c_{τ−d} for every lag
//     d = 0 … D in the trace (lstm.Trace.StateGrad), for every layer: O(n·D)
//     frames back-propagated per sentence of n frames;
//   - for every k2 of a list, the per-error truncated weight gradient
//     g(k2) = Σ_τ ∂L_τ/∂θ, L_τ back-propagated through frames τ−k2+1 … τ
//     only (the state before held constant), is compared with full BPTT,
//     g(all). Per-error truncation (PerError; the same as every schedule
//     with k1 = 1, e.g. "frame:k2=K") is used because it gives every error
//     the same reach, k2 frames, whatever the update period and the
//     error's position in an update window: it measures the horizon, not
//     the schedule. Errors of the first k2 frames all reach the sentence
//     start and share one pass, so g(k2) costs about n·k2 frames.
//
// The weights do not change during the measurement, so the activations of
// the one forward run are exact for every window; nothing is re-run.
//
// A lag d corresponds to k2 = d+1: a window of k2 frames ending at τ holds
// the states c_τ … c_{τ−k2+1}, and its gradient sees ∂L_τ/∂c_{τ−d} for
// d < k2 only.

// Defaults of Config.
const (
	DefaultLags   = 100
	DefaultCosine = 0.99
)

var defaultK2 = []int{1, 2, 5, 10, 20, 50, 100, tbptt.All}

// DefaultK2 returns the default list of truncations compared with
// full BPTT: 1, 2, 5, 10, 20, 50, 100, tbptt.All.
func DefaultK2() []int { return slices.Clone(defaultK2) }

// Config says what Horizon measures. The zero value measures the
// defaults.
type Config struct {
	// Lags is D: state gradients are measured at lags 0 … D (0: 100),
	// D at most the longest sentence's length − 1.
	Lags int
	// K2 lists the truncations whose weight gradient is compared with full
	// BPTT (nil: DefaultK2). tbptt.All is the reference and is always
	// reported.
	K2 []int
	// Cosine is the recommendation's threshold: the smallest k2 whose
	// gradient has at least this cosine to full BPTT (0: 0.99).
	Cosine float64
	// Quantiles of the per-frame norms reported at each lag, in (0, 1)
	// (nil: 0.1, 0.5, 0.9). The first and last bound the plotted band.
	Quantiles []float64
	// TargetDelay: output t is scored against the label of frame t−D.
	TargetDelay int
	// MaxSentences measures only the first that many sentences (0: all).
	MaxSentences int
	// Workers is the number of sentences measured at once (≤ 0:
	// GOMAXPROCS). Results do not depend on it.
	Workers int
	// Progress, if set, is called with the frames of each sentence once
	// it is measured (from the calling goroutine).
	Progress func(frames int64)
}

func (c Config) withDefaults() (Config, error) {
	if c.Lags == 0 {
		c.Lags = DefaultLags
	}
	if c.K2 == nil {
		c.K2 = DefaultK2()
	}
	if c.Cosine == 0 {
		c.Cosine = DefaultCosine
	}
	if c.Quantiles == nil {
		c.Quantiles = []float64{0.1, 0.5, 0.9}
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case c.Lags < 0:
		return c, fmt.Errorf("horizon: lags %d: must be at least 1", c.Lags)
	case c.Cosine < -1 || c.Cosine > 1 || math.IsNaN(c.Cosine):
		return c, fmt.Errorf("horizon: cosine threshold %v: must be in [-1, 1]", c.Cosine)
	case c.TargetDelay < 0:
		return c, fmt.Errorf("horizon: target delay %d: must not be negative", c.TargetDelay)
	case c.MaxSentences < 0:
		return c, fmt.Errorf("horizon: max sentences %d: must not be negative", c.MaxSentences)
	}
	for _, q := range c.Quantiles {
		if !(q > 0 && q < 1) {
			return c, fmt.Errorf("horizon: quantile %v: must be in (0, 1)", q)
		}
	}
	if !slices.IsSorted(c.Quantiles) {
		return c, errors.New("horizon: quantiles must be in increasing order")
	}
	k2 := []int{}
	for _, k := range c.K2 {
		if k < 0 {
			return c, fmt.Errorf("horizon: k2 %d: must be at least 1 (or tbptt.All)", k)
		}
		if k != tbptt.All && !slices.Contains(k2, k) {
			k2 = append(k2, k)
		}
	}
	slices.Sort(k2)
	c.K2 = append(k2, tbptt.All)
	return c, nil
}

// ParseK2List parses a comma-separated list of k2 values such as
// "1,2,5,10,20,50,100,all".
func ParseK2List(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		k, err := tbptt.ParseK2(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("k2 list %q: %w", s, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// Lag summarises the state gradients ‖∂L_τ/∂h_{τ−d}‖ and
// ‖∂L_τ/∂c_{τ−d}‖ (Euclidean norms over the layer's cells) at one lag d,
// over the scored frames τ with τ−d ≥ 0.
type Lag struct {
	Lag    int       `json:"lag"`
	Frames int64     `json:"frames"` // scored frames τ ≥ Lag
	MeanH  float64   `json:"mean_dh"`
	MeanC  float64   `json:"mean_dc"`
	QuantH []float64 `json:"quantiles_dh"` // at Report.Quantiles
	QuantC []float64 `json:"quantiles_dc"`
}

// K2Result compares the per-error truncated weight gradient g(k2) with
// full BPTT's g(all), both summed over the measured sentences.
type K2Result struct {
	K2     int     `json:"k2"`      // tbptt.All (0) is full BPTT
	RelErr float64 `json:"rel_err"` // ‖g(k2) − g(all)‖ / ‖g(all)‖
	Cosine float64 `json:"cosine"`  // cos∠(g(k2), g(all))
	// SentenceCosine is the mean over sentences of the cosine between
	// the two gradients of each sentence alone (one sentence-sized update).
	SentenceCosine float64 `json:"sentence_cosine"`
	FramesBackward int64   `json:"frames_backward"` // cost of g(k2)
}

// Report is what Horizon measured.
type Report struct {
	Model       lstm.Config `json:"model"`
	Sentences   int         `json:"sentences"`
	Frames      int64       `json:"frames"` // scored frames
	TargetDelay int         `json:"target_delay"`
	Quantiles   []float64   `json:"quantiles"`
	// Layers[l][d] is layer l's summary at lag d (the top layer last).
	Layers [][]Lag `json:"layers"`
	// K2 is in increasing order with tbptt.All (full BPTT) last.
	K2     []K2Result `json:"k2"`
	Cosine float64    `json:"cosine_threshold"`
	// Recommended is the smallest k2 whose cosine reaches Cosine (tbptt.All if
	// none of the finite ones does).
	Recommended int `json:"recommended_k2"`
}

// Horizon measures how far back the error signal of m reaches on sents
// (features normalised as the model expects; labels as in data.Sentence,
// TIMIT61 indices or labels.Excluded): the state-gradient norms at each
// lag, and how much of the full-BPTT weight gradient each truncation keeps
// (see the comment at the top of horizon.go for the method and its cost).
//
// When ctx is cancelled Horizon returns ctx's error after the sentences
// being measured.
func Measure(ctx context.Context, m *lstm.Model, sents []*data.Sentence, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.MaxSentences > 0 && len(sents) > cfg.MaxSentences {
		sents = sents[:cfg.MaxSentences]
	}
	if len(sents) == 0 {
		return nil, errors.New("horizon: no sentences")
	}
	if err := tbptt.CheckSentences(m.Config(), sents); err != nil {
		return nil, fmt.Errorf("horizon: %w", err)
	}
	// No error reaches further back than the longest sentence: lags beyond
	// it are empty, so they are not measured (nor allocated: a huge Lags
	// would otherwise exhaust memory before measuring anything).
	longest := 0
	for _, s := range sents {
		longest = max(longest, s.Feats.Rows)
	}
	cfg.Lags = min(cfg.Lags, max(longest-1, 0))
	mc := m.Config()
	D, K := cfg.Lags, len(cfg.K2)
	P := len(m.Params())
	norms := make([][]lagNorms, mc.Layers)
	for l := range norms {
		norms[l] = make([]lagNorms, D+1)
	}
	gsum := make([][]float64, K)
	for k := range gsum {
		gsum[k] = make([]float64, P)
	}
	sentCos := make([]float64, K)
	backward := make([]int64, K)
	var scored int64

	workers := make([]*worker, min(cfg.Workers, len(sents)))
	for i := range workers {
		workers[i] = newWorker(m, cfg)
	}
	// Sentences go to the workers in groups and are merged in sentence
	// order, so results do not depend on the number of workers.
	for i := 0; i < len(sents); i += len(workers) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("horizon: %w", err)
		}
		group := sents[i:min(i+len(workers), len(sents))]
		var wg sync.WaitGroup
		for j, s := range group {
			wg.Add(1)
			go func() {
				defer wg.Done()
				workers[j].measure(s)
			}()
		}
		wg.Wait()
		for j := range group {
			w := workers[j]
			scored += w.scored
			for l := range norms {
				for d := range norms[l] {
					norms[l][d].h = append(norms[l][d].h, w.norms[l][d].h...)
					norms[l][d].c = append(norms[l][d].c, w.norms[l][d].c...)
				}
			}
			full := w.grads[K-1].Data
			for k := range K {
				g := w.grads[k].Data
				for p, v := range g {
					gsum[k][p] += float64(v)
				}
				sentCos[k] += cosine32(g, full)
				backward[k] += w.backward[k]
			}
			if cfg.Progress != nil {
				cfg.Progress(int64(group[j].Feats.Rows))
			}
		}
	}
	if scored == 0 {
		return nil, errors.New("horizon: no scored frame in the sentences")
	}

	rep := &Report{Model: mc, Sentences: len(sents), Frames: scored, TargetDelay: cfg.TargetDelay,
		Quantiles: cfg.Quantiles, Cosine: cfg.Cosine, Recommended: tbptt.All}
	rep.Layers = make([][]Lag, mc.Layers)
	for l := range norms {
		rep.Layers[l] = make([]Lag, 0, D+1)
		for d, ln := range norms[l] {
			if len(ln.c) == 0 {
				break // no sentence is that long
			}
			rep.Layers[l] = append(rep.Layers[l], Lag{Lag: d, Frames: int64(len(ln.c)),
				MeanH: mean32(ln.h), MeanC: mean32(ln.c),
				QuantH: quantiles(ln.h, cfg.Quantiles), QuantC: quantiles(ln.c, cfg.Quantiles)})
		}
	}
	full := gsum[K-1]
	fullNorm := norm64(full)
	if fullNorm == 0 {
		return nil, errors.New("horizon: the full-BPTT gradient is zero")
	}
	for k, k2 := range cfg.K2 {
		var diff, dot float64
		for p, v := range gsum[k] {
			diff += (v - full[p]) * (v - full[p])
			dot += v * full[p]
		}
		cos := 0.0
		if n := norm64(gsum[k]); n > 0 {
			cos = dot / (n * fullNorm)
		}
		rep.K2 = append(rep.K2, K2Result{K2: k2, RelErr: math.Sqrt(diff) / fullNorm, Cosine: cos,
			SentenceCosine: sentCos[k] / float64(len(sents)), FramesBackward: backward[k]})
		if rep.Recommended == tbptt.All && k2 != tbptt.All && cos >= cfg.Cosine {
			rep.Recommended = k2
		}
	}
	return rep, nil
}

// lagNorms collects per-frame norms at one lag.
type lagNorms struct{ h, c []float32 }

// worker measures one sentence at a time with its own buffers.
type worker struct {
	m       *lstm.Model
	cfg     Config
	tr      *lstm.Trace
	scratch *lstm.Grads // weight gradients of the horizon passes (unused)
	targets []int32

	// Results of the last sentence.
	scored   int64
	norms    [][]lagNorms // [layer][lag]
	grads    []*lstm.Grads
	backward []int64
}

func newWorker(m *lstm.Model, cfg Config) *worker {
	w := &worker{m: m, cfg: cfg, tr: m.NewTrace(), scratch: m.NewGrads(),
		norms: make([][]lagNorms, m.Config().Layers), backward: make([]int64, len(cfg.K2))}
	for l := range w.norms {
		w.norms[l] = make([]lagNorms, cfg.Lags+1)
	}
	for range cfg.K2 {
		w.grads = append(w.grads, m.NewGrads())
	}
	return w
}

// measure runs sentence s and leaves its results in w.
func (w *worker) measure(s *data.Sentence) {
	m, tr, D := w.m, w.tr, w.cfg.Lags
	n := s.Feats.Rows
	w.targets = slices.Grow(w.targets[:0], n)[:n]
	w.scored = 0
	for t := range n {
		w.targets[t] = -1
		if t >= w.cfg.TargetDelay && s.Labels[t-w.cfg.TargetDelay] != labels.Excluded {
			w.targets[t] = s.Labels[t-w.cfg.TargetDelay]
			w.scored++
		}
	}
	tr.Start(s.Feats.Data[:n*s.Feats.Cols], nil, -1)
	m.Forward(tr, n)
	m.Outputs(tr, 0, n)

	for l := range w.norms {
		for d := range w.norms[l] {
			w.norms[l][d].h = w.norms[l][d].h[:0]
			w.norms[l][d].c = w.norms[l][d].c[:0]
		}
	}
	for τ := range n {
		if w.targets[τ] < 0 {
			continue
		}
		lo := max(0, τ-D)
		m.Backward(w.scratch, tr, lo, τ+1, w.targets, τ, 1)
		for l := range w.norms {
			for d := 0; d <= τ-lo; d++ {
				dh, dc := tr.StateGrad(l, τ-d)
				ln := &w.norms[l][d]
				ln.h = append(ln.h, float32(norm32(dh)))
				ln.c = append(ln.c, float32(norm32(dc)))
			}
		}
	}
	for k, k2 := range w.cfg.K2 {
		g := w.grads[k]
		g.Zero()
		w.backward[k] = int64(truncatedGradient(m, tr, w.targets, k2, g))
	}
}

// truncatedGradient adds to g the per-error truncated gradient Σ_τ ∂L_τ/∂θ
// of the sentence run in tr (targets < 0: unscored), each L_τ
// back-propagated through frames max(0, τ−k2+1) … τ, and returns the
// number of frames back-propagated.
func truncatedGradient(m *lstm.Model, tr *lstm.Trace, targets []int32, k2 int, g *lstm.Grads) int {
	n := tr.Len()
	if n == 0 {
		return 0
	}
	if k2 == tbptt.All || k2 >= n {
		return m.Backward(g, tr, 0, n, targets, 0, 1)
	}
	// Errors τ < k2 reach the sentence start: one shared pass.
	back := m.Backward(g, tr, 0, k2, targets, 0, 1)
	for τ := k2; τ < n; τ++ {
		if targets[τ] >= 0 {
			back += m.Backward(g, tr, τ-k2+1, τ+1, targets, τ, 1)
		}
	}
	return back
}

func norm32(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func norm64(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// cosine32 is the cosine between a and b, 0 if either is zero.
func cosine32(a, b []float32) float64 {
	var dot, na, nb float64
	for i, x := range a {
		y := float64(b[i])
		dot += float64(x) * y
		na += float64(x) * float64(x)
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func mean32(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

// quantiles returns the qs-quantiles of v (linear interpolation between
// order statistics, R's type 7). It sorts a copy of v.
func quantiles(v []float32, qs []float64) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	out := make([]float64, len(qs))
	for i, q := range qs {
		h := q * float64(len(s)-1)
		lo := int(math.Floor(h))
		hi := min(lo+1, len(s)-1)
		out[i] = float64(s[lo]) + (h-float64(lo))*(float64(s[hi])-float64(s[lo]))
	}
	return out
}

// Top returns the top layer's lags.
func (r *Report) Top() []Lag { return r.Layers[len(r.Layers)-1] }

// Reach returns the first lag at which the top layer's mean ‖∂L/∂c‖ falls
// below frac times its value at lag 0, or −1 if it stays above up to the
// last lag measured.
func (r *Report) Reach(frac float64) int {
	top := r.Top()
	for _, l := range top {
		if l.MeanC < frac*top[0].MeanC {
			return l.Lag
		}
	}
	return -1
}

// Find returns the comparison for k2, if it was measured.
func (r *Report) Find(k2 int) (K2Result, bool) {
	for _, k := range r.K2 {
		if k.K2 == k2 {
			return k, true
		}
	}
	return K2Result{}, false
}

// Recommendation is the report's conclusion as one line.
func (r *Report) Recommendation() string {
	var b strings.Builder
	k, _ := r.Find(r.Recommended)
	if r.Recommended == tbptt.All {
		fmt.Fprintf(&b, "recommended k2 = all: no k2 measured keeps cosine ≥ %g to the full-BPTT gradient", r.Cosine)
	} else {
		fmt.Fprintf(&b, "recommended k2 = %d: the smallest measured k2 whose gradient keeps cosine ≥ %g to full BPTT (cosine %.4f, relative error %.3f)",
			r.Recommended, r.Cosine, k.Cosine, k.RelErr)
	}
	fmt.Fprintf(&b, " over %d sentences (%d scored frames)", r.Sentences, r.Frames)
	if reach := r.Reach(0.01); reach >= 0 {
		fmt.Fprintf(&b, "; mean ‖∂L/∂c‖ falls below 1%% of lag 0 at lag %d", reach)
	} else {
		fmt.Fprintf(&b, "; mean ‖∂L/∂c‖ stays above 1%% of lag 0 up to lag %d", r.Top()[len(r.Top())-1].Lag)
	}
	return b.String()
}

// WriteJSON writes the whole report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteLagCSV writes one row per layer and lag: layer, lag, frames, mean
// ‖∂L/∂h‖ and ‖∂L/∂c‖ and their quantiles.
func (r *Report) WriteLagCSV(w io.Writer) error {
	cols := []string{"layer", "lag", "frames", "mean_dh", "mean_dc"}
	for _, q := range r.Quantiles {
		cols = append(cols, "dh_q"+qName(q))
	}
	for _, q := range r.Quantiles {
		cols = append(cols, "dc_q"+qName(q))
	}
	if _, err := fmt.Fprintln(w, strings.Join(cols, ",")); err != nil {
		return err
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for l, lags := range r.Layers {
		for _, x := range lags {
			row := []string{strconv.Itoa(l), strconv.Itoa(x.Lag), strconv.FormatInt(x.Frames, 10), g(x.MeanH), g(x.MeanC)}
			for _, v := range x.QuantH {
				row = append(row, g(v))
			}
			for _, v := range x.QuantC {
				row = append(row, g(v))
			}
			if _, err := fmt.Fprintln(w, strings.Join(row, ",")); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteK2CSV writes one row per k2: k2 ("all" for full BPTT), relative
// error, cosine, mean per-sentence cosine, frames back-propagated.
func (r *Report) WriteK2CSV(w io.Writer) error {
	if _, err := fmt.Fprintln(w, "k2,rel_err,cosine,sentence_cosine,frames_backward"); err != nil {
		return err
	}
	for _, k := range r.K2 {
		if _, err := fmt.Fprintf(w, "%s,%.6g,%.6g,%.6g,%d\n", tbptt.K2String(k.K2), k.RelErr, k.Cosine, k.SentenceCosine, k.FramesBackward); err != nil {
			return err
		}
	}
	return nil
}

// qName names a quantile column: 0.1 → "10", 0.05 → "5", 0.975 → "97.5".
func qName(q float64) string { return strconv.FormatFloat(100*q, 'f', -1, 64) }

// LagPlot draws the top layer's mean ‖∂L/∂c‖ and ‖∂L/∂h‖ against the lag on
// a log scale, each with a band between the first and last quantile.
func (r *Report) LagPlot(title string) (*gplot.Plot, error) {
	top := r.Top()
	var sc, sh plot.Series
	qa, qb := 0, len(r.Quantiles)-1
	sc.Name = fmt.Sprintf("‖∂L_τ/∂c_τ−d‖ (mean, %s–%s%% band)", qName(r.Quantiles[qa]), qName(r.Quantiles[qb]))
	sh.Name = fmt.Sprintf("‖∂L_τ/∂h_τ−d‖ (mean, %s–%s%% band)", qName(r.Quantiles[qa]), qName(r.Quantiles[qb]))
	for _, x := range top {
		d := float64(x.Lag)
		sc.X, sc.Y = append(sc.X, d), append(sc.Y, x.MeanC)
		sc.Lo, sc.Hi = append(sc.Lo, x.QuantC[qa]), append(sc.Hi, x.QuantC[qb])
		sh.X, sh.Y = append(sh.X, d), append(sh.Y, x.MeanH)
		sh.Lo, sh.Hi = append(sh.Lo, x.QuantH[qa]), append(sh.Hi, x.QuantH[qb])
	}
	if title == "" {
		title = "Gradient horizon"
	}
	title += fmt.Sprintf(" (layer %d of %d, %d sentences)", len(r.Layers), len(r.Layers), r.Sentences)
	p, err := plot.Lines([]plot.Series{sc, sh}, plot.LineOptions{Title: title,
		XLabel: "lag d (frames)", YLabel: "gradient norm", LogY: true})
	if err != nil {
		return nil, err
	}
	p.Y.Tick.Marker = gplot.TickerFunc(decadeTicks)
	// Headroom above the data for the legend: a fifth of the decades shown.
	if p.Y.Min > 0 && p.Y.Max > p.Y.Min {
		p.Y.Max *= math.Pow(p.Y.Max/p.Y.Min, 0.25)
	}
	return p, nil
}

// decadeTicks labels powers of ten on a log axis, every one for up to 8
// decades and a sparser selection (with unlabelled ticks between) for
// wider ranges, where a gradient has vanished by many orders of magnitude.
func decadeTicks(lo, hi float64) []gplot.Tick {
	if !(lo > 0 && hi > lo) {
		return nil
	}
	a, b := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	step := max(1, (b-a+7)/8)
	var ticks []gplot.Tick
	for e := a; e <= b; e++ {
		v := math.Pow(10, float64(e))
		if v < lo || v > hi {
			continue
		}
		t := gplot.Tick{Value: v}
		if e%step == 0 {
			t.Label = "1e" + strconv.Itoa(e)
			if e >= -2 && e <= 2 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// K2Plot draws the relative error and the cosine of the truncated gradient
// against k2 (log scale), with the recommendation's threshold. Full BPTT
// (tbptt.All; relative error 0, cosine 1 by definition) is left out.
func (r *Report) K2Plot(title string) (*gplot.Plot, error) {
	rel := plot.Series{Name: "‖g(k2) − g(all)‖ / ‖g(all)‖"}
	cos := plot.Series{Name: "cos(g(k2), g(all))"}
	thr := plot.Series{Name: fmt.Sprintf("cosine %g", r.Cosine)}
	for _, k := range r.K2 {
		if k.K2 == tbptt.All {
			continue
		}
		x := float64(k.K2)
		rel.X, rel.Y = append(rel.X, x), append(rel.Y, k.RelErr)
		cos.X, cos.Y = append(cos.X, x), append(cos.Y, k.Cosine)
		thr.X, thr.Y = append(thr.X, x), append(thr.Y, r.Cosine)
	}
	if title == "" {
		title = "Truncated vs full-BPTT gradient"
	}
	rec := "all"
	if r.Recommended != tbptt.All {
		rec = strconv.Itoa(r.Recommended)
	}
	title += fmt.Sprintf(" (per-error truncation; recommended k2 = %s)", rec)
	p, err := plot.Lines([]plot.Series{rel, cos, thr}, plot.LineOptions{Title: title,
		XLabel: "k2 (frames back-propagated)", YLabel: "relative error, cosine", LogX: true})
	if err != nil {
		return nil, err
	}
	// Cosines crowd just below 1, where the legend would sit: room above.
	p.Y.Min = min(0, p.Y.Min)
	p.Y.Max = max(1.3, p.Y.Max*1.3)
	return p, nil
}

// WriteFiles writes into dir: horizon.json (the report), horizon_lags.csv,
// horizon_k2.csv and the plots horizon_lags and horizon_k2 (.png, .svg).
// It returns the paths written.
func (r *Report) WriteFiles(dir, title string) ([]string, error) {
	var files []string
	write := func(name string, f func(io.Writer) error) error {
		p := filepath.Join(dir, name)
		if err := atomicfile.WriteFile(p, f); err != nil {
			return err
		}
		files = append(files, p)
		return nil
	}
	if err := write("horizon.json", r.WriteJSON); err != nil {
		return files, err
	}
	if err := write("horizon_lags.csv", r.WriteLagCSV); err != nil {
		return files, err
	}
	if err := write("horizon_k2.csv", r.WriteK2CSV); err != nil {
		return files, err
	}
	lp, err := r.LagPlot(title)
	if err != nil {
		return files, err
	}
	kp, err := r.K2Plot(title)
	if err != nil {
		return files, err
	}
	for _, pl := range []struct {
		name string
		p    *gplot.Plot
	}{{"horizon_lags", lp}, {"horizon_k2", kp}} {
		for _, ext := range []string{".png", ".svg"} {
			p := filepath.Join(dir, pl.name+ext)
			if err := plot.Save(pl.p, p, plot.Width, plot.Height); err != nil {
				return files, err
			}
			files = append(files, p)
		}
	}
	return files, nil
}

// Summary is the short form of a Report recorded while
// training (one JSON line per measurement).
type Summary struct {
	Updates int64  `json:"updates"`
	Epoch   int    `json:"epoch"`                 // 1-based epoch in progress
	K2      string `json:"k2_in_force,omitempty"` // the k2 being trained with
	// Reach1 and Reach10 are the lags at which the top layer's mean
	// ‖∂L/∂c‖ falls below 1% and 10% of lag 0 (−1: not within the lags
	// measured).
	Reach1      int     `json:"reach_dc_1pct"`
	Reach10     int     `json:"reach_dc_10pct"`
	Recommended string  `json:"recommended_k2"`
	Cosine      float64 `json:"cosine_threshold"`
	// Cosines maps each k2 measured to its gradient's cosine to full BPTT.
	Cosines map[string]float64 `json:"cosines"`
	Seconds float64            `json:"seconds"` // time the measurement took
}

// Summary returns the short form of r.
func (r *Report) Summary() Summary {
	s := Summary{Reach1: r.Reach(0.01), Reach10: r.Reach(0.1), Recommended: tbptt.K2String(r.Recommended),
		Cosine: r.Cosine, Cosines: map[string]float64{}}
	for _, k := range r.K2 {
		if k.K2 != tbptt.All {
			s.Cosines[tbptt.K2String(k.K2)] = k.Cosine
		}
	}
	return s
}
