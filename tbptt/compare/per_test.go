package compare

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
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
		if h := strings.Join(recs[0], ","); !strings.Contains(h, "test_per39_mean,test_per39_sd") || !strings.Contains(h, "delta_per39,delta_per39_lo,delta_per39_hi,poi_per39") {
			t.Errorf("%v: results.csv header %v", kind, recs[0])
		}
		md, err := os.ReadFile(filepath.Join(out, "results.md"))
		if err != nil || !strings.Contains(string(md), "Δ test PER-39 vs best (95 % CI)") || !strings.Contains(string(md), "on test PER-39") {
			t.Errorf("%v: results.md lacks the PER comparison: %s", kind, md)
		}
		// phone_errors.csv holds the edits behind the column: summed per
		// run they give its PER-39.
		pe, err := os.ReadFile(filepath.Join(out, PhoneErrorsFile))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(pe)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		edits, refs := map[string]int{}, map[string]int{}
		for _, row := range rows[1:] {
			key := row[0] + "/" + row[1]
			if row[2] != kind.String() {
				t.Errorf("decoder %q", row[2])
			}
			for _, c := range row[10:13] {
				n, _ := strconv.Atoi(c)
				edits[key] += n
			}
			n, _ := strconv.Atoi(row[9])
			refs[key] += n
		}
		for _, r := range res.Runs {
			key := r.Spec + "/" + strconv.FormatUint(r.Seed, 10)
			if got := float64(edits[key]) / float64(refs[key]); math.Abs(got-*r.Run.TestPER39) > 1e-12 {
				t.Errorf("%s: phone_errors.csv gives PER-39 %g, the run %g", key, got, *r.Run.TestPER39)
			}
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

// TestComparePERScaling: counting reference phones k times and scaling
// the differences back by k gives the same comparison (same draws, a
// constant factor), so PERs above 100 % can be bootstrapped; the point
// difference is the difference of the corpus-level PERs.
func TestComparePERScaling(t *testing.T) {
	mk := func(spec string, edits ...int) RunResult {
		r := RunResult{PlannedRun: PlannedRun{Spec: spec}}
		for i, e := range edits {
			ref := 10 + i
			r.TestPhones = append(r.TestPhones, eval.PhoneScore{ID: string(rune('a' + i)), Speaker: "s",
				Edits61: eval.Edits{Ref: ref, Sub: e}, Edits39: eval.Edits{Ref: ref, Sub: e / 2, Ins: e - e/2}})
		}
		return r
	}
	chosen := []RunResult{mk("best", 2, 3, 1, 4, 2, 5), mk("other", 6, 4, 8, 3, 9, 7)}
	table := func() *Table {
		return &Table{Best: 0, Rows: []Row{{Schedule: "best"}, {Schedule: "other"}}}
	}
	tests, k := perCounts(chosen)
	if k != 1 {
		t.Fatalf("k = %g, want 1 (no PER above 100 %%)", k)
	}
	t1 := table()
	if err := t1.ComparePER(tests, k, Utterances); err != nil {
		t.Fatal(err)
	}
	// The same data with the phones counted twice.
	for _, runs := range tests {
		for _, cs := range runs {
			for i := range cs {
				cs[i].Frames61 *= 2
				cs[i].Frames39 *= 2
			}
		}
	}
	t2 := table()
	if err := t2.ComparePER(tests, 2, Utterances); err != nil {
		t.Fatal(err)
	}
	a, b := t1.Rows[1].VersusPER.FER39, t2.Rows[1].VersusPER.FER39
	const tol = 1e-9 // the same sums, one multiplication apart
	if math.Abs(a.Delta-b.Delta) > tol || math.Abs(a.Lo-b.Lo) > tol || math.Abs(a.Hi-b.Hi) > tol || a.PImprove != b.PImprove {
		t.Errorf("k = 1: %+v, k = 2: %+v", a, b)
	}
	// 39 classes: edits 17 and 37 over 75 reference phones.
	if math.Abs(a.Best-100*17.0/75) > tol || math.Abs(a.Delta-100*20.0/75) > tol || !(a.Lo <= a.Delta && a.Delta <= a.Hi) {
		t.Errorf("difference %+v", a)
	}
	if len(t1.Notes) != 1 || !strings.Contains(t1.Notes[0], "other is worse than best on test PER-39") {
		t.Errorf("notes %q", t1.Notes)
	}
	// A PER above 100 % gets k > 1.
	if _, k := perCounts([]RunResult{mk("x", 25)}); k != 3 {
		t.Errorf("25 edits of 10 phones: k = %g, want 3", k)
	}
}
