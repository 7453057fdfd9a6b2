package eval

import (
	"bytes"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// TestComputeDecoderStats counts a hand-made split: frame counts, runs
// (broken by excluded frames and sentence ends), 5 % quantile minimum
// durations and bigram counts of the text.
func TestComputeDecoderStats(t *testing.T) {
	const n = labels.NumPhones
	ex := labels.Excluded
	sent := func(id string, lab []int32, phones []int32) *data.Sentence {
		return &data.Sentence{ID: id, Speaker: "s", Feats: features.NewMatrix(len(lab), 1), Labels: lab, Phones: phones}
	}
	s := &data.Split{Dir: "train", Sentences: []*data.Sentence{
		sent("a", []int32{27, 27, 27, 5, 5, ex, 5, 27}, []int32{27, 5, 5, 27}),
		sent("b", []int32{27, 9, 9, 9, 9, 27, 27}, []int32{27, 9, 27}),
	}}
	st, err := ComputeDecoderStats(s)
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames[27] != 7 || st.Frames[5] != 3 || st.Frames[9] != 4 {
		t.Errorf("frames %d %d %d", st.Frames[27], st.Frames[5], st.Frames[9])
	}
	// h# runs 3, 1, 1, 2; ax runs 2 and 1 (the excluded frame splits it);
	// b one run of 4.
	if st.Segments[27] != 4 || st.RunFrames[27] != 7 || st.Segments[5] != 2 || st.RunFrames[5] != 3 || st.Segments[9] != 1 {
		t.Errorf("runs: h# %d/%d, ax %d/%d, b %d", st.Segments[27], st.RunFrames[27], st.Segments[5], st.RunFrames[5], st.Segments[9])
	}
	if st.MinFrames[27] != 1 || st.MinFrames[9] != 4 || st.MinFrames[0] != 1 {
		t.Errorf("minimum durations h# %d, b %d, unseen aa %d", st.MinFrames[27], st.MinFrames[9], st.MinFrames[0])
	}
	if st.Start[27] != 2 || st.End[27] != 2 || st.Pairs[27*n+5] != 1 || st.Pairs[5*n+5] != 1 || st.Pairs[9*n+27] != 1 {
		t.Errorf("bigram counts")
	}
	s.Sentences[0].Phones = nil
	if _, err := ComputeDecoderStats(s); err == nil || !strings.Contains(err.Error(), "re-run phoneme extract") {
		t.Errorf("without text: %v", err)
	}
}

// TestNewPhoneLoopProbabilities: the bigram rows and the self-loop/exit
// pairs are probability distributions (at LM weight 1, no penalty,
// log-probabilities sum to 1 with start/end included).
func TestNewPhoneLoopProbabilities(t *testing.T) {
	g, err := NewPhoneLoop(SyntheticDecoderStats(rand.New(rand.NewPCG(3, 3))), DecoderWeights{PriorScale: 1, LMWeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	const n = labels.NumPhones
	var start float64
	for q := range n {
		start += math.Exp(float64(g.start[q]))
	}
	// Smoothing gives the empty sentence (</s> right after <s>) a small
	// share, which no path uses.
	if start > 1+1e-5 || start < 0.999 {
		t.Errorf("P(·|<s>) sums to %g", start)
	}
	for p := range n {
		// trans and finish include the exit probability 1 − a_p; with the
		// self-loop a_p everything leaving the last state sums to 1.
		sum := math.Exp(float64(g.selfLp[p])) + math.Exp(float64(g.finish[p]))
		for q := range n {
			sum += math.Exp(float64(g.trans[p*n+q]))
		}
		if math.Abs(sum-1) > 1e-5 { // float32 scores: 61 terms of ~1e-7 relative error
			t.Errorf("phone %d: probabilities leaving its last state sum to %g", p, sum)
		}
	}
}

// TestDecoderFileRoundTrip: a written decoder file reads back equal;
// damaged ones are refused.
func TestDecoderFileRoundTrip(t *testing.T) {
	f := &DecoderFile{Format: DecoderFormat, Model: "abc", Train: "/x/train", Stats: SyntheticDecoderStats(rand.New(rand.NewPCG(1, 1))), Weights: DefaultDecoderWeights()}
	var b bytes.Buffer
	if err := f.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	g, err := ReadDecoderFile(bytes.NewReader(b.Bytes()))
	if err != nil || g.Model != "abc" || g.Stats.MinFrames[3] != f.Stats.MinFrames[3] || g.Weights != f.Weights {
		t.Fatalf("read back %+v, %v", g, err)
	}
	for _, c := range []struct{ name, from, to, err string }{
		{"format", DecoderFormat, "phoneme-decoder-9", "format"},
		{"negative weight", `"lm_weight": 1`, `"lm_weight": -1`, "must not be negative"},
		{"unknown field", `"model_sha256"`, `"model_sha": "", "model_sha256"`, "unknown field"},
		{"short counts", `"frames": [`, `"frames": [1,`, "62 frames counts"},
		{"float count", `"start": [`, `"start": [1e15,`, "cannot unmarshal"},
		{"huge count", `"start": [`, `"start": [2000000000000,`, "start count 2000000000000 outside 0…1000000000000"},
	} {
		bad := strings.Replace(b.String(), c.from, c.to, 1)
		if c.name == "huge count" { // replace the first count rather than add one
			bad = regexp.MustCompile(`"start": \[\s*\d+,`).ReplaceAllString(b.String(), `"start": [2000000000000,`)
		}
		if _, err := ReadDecoderFile(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.err)
		}
	}
}

func FuzzReadDecoderFile(f *testing.F) {
	var b bytes.Buffer
	df := &DecoderFile{Format: DecoderFormat, Stats: SyntheticDecoderStats(rand.New(rand.NewPCG(1, 1))), Weights: DefaultDecoderWeights()}
	if err := df.WriteJSON(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.String())
	f.Add(`{"format":"phoneme-decoder-1"}`)
	lp, _ := SyntheticPosteriors(rand.New(rand.NewPCG(2, 2)), 40, 3, nil)
	f.Fuzz(func(t *testing.T, in string) {
		df, err := ReadDecoderFile(strings.NewReader(in))
		if err != nil {
			return
		}
		// Whatever is accepted builds a decoder that decodes.
		g, err := NewPhoneLoop(df.Stats, df.Weights)
		if err != nil {
			t.Fatalf("accepted file gives no phone loop: %v", err)
		}
		runs := g.NewDecoder().DecodeRuns(nil, lp, labels.NumPhones)
		next := 0
		for _, r := range runs {
			if r.Start != next || r.End <= r.Start || r.Phone < 0 || r.Phone >= labels.NumPhones {
				t.Fatalf("runs %v", runs)
			}
			next = r.End
		}
		if next != 40 {
			t.Fatalf("runs end at %d", next)
		}
	})
}
