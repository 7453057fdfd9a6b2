package eval

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

func TestUtteranceScoreSentence(t *testing.T) {
	// Each case is a split of sentences scored into one confusion matrix;
	// want holds the counts of each sentence.
	type sent struct{ hyp, ref string }
	tests := []struct {
		name  string
		sents []sent
		delay int
		want  []UtteranceScore // ID and Speaker unset
	}{
		{
			name: "two utterances",
			sents: []sent{
				{hyp: "aa b iy s", ref: "aa b iy z"},
				// ao→aa, bcl/pau→sil: wrong over 61, right over 39.
				{hyp: "aa pau ih t", ref: "ao bcl ix t"},
			},
			want: []UtteranceScore{
				{Frames61: 4, Errors61: 1, Frames39: 4, Errors39: 1},
				{Frames61: 4, Errors61: 3, Frames39: 4, Errors39: 0},
			},
		},
		{
			name: "q and excluded",
			sents: []sent{
				// Reference q: scored over 61 (once wrong), dropped over 39.
				{hyp: "aa t q iy", ref: "aa q q iy"},
				// Hypothesis q: an error over 39 as well; excluded not scored.
				{hyp: "aa q s s", ref: "aa t - z"},
			},
			want: []UtteranceScore{
				{Frames61: 4, Errors61: 1, Frames39: 2, Errors39: 0},
				{Frames61: 3, Errors61: 2, Frames39: 3, Errors39: 2},
			},
		},
		{
			name:  "delay",
			delay: 2,
			sents: []sent{
				// Pairs (aa, aa), (b, b), (s, iy).
				{hyp: "z z aa b s", ref: "aa b iy y y"},
				// Pairs (q, t), (ix, q): the second not scored over 39.
				{hyp: "z z q ix", ref: "t q y y"},
				// Shorter than the delay: nothing scored.
				{hyp: "aa", ref: "aa"},
			},
			want: []UtteranceScore{
				{Frames61: 3, Errors61: 1, Frames39: 3, Errors39: 1},
				{Frames61: 2, Errors61: 2, Frames39: 1, Errors39: 1},
				{},
			},
		},
	}
	fold := labels.Fold39()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfusion61()
			var sum UtteranceScore
			for i, s := range tt.sents {
				var u UtteranceScore
				n, err := c.addSentence(ph(t, s.hyp), ph(t, s.ref), tt.delay, fold, &u)
				if err != nil {
					t.Fatal(err)
				}
				if u != tt.want[i] {
					t.Errorf("sentence %d: %+v, want %+v", i, u, tt.want[i])
				}
				if int64(n) != u.Frames61 {
					t.Errorf("sentence %d: addSentence scored %d frames, counted %d", i, n, u.Frames61)
				}
				sum.Frames61 += u.Frames61
				sum.Errors61 += u.Errors61
				sum.Frames39 += u.Frames39
				sum.Errors39 += u.Errors39
			}
			r, err := NewReport(c, len(tt.sents))
			if err != nil {
				t.Fatal(err)
			}
			checkSums(t, r, sum)
		})
	}
}

// checkSums fails unless the summed per-utterance counts are the report's.
func checkSums(t *testing.T, r *Report, sum UtteranceScore) {
	t.Helper()
	if sum.Frames61 != r.Frames || sum.Errors61 != r.Confusion61.Errors() ||
		sum.Frames39 != r.Frames39 || sum.Errors39 != r.Confusion39.Errors() {
		t.Errorf("summed utterances %+v; report: 61 %d frames %d errors, 39 %d frames %d errors",
			sum, r.Frames, r.Confusion61.Errors(), r.Frames39, r.Confusion39.Errors())
	}
	// The rates follow from the counts, exactly up to the division.
	if sum.Frames61 > 0 && math.Abs(r.FER61*float64(sum.Frames61)-float64(sum.Errors61)) > 1e-6 {
		t.Errorf("FER61 %v × %d frames ≠ %d errors", r.FER61, sum.Frames61, sum.Errors61)
	}
	if sum.Frames39 > 0 && math.Abs(r.FER39*float64(sum.Frames39)-float64(sum.Errors39)) > 1e-6 {
		t.Errorf("FER39 %v × %d frames ≠ %d errors", r.FER39, sum.Frames39, sum.Errors39)
	}
}

// TestFoldFrame checks the per-frame rule against Fold on every pair of
// reference and hypothesis, q included.
func TestFoldFrame(t *testing.T) {
	fold := labels.Fold39()
	for r := range labels.NumPhones {
		for h := range labels.NumPhones {
			c := NewConfusion61()
			c.Add(r, h, 1)
			f, err := c.Fold(fold)
			if err != nil {
				t.Fatal(err)
			}
			var u UtteranceScore
			u.add(fold, r, h)
			if u.Frames61 != 1 || u.Errors61 != c.Errors() || u.Frames39 != f.Total() || u.Errors39 != f.Errors() {
				t.Fatalf("ref %d hyp %d: %+v; Fold: %d frames %d errors", r, h, u, f.Total(), f.Errors())
			}
		}
	}
}

func TestEvaluateUtterances(t *testing.T) {
	tests := []struct {
		name  string
		delay int
		model bool // EvaluateModel with the checkpoint's delay, on raw features
	}{
		{name: "delay 0", delay: 0},
		{name: "delay 1", delay: 1},
		{name: "delay 5", delay: 5},
		{name: "checkpoint", model: true},
	}
	q, _ := labels.TIMIT61().Index("q")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, md, s := testSplit(t)
			// Many q references (dropped over 39) besides the excluded labels,
			// and a speaker per pair of sentences.
			rng := rand.New(rand.NewPCG(7, 8))
			for i, sent := range s.Sentences {
				sent.Speaker = fmt.Sprintf("spk%d", i/2)
				for j := range sent.Labels {
					if rng.IntN(8) == 0 {
						sent.Labels[j] = int32(q)
					}
				}
			}
			delay := tt.delay
			if tt.model {
				delay = md.TargetDelay
			} else {
				s.Normalize(md.CMVNMean, md.CMVNStd)
			}
			run := func() *Report {
				t.Helper()
				var r *Report
				var err error
				if tt.model {
					r, err = EvaluateModel(m, md, s)
				} else {
					r, err = Evaluate(m, s, delay)
				}
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			r := run()
			if len(r.Utterances) != len(s.Sentences) {
				t.Fatalf("%d utterance scores for %d sentences", len(r.Utterances), len(s.Sentences))
			}
			var sum UtteranceScore
			for i, u := range r.Utterances {
				sent := s.Sentences[i]
				if u.ID != sent.ID || u.Speaker != sent.Speaker {
					t.Errorf("utterance %d is %s/%s, the split has %s/%s", i, u.Speaker, u.ID, sent.Speaker, sent.ID)
				}
				sum.Frames61 += u.Frames61
				sum.Errors61 += u.Errors61
				sum.Frames39 += u.Frames39
				sum.Errors39 += u.Errors39
			}
			if sum.Frames39 >= sum.Frames61 {
				t.Errorf("no reference q dropped over 39 (%d of %d frames)", sum.Frames39, sum.Frames61)
			}
			checkSums(t, r, sum)

			// Each utterance's counts are those of a report on it alone.
			serial := serialConfusions(t, m, md, s, delay, tt.model)
			for i, c := range serial {
				ri, err := NewReport(c, 1)
				if err != nil {
					t.Fatal(err)
				}
				u := r.Utterances[i]
				if u.Frames61 != ri.Frames || u.Errors61 != c.Errors() || u.Frames39 != ri.Frames39 || u.Errors39 != ri.Confusion39.Errors() {
					t.Errorf("utterance %s: %+v; alone: 61 %d/%d, 39 %d/%d", u.ID, u, c.Errors(), ri.Frames, ri.Confusion39.Errors(), ri.Frames39)
				}
				if ri.Frames > 0 && u.FER61() != ri.FER61 || ri.Frames39 > 0 && u.FER39() != ri.FER39 {
					t.Errorf("utterance %s: FER %v %v, alone %v %v", u.ID, u.FER61(), u.FER39(), ri.FER61, ri.FER39)
				}
			}

			// The order does not depend on the scheduling.
			for range 5 {
				if r2 := run(); fmt.Sprint(r2.Utterances) != fmt.Sprint(r.Utterances) {
					t.Fatal("utterance scores differ between runs")
				}
			}

			// The JSON report does not carry them.
			var with, without bytes.Buffer
			if err := r.WriteJSON(&with); err != nil {
				t.Fatal(err)
			}
			r.Utterances = nil
			if err := r.WriteJSON(&without); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(with.Bytes(), without.Bytes()) {
				t.Error("the utterance scores change the JSON report")
			}
		})
	}
}

// serialConfusions scores each sentence of s alone into its own matrix,
// normalising a copy of its features first when raw is true.
func serialConfusions(t *testing.T, m *lstm.Model, md *lstm.Metadata, s *data.Split, delay int, raw bool) []*Confusion {
	t.Helper()
	var out []*Confusion
	for _, sent := range s.Sentences {
		x := sent.Feats
		if raw {
			x = &features.Matrix{Rows: x.Rows, Cols: x.Cols, Data: slices.Clone(x.Data)}
			features.Normalize(x, md.CMVNMean, md.CMVNStd)
		}
		lp := m.LogProbs(x)
		c := NewConfusion61()
		if _, err := c.AddSentence(Decode(nil, lp.Data, lp.Cols), sent.Labels, delay); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestUtteranceFERZero(t *testing.T) {
	var u UtteranceScore
	if u.FER61() != 0 || u.FER39() != 0 {
		t.Error("rates of nothing scored are not 0")
	}
	u = UtteranceScore{Frames61: 4, Errors61: 1, Frames39: 2, Errors39: 1}
	if u.FER61() != 0.25 || u.FER39() != 0.5 {
		t.Errorf("FER %v %v, want 0.25 0.5", u.FER61(), u.FER39())
	}
}
