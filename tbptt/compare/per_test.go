package compare

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// withText gives every sentence of s a reference phone string: its frame
// labels with runs merged (what a .PHN file would hold).
func withText(s *data.Split) {
	for _, x := range s.Sentences {
		x.Phones = nil
		for t, l := range x.Labels {
			if l != labels.Excluded && (t == 0 || x.Labels[t-1] != l) {
				x.Phones = append(x.Phones, l)
			}
		}
	}
}

// TestComparePER: with text in the splits every run gets the test PER-39
// of its best-dev checkpoint under the chosen decoder, and the table a
// column for it; without text there is neither.
func TestComparePER(t *testing.T) {
	for _, kind := range []eval.DecoderKind{eval.Greedy, eval.Viterbi} {
		out := t.TempDir()
		cfg := tinyCompare(t, out, "sentence,frame:k2=3")
		for _, s := range []*data.Split{cfg.Train, cfg.Dev, cfg.Test} {
			withText(s)
		}
		cfg.Decode = kind
		res, err := Run(context.Background(), cfg, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Runs {
			if r.Run.TestPER39 == nil || r.Run.PERDecoder != kind.String() {
				t.Fatalf("%v: run %s: PER %v by %q", kind, r.ID, r.Run.TestPER39, r.Run.PERDecoder)
			}
			if kind != eval.Greedy {
				continue
			}
			m, md, err := lstm.Load(r.Model())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := eval.EvaluateModelPER(m, md, cfg.Test, eval.Decoding{Kind: eval.Greedy})
			if err != nil {
				t.Fatal(err)
			}
			if *r.Run.TestPER39 != rep.PER39 {
				t.Errorf("run %s: PER-39 %g in the table, %g from its checkpoint", r.ID, *r.Run.TestPER39, rep.PER39)
			}
		}
		recs := tableRecords(t, out)
		if !strings.Contains(strings.Join(recs[0], ","), "test_per39_mean,test_per39_sd") {
			t.Errorf("%v: results.csv header %v", kind, recs[0])
		}
	}

	out := t.TempDir()
	cfg := tinyCompare(t, out, "sentence")
	res, err := Run(context.Background(), cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs[0].Run.TestPER39 != nil {
		t.Errorf("PER without text: %v", *res.Runs[0].Run.TestPER39)
	}
	if recs := tableRecords(t, out); strings.Contains(strings.Join(recs[0], ","), "per39") {
		t.Errorf("results.csv has a PER column without text: %v", recs[0])
	}
}

// TestTablePER: the PER column appears when a run has a value, names the
// decoder, and summarises over seeds like the others (runs without a
// value left out).
func TestTablePER(t *testing.T) {
	p := func(v float64) *float64 { return &v }
	runs := []RunRecord{
		{Schedule: "a", Seed: 1, TestPER39: p(0.30), PERDecoder: "viterbi"},
		{Schedule: "a", Seed: 2, TestPER39: p(0.34), PERDecoder: "viterbi"},
		{Schedule: "b", Seed: 1},
	}
	tab, err := NewTable(runs)
	if err != nil {
		t.Fatal(err)
	}
	c := tab.ColumnIndex("test_per39")
	if c < 0 || tab.Columns[c].Title != "test PER-39 % (viterbi)" {
		t.Fatalf("columns %v", tab.Columns)
	}
	if s := tab.Rows[0].Stats[c]; math.Abs(s.Mean-0.32) > 1e-12 || math.Abs(s.SD-0.04/math.Sqrt2) > 1e-12 || s.N != 2 {
		t.Errorf("row a: %+v", s)
	}
	if s := tab.Rows[1].Stats[c]; s.N != 0 {
		t.Errorf("row b: %+v", s)
	}
}
