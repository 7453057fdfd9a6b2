package compare

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/internal/synth"
	"github.com/phoneme/phoneme/tbptt/train"
)

// compareSplits are small synthetic train, dev and test splits, their
// manifests describing features of synth.Dim dimensions so that test
// scoring (eval.CheckCompatible) accepts them.
func compareSplits() (train, dev, test *data.Split) {
	train, dev, test = synth.Split(1, 16, false), synth.Split(2, 6, false), synth.Split(3, 6, false)
	for _, s := range []*data.Split{train, dev, test} {
		s.Manifest.Features.NumCeps, s.Manifest.Features.Deltas = synth.Dim, 0
	}
	return train, dev, test
}

// tinyCompare is a comparison small enough to run many times: three
// schedules (one re-running windows per error), two seeds, a 4-cell
// network, two epochs.
func tinyCompare(t *testing.T, out, list string) Config {
	t.Helper()
	specs, err := ParseSpecs(list)
	if err != nil {
		t.Fatal(err)
	}
	trainSplit, dev, test := compareSplits()
	base := train.DefaultConfig()
	base.Hidden = 4
	base.Epochs = 2
	base.LR = 1e-2
	return Config{Train: trainSplit, Dev: dev, Test: test, Data: "synthetic", Schedules: specs,
		Seeds: []uint64{1, 2}, Base: base, Out: out, Jobs: 2, Command: []string{"phoneme", "compare", "--out", out}}
}

const tinyList = "sentence,frame:k2=3,tbptt:k1=4:k2=6:per-error"

// tableRecords reads results.csv without the columns that measure time.
func tableRecords(t *testing.T, dir string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var keep []int
	for i, h := range recs[0] {
		if !strings.HasPrefix(h, "wall_seconds") && !strings.HasPrefix(h, "frames_per_second") {
			keep = append(keep, i)
		}
	}
	var out [][]string
	for _, r := range recs {
		var row []string
		for _, i := range keep {
			row = append(row, r[i])
		}
		out = append(out, row)
	}
	return out
}

func TestCompareSameSeedSameTable(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	resA, err := Run(context.Background(), tinyCompare(t, dirA, tinyList), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	// The second comparison runs one job at a time: scheduling must not
	// matter either.
	cfgB := tinyCompare(t, dirB, tinyList)
	cfgB.Jobs = 1
	if _, err := Run(context.Background(), cfgB, Hooks{}); err != nil {
		t.Fatal(err)
	}
	a, b := tableRecords(t, dirA), tableRecords(t, dirB)
	if len(a) != 4 {
		t.Fatalf("results.csv has %d records, want a header and 3 schedules", len(a))
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seeds, different tables:\n%v\n%v", a, b)
	}

	// Every run is complete, sane and recorded.
	if len(resA.Runs) != 6 {
		t.Fatalf("%d runs, want 6", len(resA.Runs))
	}
	for _, r := range resA.Runs {
		if r.Err != nil || r.State != RunNew || r.Stopped != train.StopEpochs {
			t.Errorf("%s: state %s, stopped %q, error %v", r.Dir, r.State, r.Stopped, r.Err)
		}
		x := r.Run
		if x.Updates <= 0 || x.FramesForward < x.FramesBackward/2 || len(x.Curve) != 2 || x.BestEpoch < 1 ||
			!(x.TestFER61 >= 0 && x.TestFER61 <= 1) || !(x.TestFER39 <= x.TestFER61+1e-12) || math.IsNaN(x.DevFER) {
			t.Errorf("%s: implausible run %+v", r.Dir, x)
		}
		for _, f := range []string{RunConfigFile, RunResultFile, RunModelFile, "model.last.safetensors", "model.resume", "model.log.jsonl", "model.log.csv"} {
			if _, err := os.Stat(filepath.Join(r.Dir, f)); err != nil {
				t.Errorf("run folder: %v", err)
			}
		}
	}
	// Each schedule's update count follows from the schedule alone:
	// one update per sentence for "sentence", one per frame for "frame".
	frames := resA.Runs[0].Run.Curve[1].Updates
	if got := resA.Runs[0].Run.Updates; got != 2*16 {
		t.Errorf("sentence: %d updates in 2 epochs of 16 sentences", got)
	}
	train, _, _ := compareSplits()
	if got := resA.Runs[2].Run.Updates; got != 2*train.Frames() {
		t.Errorf("frame: %d updates in 2 epochs of %d frames (sentence: %d)", got, train.Frames(), frames)
	}
	for _, f := range []string{"results.md", "results.csv", "dev_fer_epoch.png", "dev_fer_epoch.svg", "dev_fer_time.png",
		"dev_fer_time.svg", "loss_updates.png", "loss_updates.svg", "command.txt", "environment.json", "compare.json"} {
		if fi, err := os.Stat(filepath.Join(dirA, f)); err != nil || fi.Size() == 0 {
			t.Errorf("output folder: %s missing or empty (%v)", f, err)
		}
	}
	if cmd, _ := os.ReadFile(filepath.Join(dirA, "command.txt")); string(cmd) != "phoneme compare --out "+dirA+"\n" {
		t.Errorf("command.txt = %q", cmd)
	}
	// Every schedule learns something: below the majority-class baseline.
	_, _, test := compareSplits()
	chance := synth.MajorityFER(test)
	fer := resA.Table.ColumnIndex("test_fer61")
	for _, row := range resA.Table.Rows {
		if m := row.Stats[fer].Mean; !(m < chance) {
			t.Errorf("%s: test FER %.3f not below chance %.3f", row.Schedule, m, chance)
		}
	}
}

// cancelAfter returns hooks that cancel after n progress reports.
func cancelAfter(n int, cancel func()) Hooks {
	calls := 0
	return Hooks{Progress: func(int64) {
		calls++
		if calls == n {
			cancel()
		}
	}}
}

func TestCompareResumesToSameNumbers(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	resA, err := Run(context.Background(), tinyCompare(t, dirA, tinyList), Hooks{})
	if err != nil {
		t.Fatal(err)
	}

	// Interrupt a one-job comparison in the middle of its third run's first
	// epoch (each run reports 2×16 sentences of progress).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := tinyCompare(t, dirB, tinyList)
	cfg.Jobs = 1
	res, err := Run(ctx, cfg, cancelAfter(2*32+5, cancel))
	if !errors.Is(err, train.ErrInterrupted) {
		t.Fatalf("interrupted comparison: error %v", err)
	}
	var done, unfinished int
	for _, r := range res.Runs {
		if r.Err == nil {
			done++
		} else if errors.Is(r.Err, train.ErrInterrupted) {
			unfinished++
		} else {
			t.Errorf("%s: %v", r.Dir, r.Err)
		}
	}
	if done != 2 || unfinished != 4 {
		t.Fatalf("%d runs done and %d unfinished, want 2 and 4", done, unfinished)
	}
	if _, err := os.Stat(filepath.Join(dirB, "results.csv")); err == nil {
		t.Error("an interrupted comparison wrote a results table")
	}

	plan, err := cfg.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var states []RunState
	for _, r := range plan.Runs {
		states = append(states, r.State)
	}
	if want := []RunState{RunDone, RunDone, RunResume, RunNew, RunNew, RunNew}; !slices.Equal(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	if plan.Done <= 2*plan.Total/6 || plan.Done >= 3*plan.Total/6 {
		t.Errorf("plan: %d of %d done, want between two and three runs' worth", plan.Done, plan.Total)
	}

	var progress int64
	resB, err := Run(context.Background(), cfg, Hooks{Progress: func(n int64) { progress += n }})
	if err != nil {
		t.Fatal(err)
	}
	if progress != plan.Total-plan.Done {
		t.Errorf("progress reported %d, want the %d left", progress, plan.Total-plan.Done)
	}
	if a, b := tableRecords(t, dirA), tableRecords(t, dirB); !reflect.DeepEqual(a, b) {
		t.Errorf("resumed comparison differs:\n%v\n%v", a, b)
	}
	for i := range resA.Runs {
		a, b := resA.Runs[i].Run, resB.Runs[i].Run
		a.WallSeconds, b.WallSeconds, a.FramesPerSecond, b.FramesPerSecond = 0, 0, 0, 0
		for j := range a.Curve {
			a.Curve[j].WallSeconds = 0
		}
		for j := range b.Curve {
			b.Curve[j].WallSeconds = 0
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("run %d:\nuninterrupted %+v\nresumed       %+v", i, a, b)
		}
		if resA.Runs[i].ID != resB.Runs[i].ID {
			t.Errorf("run %d: folder %s, then %s", i, resA.Runs[i].ID, resB.Runs[i].ID)
		}
	}

	// A third invocation has nothing left to do.
	progress = 0
	resC, err := Run(context.Background(), cfg, Hooks{Progress: func(n int64) { progress += n }})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resC.Runs {
		if r.State != RunDone {
			t.Errorf("%s: state %s on the third invocation", r.Dir, r.State)
		}
	}
	if progress != 0 {
		t.Errorf("third invocation reported %d units of progress", progress)
	}
	if a, c := tableRecords(t, dirA), tableRecords(t, dirB); !reflect.DeepEqual(a, c) {
		t.Errorf("skipped runs give another table:\n%v\n%v", a, c)
	}
}

// TestCompareSameStart proves that the schedule is the only difference
// between the runs of a seed: every run of a comparison is stopped just
// before its first update and the state it saved — initial weights and
// the first epoch's sentence order — is compared across schedules.
func TestCompareSameStart(t *testing.T) {
	out := t.TempDir()
	cfg := tinyCompare(t, out, "sentence,frame:k2=1,tbptt:k1=3:k2=5:per-error:batch=2,tbptt:k1=2:chunk:lr=0.5")
	cfg.Jobs = 1
	plan, err := cfg.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for i := range plan.Runs {
		ctx, cancel := context.WithCancel(context.Background())
		one := cfg
		one.Schedules = []Spec{cfg.Schedules[i/len(cfg.Seeds)]}
		one.Seeds = []uint64{plan.Runs[i].Seed}
		_, err := Run(ctx, one, Hooks{EpochStart: func(PlannedRun, int) { cancel() }})
		cancel()
		if !errors.Is(err, train.ErrInterrupted) {
			t.Fatalf("%s: %v", plan.Runs[i].Spec, err)
		}
	}
	type start struct {
		params []float32
		order  []int
	}
	starts := map[uint64][]start{}
	for _, r := range plan.Runs {
		p, err := train.SavedProgress(r.Model())
		if err != nil {
			t.Fatal(err)
		}
		if p.Updates != 0 || p.Pos != 0 || len(p.Order) != 16 {
			t.Fatalf("%s seed %d: saved after %d updates at %d/%d", r.Spec, r.Seed, p.Updates, p.Pos, len(p.Order))
		}
		starts[r.Seed] = append(starts[r.Seed], start{p.Params, p.Order})

		// Apart from the schedule (and what the entry overrides), the
		// resolved configurations agree.
		c := r.Config
		c.Schedule, c.K1, c.K2, c.Truncation, c.Batch, c.LR = "", 0, "", "", 1, 0
		want := cfg.Base
		want.Schedule, want.K1, want.K2, want.Truncation, want.LR, want.Seed = "", 0, "", "", 0, r.Seed
		if c != want {
			t.Errorf("%s: configuration %+v, want %+v", r.Spec, c, want)
		}
	}
	for seed, ss := range starts {
		for i, s := range ss[1:] {
			if k := synth.SameBits(ss[0].params, s.params); k >= 0 {
				t.Errorf("seed %d: schedule %d starts from other weights (parameter %d)", seed, i+1, k)
			}
			if !slices.Equal(ss[0].order, s.order) {
				t.Errorf("seed %d: schedule %d sees the data in another order: %v, not %v", seed, i+1, s.order, ss[0].order)
			}
		}
	}
	// The seeds do differ, so the comparison above can fail.
	if synth.SameBits(starts[1][0].params, starts[2][0].params) < 0 || slices.Equal(starts[1][0].order, starts[2][0].order) {
		t.Error("seeds 1 and 2 give the same start")
	}
}

func TestCompareFolders(t *testing.T) {
	out := t.TempDir()
	id := func(cfg Config) []string {
		t.Helper()
		plan, err := cfg.Plan()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range plan.Runs {
			if filepath.Dir(r.Dir) != filepath.Join(out, "runs") || !strings.HasSuffix(r.Dir, r.ID) {
				t.Errorf("run folder %s (id %s)", r.Dir, r.ID)
			}
			ids = append(ids, r.ID)
		}
		return ids
	}
	base := id(tinyCompare(t, out, "tbptt:k1=4,sentence"))
	if base[0] == base[1] || base[0] == base[2] || base[2] == base[3] {
		t.Errorf("runs share folders: %v", base)
	}
	if got := id(tinyCompare(t, out, "tbptt:k1=4:k2=4:window,sentence")); !slices.Equal(got, base) {
		t.Errorf("the same configuration spelt differently moved: %v, %v", got, base)
	}
	changed := map[string]func(*Config){
		"lr":     func(c *Config) { c.Base.LR = 2e-2 },
		"epochs": func(c *Config) { c.Base.Epochs = 3 },
		"hidden": func(c *Config) { c.Base.Hidden = 5 },
		"data":   func(c *Config) { c.Train.Sentences[3].Feats.Data[0] += 1e-3 },
		"test":   func(c *Config) { c.Test.Sentences = c.Test.Sentences[1:] },
		"labels": func(c *Config) { c.Dev.Sentences[0].Labels[0] = 27 - c.Dev.Sentences[0].Labels[0] },
	}
	for name, change := range changed {
		cfg := tinyCompare(t, out, "tbptt:k1=4,sentence")
		change(&cfg)
		for i, got := range id(cfg) {
			if got == base[i] {
				t.Errorf("changed %s: run %d keeps its folder %s", name, i, got)
			}
		}
	}
	// Only the changed entry moves.
	if got := id(tinyCompare(t, out, "tbptt:k1=4:lr=0.5,sentence")); got[0] == base[0] || got[2] != base[2] {
		t.Errorf("per-run lr: %v, was %v", got, base)
	}
	// A finished run of the old configuration is not taken for the new one.
	cfg := tinyCompare(t, out, "sentence")
	cfg.Seeds = []uint64{1}
	cfg.Base.Epochs = 1
	if _, err := Run(context.Background(), cfg, Hooks{}); err != nil {
		t.Fatal(err)
	}
	cfg.Base.Epochs = 2
	plan, err := cfg.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if plan.Runs[0].State != RunNew {
		t.Errorf("changed epochs: the run is %s", plan.Runs[0].State)
	}
}

func TestCompareErrors(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no seeds", func(c *Config) { c.Seeds = nil }, "no seeds"},
		{"seed twice", func(c *Config) { c.Seeds = []uint64{3, 3} }, "seed 3 given twice"},
		{"no dev", func(c *Config) { c.Dev = nil }, "no dev data"},
		{"empty test", func(c *Config) { c.Test = &data.Split{} }, "no test data"},
		{"no out", func(c *Config) { c.Out = "" }, "no output folder"},
		{"same run twice", func(c *Config) {
			c.Schedules, _ = ParseSpecs("frame,frame:k2=all")
		}, `schedules "frame" and "frame:k2=all" are the same run`},
		{"bad shared option", func(c *Config) { c.Base.Batch = 0 }, "batch must be at least 1"},
		{"never stops", func(c *Config) { c.Base.Epochs = 0 }, "never stop"},
	}
	for _, tt := range tests {
		cfg := tinyCompare(t, out, tinyList)
		tt.change(&cfg)
		_, err := Run(context.Background(), cfg, Hooks{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("rejected comparisons wrote %d files", len(entries))
	}
}

// TestCompareFailedRun: a diverging schedule fails alone; the table holds
// the others and the error names the failed runs.
func TestCompareFailedRun(t *testing.T) {
	out := t.TempDir()
	cfg := tinyCompare(t, out, "sentence,frame:k2=all:optimizer=sgd:lr=1e300")
	res, err := Run(context.Background(), cfg, Hooks{})
	if err == nil || !strings.Contains(err.Error(), "2 of 4 runs failed") || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("error %v", err)
	}
	if res == nil || res.Table == nil || len(res.Table.Rows) != 1 || res.Table.Rows[0].Schedule != "sentence" {
		t.Fatalf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(out, "results.csv")); err != nil {
		t.Error(err)
	}
}

// The runs recorded in result.json read back as the table saw them.
func TestRunResultRoundTrip(t *testing.T) {
	r := PlannedRun{Spec: "frame", Seed: 4, ID: "abc", Dir: t.TempDir()}
	run := RunRecord{Schedule: "frame", K1: 1, K2: 0, Truncation: "window", Seed: 4, Updates: 10, FramesForward: 20,
		FramesBackward: 30, WallSeconds: 1.5, FramesPerSecond: math.NaN(), BestEpoch: 2, DevFER: 0.25, TestFER61: 0.5, TestFER39: 0.375,
		Curve: []CurvePoint{
			{Epoch: 1, WallSeconds: 0.5, Updates: 5, TrainLoss: math.NaN(), DevFER: 0.3},
			{Epoch: 2, WallSeconds: 1.5, Updates: 10, TrainLoss: 1.25, DevFER: 0.25}}}
	if err := writeJSON(filepath.Join(r.Dir, RunResultFile), newRunResultFile(r, run, train.StopEpochs)); err != nil {
		t.Fatal(err)
	}
	f, err := readRunResult(r)
	if err != nil {
		t.Fatal(err)
	}
	got := f.run("frame")
	if !math.IsNaN(got.FramesPerSecond) || !math.IsNaN(got.Curve[0].TrainLoss) {
		t.Errorf("NaN lost: %+v", got)
	}
	got.FramesPerSecond, run.FramesPerSecond = 0, 0
	got.Curve[0].TrainLoss, run.Curve[0].TrainLoss = 0, 0
	if !reflect.DeepEqual(got, run) || f.Stopped != train.StopEpochs {
		t.Errorf("read back %+v\nwant %+v", got, run)
	}
	r.ID = "abd"
	if _, err := readRunResult(r); err == nil {
		t.Error("a result of another configuration was accepted")
	}
}

func TestQuoteArgs(t *testing.T) {
	got := quoteArgs([]string{"phoneme", "compare", "--schedules", "sentence,frame:k2=1", "--out", "my dir", "it's", ""})
	want := `phoneme compare --schedules sentence,frame:k2=1 --out 'my dir' 'it'\''s' ''`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestCurrentEnvironment: the test binary is not stamped with a revision,
// so it comes from git, which this repository has.
func TestCurrentEnvironment(t *testing.T) {
	e := CurrentEnvironment()
	if e.GoVersion == "" || e.GOOS == "" || e.CPUs < 1 || e.Time == "" {
		t.Errorf("%+v", e)
	}
	if _, err := os.Stat("../.git"); err == nil && len(e.Revision) != 40 {
		t.Errorf("git revision %q (source %q)", e.Revision, e.RevisionSource)
	}
}
