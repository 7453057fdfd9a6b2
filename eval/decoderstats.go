package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/labels"
)

// DecoderStats are the statistics of a training split that the Viterbi
// phone-loop decoder needs: frame label counts (phone priors), phone
// durations and phone bigram counts. They are counts, not probabilities:
// NewPhoneLoop turns them into the decoder's scores, with the smoothing
// documented there.
type DecoderStats struct {
	// Frames[p] counts the training frames labelled p.
	Frames []int64 `json:"frames"`
	// Segments[p] counts the runs of frames labelled p in the training
	// alignments (a run ends at another label, an excluded frame or the
	// sentence's end) and RunFrames[p] their total length.
	Segments  []int64 `json:"segments"`
	RunFrames []int64 `json:"run_frames"`
	// MinFrames[p] is the minimum duration of phone p in frames: the
	// MinDurationQuantile quantile of its run lengths, at least 1 (1 for a
	// phone never seen).
	MinFrames []int `json:"min_frames"`
	// Bigram counts of the reference phone strings (the text file):
	// Start[q] sentences start with q, End[p] end with p, Pairs[p*61+q]
	// times q follows p.
	Start []int64 `json:"start"`
	End   []int64 `json:"end"`
	Pairs []int64 `json:"pairs"`
}

// MinDurationQuantile is the quantile of a phone's training run lengths
// taken as its minimum duration. A phone's shortest runs are often single
// frames at segment boundaries (alignment jitter), so the strict minimum
// would be 1 frame for almost every phone; the 5% quantile keeps the
// constraint meaningful while still allowing 95% of the training
// durations.
const MinDurationQuantile = 0.05

// ComputeDecoderStats counts the decoder statistics of a training split.
// It needs the split's reference phone strings (data.Split.CheckText).
func ComputeDecoderStats(s *data.Split) (*DecoderStats, error) {
	if err := s.CheckText(); err != nil {
		return nil, err
	}
	const n = labels.NumPhones
	st := &DecoderStats{
		Frames: make([]int64, n), Segments: make([]int64, n), RunFrames: make([]int64, n),
		MinFrames: make([]int, n), Start: make([]int64, n), End: make([]int64, n), Pairs: make([]int64, n*n),
	}
	runs := make([][]int, n)
	var lab []int32
	for i, x := range s.Sentences {
		lab = s.Labels(i, lab) // training streams its split: no Labels then
		run := 0
		for t, l := range lab {
			if l >= 0 {
				st.Frames[l]++
				run++
			}
			if l >= 0 && (t+1 == len(lab) || lab[t+1] != l) {
				runs[l] = append(runs[l], run)
				run = 0
			}
		}
		ph := x.Phones
		st.Start[ph[0]]++
		st.End[ph[len(ph)-1]]++
		for i := 1; i < len(ph); i++ {
			st.Pairs[int(ph[i-1])*n+int(ph[i])]++
		}
	}
	for p, r := range runs {
		st.MinFrames[p] = 1
		if len(r) == 0 {
			continue
		}
		slices.Sort(r)
		st.Segments[p] = int64(len(r))
		for _, d := range r {
			st.RunFrames[p] += int64(d)
		}
		st.MinFrames[p] = max(1, r[int(MinDurationQuantile*float64(len(r)-1))])
	}
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Dir, err)
	}
	return st, nil
}

// maxCount bounds every count of DecoderStats.
const maxCount = 1e12

// check validates the shapes and values of st (as read from a file).
func (st *DecoderStats) check() error {
	const n = labels.NumPhones
	for _, c := range []struct {
		name string
		v    []int64
		want int
	}{{"frames", st.Frames, n}, {"segments", st.Segments, n}, {"run_frames", st.RunFrames, n},
		{"start", st.Start, n}, {"end", st.End, n}, {"pairs", st.Pairs, n * n}} {
		if len(c.v) != c.want {
			return fmt.Errorf("decoder statistics: %d %s counts, want %d", len(c.v), c.name, c.want)
		}
		for _, v := range c.v {
			// 10¹² is a million times TIMIT's frames, and keeps every sum
			// of counts far from overflowing.
			if v < 0 || v > maxCount {
				return fmt.Errorf("decoder statistics: %s count %d outside 0…%d", c.name, v, int64(maxCount))
			}
		}
	}
	if len(st.MinFrames) != n {
		return fmt.Errorf("decoder statistics: %d minimum durations, want %d", len(st.MinFrames), n)
	}
	var total, starts int64
	for p := range n {
		if st.MinFrames[p] < 1 || st.MinFrames[p] > 1000 {
			return fmt.Errorf("decoder statistics: minimum duration %d of phone %d outside 1…1000 frames", st.MinFrames[p], p)
		}
		if st.Segments[p] > 0 && st.RunFrames[p] < st.Segments[p]*int64(st.MinFrames[p]) {
			return fmt.Errorf("decoder statistics: phone %d: %d frames in %d runs is shorter than the minimum duration %d", p, st.RunFrames[p], st.Segments[p], st.MinFrames[p])
		}
		total += st.Frames[p]
		starts += st.Start[p]
	}
	if total == 0 || starts == 0 {
		return errors.New("decoder statistics: no training frames or sentences")
	}
	return nil
}

// DecoderWeights are the three tuned weights of the Viterbi decoder.
type DecoderWeights struct {
	// PriorScale α: a phone's emission score is log posterior − α·log prior
	// (α = 1 gives scaled likelihoods, the classic hybrid; 0 the
	// posteriors).
	PriorScale float64 `json:"prior_scale"`
	// LMWeight multiplies the bigram log probabilities.
	LMWeight float64 `json:"lm_weight"`
	// InsertionPenalty is added to the score of every phone entered
	// (negative values penalise insertions).
	InsertionPenalty float64 `json:"insertion_penalty"`
}

// DefaultDecoderWeights returns the weights before tuning: scaled likelihoods,
// the bigram at its own weight, no insertion penalty.
func DefaultDecoderWeights() DecoderWeights {
	return DecoderWeights{PriorScale: 1, LMWeight: 1, InsertionPenalty: 0}
}

func (w DecoderWeights) check() error {
	for _, v := range []float64{w.PriorScale, w.LMWeight, w.InsertionPenalty} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("decoder weights %+v: not finite", w)
		}
	}
	if w.PriorScale < 0 || w.LMWeight < 0 {
		return fmt.Errorf("decoder weights %+v: prior scale and LM weight must not be negative", w)
	}
	return nil
}

// DecoderFile is what phoneme eval --tune-decoder saves beside a model
// (MODEL.decoder.json): the statistics of the model's training split, the
// tuned weights and where they came from. Model ties it to one checkpoint
// file (its SHA-256), so that a retrained model is not decoded with
// another's tuning.
type DecoderFile struct {
	Format  string         `json:"format"` // DecoderFormat
	Model   string         `json:"model_sha256"`
	Train   string         `json:"train"` // the training split the statistics came from
	Stats   *DecoderStats  `json:"stats"`
	Weights DecoderWeights `json:"weights"`
	// Tuning records the search that chose Weights.
	Tuning *TuneSummary `json:"tuning,omitempty"`
}

// DecoderFormat names the DecoderFile format (and its version).
const DecoderFormat = "phoneme-decoder-1"

// TuneSummary records a tuning run: the split tuned on, its utterances,
// the grid size and the best dev figures.
type TuneSummary struct {
	Data       string  `json:"data"`
	Utterances int     `json:"utterances"`
	Points     int     `json:"points"`
	PER39      float64 `json:"per39"`
	GreedyPER  float64 `json:"greedy_per39"`
	DefaultPER float64 `json:"default_per39"`
}

// WriteJSON writes f as indented JSON.
func (f *DecoderFile) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(f)
}

// ReadDecoderFile reads and checks a DecoderFile (callers add the file
// name to errors).
func ReadDecoderFile(r io.Reader) (*DecoderFile, error) {
	d := json.NewDecoder(io.LimitReader(r, 16<<20))
	d.DisallowUnknownFields()
	var f DecoderFile
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a decoder file: %w", err)
	}
	if f.Format != DecoderFormat {
		return nil, fmt.Errorf("format %q, want %q", f.Format, DecoderFormat)
	}
	if f.Stats == nil {
		return nil, errors.New("no decoder statistics")
	}
	if err := f.Stats.check(); err != nil {
		return nil, err
	}
	if err := f.Weights.check(); err != nil {
		return nil, err
	}
	return &f, nil
}
