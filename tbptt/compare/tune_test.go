package compare

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/internal/synth"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt/train"
)

func TestParseTune(t *testing.T) {
	tests := []struct {
		in      string
		want    TuneKey
		wantErr string
	}{
		{"lr=1e-4,3e-4, 1e-3", TuneKey{"lr", []string{"1e-4", "3e-4", "1e-3"}}, ""},
		{"optimizer=sgd,adam", TuneKey{"optimizer", []string{"sgd", "adam"}}, ""},
		{"momentum=0.9", TuneKey{"momentum", []string{"0.9"}}, ""},
		{"lr", TuneKey{}, "want key=value"},
		{"lr=", TuneKey{}, "want key=value"},
		{"lr=1e-3,0", TuneKey{}, "must be positive"},
		{"lr=1e-3,1e-3", TuneKey{}, "given twice"},
		{"k2=1,5", TuneKey{}, "not a tunable option"},
		{"seed=1,2", TuneKey{}, "not a tunable option"},
		{"log-horizon=1,2", TuneKey{}, "not a tunable option"},
		{"bogus=1", TuneKey{}, "not a tunable option"},
	}
	for _, tt := range tests {
		got, err := ParseTune(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			if strings.Contains(tt.wantErr, "tunable") && !errors.Is(err, ErrTuneKey) {
				t.Errorf("%q: %v is not ErrTuneKey", tt.in, err)
			}
			continue
		}
		if err != nil || got.Name != tt.want.Name || !slices.Equal(got.Values, tt.want.Values) {
			t.Errorf("%q: %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestGrid(t *testing.T) {
	if g := Grid(nil); len(g) != 1 || g[0].String() != "" {
		t.Errorf("no keys: %v", g)
	}
	g := Grid([]TuneKey{{"lr", []string{"1e-3", "3e-3"}}, {"momentum", []string{"0.9", "0.99", "0"}}})
	var names []string
	for _, p := range g {
		names = append(names, p.String())
	}
	want := []string{"lr=1e-3:momentum=0.9", "lr=1e-3:momentum=0.99", "lr=1e-3:momentum=0",
		"lr=3e-3:momentum=0.9", "lr=3e-3:momentum=0.99", "lr=3e-3:momentum=0"}
	if !slices.Equal(names, want) {
		t.Errorf("grid %v, want %v", names, want)
	}
	c := train.DefaultConfig()
	if err := g[4].apply(&c); err != nil || c.LR != 3e-3 || c.Momentum != 0.99 {
		t.Errorf("apply %v: lr %g momentum %g, %v", g[4], c.LR, c.Momentum, err)
	}
}

// TestTuneChoosesDevArgmin: per schedule the point with the lowest mean
// dev FER-61 over seeds is chosen (not the lowest single run, not test),
// and a chosen value at either end of its key's values is flagged with the
// next value one grid step beyond.
func TestTuneChoosesDevArgmin(t *testing.T) {
	keys := []TuneKey{{"lr", []string{"1e-4", "1e-3", "1e-2"}}}
	pt := func(v string) GridPoint { return GridPoint{{"lr", v}} }
	rec := func(s, v string, seed uint64, dev, test float64) RunRecord {
		return RunRecord{Schedule: s, Point: pt(v), Seed: seed, DevFER: dev, DevFER39: dev - 0.1, TestFER39: test}
	}
	records := []RunRecord{
		// a: 1e-3 has the lowest mean (0.40); 1e-2 the lowest single run and test.
		rec("a", "1e-4", 1, 0.50, 0.5), rec("a", "1e-4", 2, 0.52, 0.5),
		rec("a", "1e-3", 1, 0.41, 0.5), rec("a", "1e-3", 2, 0.39, 0.5),
		rec("a", "1e-2", 1, 0.30, 0.1), rec("a", "1e-2", 2, 0.60, 0.1),
		// b: the largest value wins: an edge.
		rec("b", "1e-4", 1, 0.7, 0.5), rec("b", "1e-3", 1, 0.6, 0.5), rec("b", "1e-2", 1, 0.5, 0.5),
		// c: the smallest wins; one failed (NaN) run is left out.
		rec("c", "1e-4", 1, 0.2, 0.5), rec("c", "1e-3", 1, 0.6, 0.5), rec("c", "1e-3", 2, math.NaN(), 0.5), rec("c", "1e-2", 1, 0.7, 0.5),
	}
	rows := Tune(records, keys)
	if len(rows) != 9 {
		t.Fatalf("%d rows, want 9", len(rows))
	}
	type want struct {
		chosen string
		edge   bool
		next   string
	}
	wants := map[string]want{"a": {"lr=1e-3", false, ""}, "b": {"lr=1e-2", true, "0.1"}, "c": {"lr=1e-4", true, "1e-05"}}
	for _, r := range rows {
		w := wants[r.Schedule]
		if r.Chosen != (r.Point.String() == w.chosen) {
			t.Errorf("%s %s: chosen %v, want chosen %s", r.Schedule, r.Point, r.Chosen, w.chosen)
		}
		if r.Chosen && ((len(r.Edge) > 0) != w.edge || (w.edge && r.Next[0] != w.next)) {
			t.Errorf("%s %s: edge %v next %v, want %v %q", r.Schedule, r.Point, r.Edge, r.Next, w.edge, w.next)
		}
		if r.Schedule == "a" && r.Point.String() == "lr=1e-3" {
			// Mean 0.40 and sample sd 0.01·√2 of 0.41, 0.39; 1e-12 absorbs rounding.
			if math.Abs(r.DevFER61-0.40) > 1e-12 || math.Abs(r.DevFER61SD-0.01*math.Sqrt2) > 1e-12 || r.Seeds != 2 {
				t.Errorf("a at 1e-3: mean %v sd %v seeds %d", r.DevFER61, r.DevFER61SD, r.Seeds)
			}
		}
		if r.Schedule == "c" && r.Point.String() == "lr=1e-3" && r.Seeds != 1 {
			t.Errorf("c at 1e-3: %d seeds, want 1 (NaN left out)", r.Seeds)
		}
	}
	var b bytes.Buffer
	if err := WriteTuningCSV(&b, rows, keys); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 10 || strings.Join(recs[0], ",") != "schedule,lr,dev_fer61_mean,dev_fer61_sd,dev_fer39_mean,dev_fer39_sd,seeds,chosen,edge" {
		t.Fatalf("tuning.csv: %v %v", recs, err)
	}
	if got := strings.Join(recs[2], ","); got != "a,1e-3,40.0000,1.4142,30.0000,1.4142,2,true,false" {
		t.Errorf("row a 1e-3: %s", got)
	}
	if notes := EdgeNotes(rows); len(notes) != 2 || !strings.Contains(notes[0], "b: lr = 1e-2 is at the edge") || !strings.Contains(notes[0], "try lr = 0.1") {
		t.Errorf("edge notes %q", notes)
	}
	if p, err := TuningPlot(rows, keys); err != nil || p == nil {
		t.Errorf("tuning plot: %v", err)
	}
	if next, edge := edgeOf([]string{"sgd", "adam"}, "sgd"); edge || next != "" {
		t.Error("words have no edge")
	}
	if next, edge := edgeOf([]string{"0", "0.5", "0.9"}, "0.9"); !edge || next != "1.3" {
		t.Errorf("additive step: %q %v", next, edge)
	}
}

// TestTunedCompareReusesRuns: a tuned comparison trains every schedule at
// every grid point and seed, writes tuning.csv and per_utterance.csv, and
// when the grid grows, the runs already finished are reused (same
// folders, not retrained), including an untuned run at a grid value.
func TestTunedCompareReusesRuns(t *testing.T) {
	out := t.TempDir()
	cfg := smallCompare(t, out, "sentence,tbptt:k1=5:k2=5", 1, 2)
	// Untuned first: lr is the optimizer's default, 1e-3 for Adam.
	if _, err := Run(context.Background(), cfg, Hooks{}); err != nil {
		t.Fatal(err)
	}
	cfg.Tune = []TuneKey{{"lr", []string{"1e-3", "1e-2"}}}
	plan, err := cfg.Plan()
	if err != nil {
		t.Fatal(err)
	}
	states := map[RunState]int{}
	for _, r := range plan.Runs {
		states[r.State]++
	}
	if len(plan.Runs) != 8 || states[RunDone] != 4 || states[RunNew] != 4 {
		t.Fatalf("grown grid: %d runs, states %v; want 8 with 4 done", len(plan.Runs), states)
	}
	res, err := Run(context.Background(), cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tuning) != 4 {
		t.Fatalf("%d tuning rows", len(res.Tuning))
	}
	for _, name := range []string{"tuning.csv", "per_utterance.csv", "results.csv", "results.md"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	// The table holds each schedule's chosen point only, and the
	// per-utterance file exactly its runs' test scores.
	if len(res.Table.Rows) != 2 || len(res.Table.Keys) != 1 {
		t.Fatalf("table rows %d keys %v", len(res.Table.Rows), res.Table.Keys)
	}
	f, err := os.Open(filepath.Join(out, "per_utterance.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(recs) - 1; got != 2*2*(len(cfg.Test.Sentences)+len(cfg.Dev.Sentences)) {
		t.Errorf("per_utterance.csv has %d rows", got)
	}
	for _, r := range recs[1:] {
		if r[len(r)-1] != "lr=1e-3" && r[len(r)-1] != "lr=1e-2" {
			t.Fatalf("tuned column %q", r[len(r)-1])
		}
	}
	// A second identical invocation trains nothing.
	plan, _ = cfg.Plan()
	for _, r := range plan.Runs {
		if r.State != RunDone {
			t.Errorf("%s %s seed %d: %v after a finished comparison", r.Spec, r.Point, r.Seed, r.State)
		}
	}
}

func TestTuneRejectsEntryOverride(t *testing.T) {
	cfg := smallCompare(t, t.TempDir(), "sentence:lr=1e-3", 1)
	cfg.Tune = []TuneKey{{"lr", []string{"1e-3", "1e-2"}}}
	if _, err := cfg.Plan(); err == nil || !strings.Contains(err.Error(), "which the grid tunes") {
		t.Errorf("entry setting a tuned key: %v", err)
	}
}

// smallCompare is tinyCompare with the learning rate left to the optimizer
// (or a grid) and the given seeds.
func smallCompare(t *testing.T, out, list string, seeds ...uint64) Config {
	t.Helper()
	cfg := tinyCompare(t, out, list)
	cfg.Base.LR = 0
	cfg.Seeds = seeds
	return cfg
}

// TestDamagedRunIsNotDone: a run whose result.json exists but whose epoch
// log lost a line (two processes wrote it) is not taken as done: the plan
// fails naming the run.
func TestDamagedRunIsNotDone(t *testing.T) {
	out := t.TempDir()
	cfg := smallCompare(t, out, "sentence", 1)
	if _, err := Run(context.Background(), cfg, Hooks{}); err != nil {
		t.Fatal(err)
	}
	plan, err := cfg.Plan()
	if err != nil || plan.Runs[0].State != RunDone {
		t.Fatalf("intact run: %v, %v", plan.Runs[0].State, err)
	}
	jsonl, _ := train.LogPaths(plan.Runs[0].Model())
	b, err := os.ReadFile(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if err := os.WriteFile(jsonl, []byte(strings.Join(lines[1:], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Plan(); !errors.Is(err, ErrDamagedRun) || !strings.Contains(err.Error(), filepath.Base(plan.Runs[0].Dir)) {
		t.Errorf("damaged run: %v, want ErrDamagedRun naming the run", err)
	}
}

// TestInitShapeConflict: an entry that starts from a checkpoint and sets
// another network shape is refused, naming both.
func TestInitShapeConflict(t *testing.T) {
	dir := t.TempDir()
	init := filepath.Join(dir, "init.safetensors")
	m, err := train.InitialModel(lstm.Config{Inputs: synth.Dim, Hidden: 4, Layers: 1, Outputs: labels.NumPhones}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := lstm.Save(init, m, &lstm.Metadata{}); err != nil {
		t.Fatal(err)
	}
	cfg := smallCompare(t, filepath.Join(dir, "out"), "sentence:init="+init+":hidden=8", 1)
	if _, err := cfg.Plan(); err == nil || !strings.Contains(err.Error(), "has 4 cells per layer, not hidden=8") {
		t.Errorf("conflicting shape: %v", err)
	}
	cfg = smallCompare(t, filepath.Join(dir, "out"), "sentence:init="+init+":hidden=4", 1)
	if _, err := cfg.Plan(); err != nil {
		t.Errorf("matching shape: %v", err)
	}
}
