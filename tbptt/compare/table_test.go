package compare

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// handRuns returns two schedules × up to three seeds with round numbers.
func handRuns() []RunRecord {
	mk := func(sched string, k1, k2 int, seed uint64, updates int64, wall, dev, t61, t39 float64) RunRecord {
		return RunRecord{Schedule: sched, K1: k1, K2: k2, Truncation: "window", Seed: seed,
			Updates: updates, FramesForward: 1000, FramesBackward: 1000 * int64(seed),
			WallSeconds: wall, FramesPerSecond: 1000 / wall, BestEpoch: int(seed),
			DevFER: dev, TestFER61: t61, TestFER39: t39}
	}
	return []RunRecord{
		mk("sentence", 0, 0, 1, 10, 2, 0.40, 0.42, 0.30),
		mk("tbptt:k1=20:k2=20", 20, 20, 1, 100, 4, 0.30, 0.35, 0.25),
		mk("sentence", 0, 0, 2, 10, 4, 0.50, 0.44, 0.34),
		mk("tbptt:k1=20:k2=20", 20, 20, 2, 100, 4, 0.34, 0.35, 0.27),
		mk("sentence", 0, 0, 3, 10, 6, 0.60, 0.46, 0.32),
	}
}

func TestTable(t *testing.T) {
	tab, err := NewTable(handRuns())
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 || tab.Rows[0].Schedule != "sentence" || tab.Rows[1].Schedule != "tbptt:k1=20:k2=20" {
		t.Fatalf("rows %+v, want sentence then tbptt in order of appearance", tab.Rows)
	}
	col := map[string]int{}
	for i, c := range tab.Columns {
		col[c.Key] = i
	}
	// Means and sample sds of a few values, worked by hand. The inputs are
	// exact in binary only approximately (0.4, 0.5 …), so allow 1e-12.
	const tol = 1e-12
	sqrt2 := math.Sqrt2
	tests := []struct {
		row      int
		key      string
		mean, sd float64
		n        int
		best     bool
	}{
		{0, "dev_fer", 0.5, 0.1, 3, false}, // 0.4 0.5 0.6: sd = sqrt((0.01+0+0.01)/2)
		{1, "dev_fer", 0.32, 0.02 * sqrt2, 2, true},
		{0, "wall_seconds", 4, 2, 3, true}, // 2 4 6 ties with 4 4: both best
		{1, "wall_seconds", 4, 0, 2, true},
		{0, "test_fer39", 0.32, 0.02, 3, false},
		{1, "test_fer39", 0.26, 0.01 * sqrt2, 2, true},
		{0, "updates", 10, 0, 3, false}, // neutral column: never marked
		{1, "updates", 100, 0, 2, false},
		{0, "frames_backward", 2000, 1000, 3, false},
		{1, "frames_backward", 1500, 500 * sqrt2, 2, true},
		{0, "frames_per_second", (500 + 250 + 1000.0/6) / 3, 0, 3, true}, // higher is better; sd unchecked
	}
	for _, tt := range tests {
		s := tab.Rows[tt.row].Stats[col[tt.key]]
		if math.Abs(s.Mean-tt.mean) > tol || s.N != tt.n || s.Best != tt.best {
			t.Errorf("row %d %s: mean %g n %d best %v; want %g %d %v", tt.row, tt.key, s.Mean, s.N, s.Best, tt.mean, tt.n, tt.best)
		}
		if tt.key != "frames_per_second" && math.Abs(s.SD-tt.sd) > tol {
			t.Errorf("row %d %s: sd %g, want %g", tt.row, tt.key, s.SD, tt.sd)
		}
	}

	var md bytes.Buffer
	if err := tab.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| `sentence` | n | all | window | 3 |", "**32.00 ± 2.83**", "50.00 ± 10.00", "**4.0 ± 2.0**"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}

	var cb bytes.Buffer
	if err := tab.WriteCSV(&cb); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || len(recs[0]) != 5+3*len(tab.Columns)+8 { // + the 8 significance columns
		t.Fatalf("csv shape %d×%d", len(recs), len(recs[0]))
	}
	field := func(row int, name string) string {
		for i, h := range recs[0] {
			if h == name {
				return recs[row][i]
			}
		}
		t.Fatalf("no csv column %s", name)
		return ""
	}
	if field(2, "dev_fer_best") != "*" || field(1, "dev_fer_best") != "" || field(1, "dev_fer_mean") != "0.5" || field(1, "seeds") != "1 2 3" {
		t.Errorf("csv rows wrong:\n%s", cb.String())
	}

	var tx bytes.Buffer
	if err := tab.WriteText(&tx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tx.String(), "32.00 ± 2.83*") {
		t.Errorf("text lacks best mark:\n%s", tx.String())
	}

	dir := t.TempDir()
	if err := tab.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"results.md", "results.csv"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestTableMissingAndSingle(t *testing.T) {
	runs := handRuns()[:2]
	runs[0].TestFER61 = math.NaN() // not scored yet
	tab, err := NewTable(runs)
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for i, col := range tab.Columns {
		if col.Key == "test_fer61" {
			c = i
		}
	}
	if s := tab.Rows[0].Stats[c]; s.N != 0 || s.Best {
		t.Errorf("missing value summarised as %+v", s)
	}
	// Only one schedule has a value, so nothing is marked best.
	if s := tab.Rows[1].Stats[c]; s.N != 1 || s.Best || s.SD != 0 {
		t.Errorf("single value summarised as %+v", s)
	}
	var md bytes.Buffer
	tab.WriteMarkdown(&md)
	if !strings.Contains(md.String(), "| – |") {
		t.Errorf("missing value not rendered as –:\n%s", md.String())
	}
}

func TestTableRejects(t *testing.T) {
	dup := handRuns()
	dup[2].Seed = 1
	mismatch := handRuns()
	mismatch[2].K2 = 5
	unnamed := handRuns()
	unnamed[0].Schedule = ""
	for name, runs := range map[string][]RunRecord{"duplicate seed": dup, "k2 mismatch": mismatch, "no name": unnamed} {
		if _, err := NewTable(runs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
