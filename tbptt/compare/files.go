package compare

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/internal/plot"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt/train"
	gplot "gonum.org/v1/plot"
)

// runConfigFile is a run folder's config.json.
type runConfigFile struct {
	ID       string `json:"id"`
	Spec     string `json:"spec"`
	Seed     uint64 `json:"seed"`
	DataDir  string `json:"data_dir,omitempty"`
	Resolved runKey `json:"resolved"` // what ID hashes
}

// runResultFile is a run folder's result.json: the run's row of the
// results table, its learning curve and why it stopped. Undefined rates
// are null.
type runResultFile struct {
	ID              string           `json:"id"`
	Spec            string           `json:"spec"`
	Seed            uint64           `json:"seed"`
	Stopped         train.StopReason `json:"stopped"`
	K1              int              `json:"k1"`
	K2              int              `json:"k2"`
	Truncation      string           `json:"truncation"`
	Updates         int64            `json:"updates"`
	FramesForward   int64            `json:"frames_forward"`
	FramesBackward  int64            `json:"frames_backward"`
	WallSeconds     float64          `json:"wall_seconds"`
	FramesPerSecond *float64         `json:"frames_per_second"`
	BestEpoch       int              `json:"best_epoch"`
	DevFER          *float64         `json:"dev_fer"`
	DevFER39        *float64         `json:"dev_fer39,omitempty"`
	TestFER61       *float64         `json:"test_fer61"`
	TestFER39       *float64         `json:"test_fer39"`
	Curve           []curveJSON      `json:"curve"`
}

type curveJSON struct {
	Epoch       int      `json:"epoch"`
	WallSeconds float64  `json:"wall_seconds"`
	Updates     int64    `json:"updates"`
	TrainLoss   *float64 `json:"train_loss"`
	DevFER      *float64 `json:"dev_fer"`
}

func newRunResultFile(r PlannedRun, run RunRecord, stopped train.StopReason) runResultFile {
	f := runResultFile{ID: r.ID, Spec: r.Spec, Seed: r.Seed, Stopped: stopped,
		K1: run.K1, K2: run.K2, Truncation: run.Truncation,
		Updates: run.Updates, FramesForward: run.FramesForward, FramesBackward: run.FramesBackward,
		WallSeconds: run.WallSeconds, FramesPerSecond: ptr(run.FramesPerSecond), BestEpoch: run.BestEpoch,
		DevFER: ptr(run.DevFER), DevFER39: ptr(run.DevFER39), TestFER61: ptr(run.TestFER61), TestFER39: ptr(run.TestFER39),
		Curve: []curveJSON{}}
	for _, p := range run.Curve {
		f.Curve = append(f.Curve, curveJSON{p.Epoch, p.WallSeconds, p.Updates, ptr(p.TrainLoss), ptr(p.DevFER)})
	}
	return f
}

// run returns the table row, named spec (the entry as given now, which
// may spell the same configuration differently from the first time).
func (f runResultFile) run(spec string) RunRecord {
	run := RunRecord{Schedule: spec, K1: f.K1, K2: f.K2, Truncation: f.Truncation, Seed: f.Seed,
		Updates: f.Updates, FramesForward: f.FramesForward, FramesBackward: f.FramesBackward,
		WallSeconds: f.WallSeconds, FramesPerSecond: val(f.FramesPerSecond), BestEpoch: f.BestEpoch,
		DevFER: val(f.DevFER), DevFER39: val(f.DevFER39), TestFER61: val(f.TestFER61), TestFER39: val(f.TestFER39)}
	for _, p := range f.Curve {
		run.Curve = append(run.Curve, CurvePoint{Epoch: p.Epoch, WallSeconds: p.WallSeconds,
			Updates: p.Updates, TrainLoss: val(p.TrainLoss), DevFER: val(p.DevFER)})
	}
	return run
}

// readRunResult reads the result of a finished run; an error means the
// run is not finished (or its result belongs to another configuration).
func readRunResult(r PlannedRun) (runResultFile, error) {
	path := filepath.Join(r.Dir, RunResultFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return runResultFile{}, err
	}
	var f runResultFile
	if err := json.Unmarshal(b, &f); err != nil {
		return runResultFile{}, fmt.Errorf("%s: %w", path, err)
	}
	if f.ID != r.ID || f.Seed != r.Seed {
		return runResultFile{}, fmt.Errorf("%s: result of run %s seed %d, not %s seed %d", path, f.ID, f.Seed, r.ID, r.Seed)
	}
	return f, nil
}

// ErrDamagedRun is returned (wrapped) when a run's result says it finished
// but its files do not agree: two processes wrote it, or a file was cut.
var ErrDamagedRun = errors.New("finished run with damaged files")

// verifyFinished checks the files of a run whose result.json exists: the
// best-dev and last checkpoints load (their checksums hold) and the epoch
// logs parse and hold every epoch of the result's learning curve.
func verifyFinished(r PlannedRun, f runResultFile) error {
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("run %s: %w: %s; remove the folder to train it again", filepath.Base(r.Dir), ErrDamagedRun, fmt.Sprintf(format, args...))
	}
	for _, p := range []string{r.Model(), train.LastPath(r.Model())} {
		if _, _, err := lstm.Load(p); err != nil {
			return damaged("%v", err)
		}
	}
	jsonl, csvPath := train.LogPaths(r.Model())
	logs, err := train.ReadLog(jsonl)
	if err != nil {
		return damaged("%v", err)
	}
	if len(logs) != len(f.Curve) {
		return damaged("%s has %d epochs, the result %d", filepath.Base(jsonl), len(logs), len(f.Curve))
	}
	for i, e := range logs {
		if e.Epoch != i+1 {
			return damaged("%s line %d is epoch %d", filepath.Base(jsonl), i+1, e.Epoch)
		}
	}
	b, err := os.ReadFile(csvPath)
	if err != nil {
		return damaged("%v", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) != len(logs)+1 {
		return damaged("%s does not hold a header and %d epochs", filepath.Base(csvPath), len(logs))
	}
	return nil
}

// writeJSON writes v as indented JSON through a temporary file.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// compareFile is the output folder's compare.json.
type compareFile struct {
	DataDir   string         `json:"data_dir,omitempty"`
	Data      dataIdentity   `json:"data"`
	Schedules []string       `json:"schedules"`
	Seeds     []uint64       `json:"seeds"`
	Shared    train.Config   `json:"shared"` // lr 0: each optimizer's default
	Budget    string         `json:"budget_unit"`
	Tune      []TuneKey      `json:"tune,omitempty"`
	Bootstrap string         `json:"bootstrap"`
	Jobs      int            `json:"jobs"`
	Runs      []compareRun   `json:"runs"`
	Started   string         `json:"started"`
	Resumed   map[string]int `json:"states"` // runs by state at the start
}

type compareRun struct {
	Spec string `json:"spec"`
	Seed uint64 `json:"seed"`
	ID   string `json:"id"`
	Dir  string `json:"dir"` // relative to the output folder
}

// Environment is what environment.json records about the machine and the
// program that ran a comparison.
type Environment struct {
	Time       string `json:"time"` // RFC 3339, when the comparison started
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Module     string `json:"module,omitempty"`
	// Revision is the git commit the program was built from (from the
	// build information, else from git rev-parse in the working folder);
	// Modified says whether the working tree had uncommitted changes.
	Revision       string `json:"git_revision,omitempty"`
	RevisionTime   string `json:"git_revision_time,omitempty"`
	Modified       *bool  `json:"git_modified,omitempty"`
	RevisionSource string `json:"git_revision_source,omitempty"` // "build info" or "git -C DIR"
}

// CurrentEnvironment describes the running program and machine.
func CurrentEnvironment() Environment {
	e := Environment{Time: time.Now().Format(time.RFC3339), GoVersion: runtime.Version(),
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if bi, ok := debug.ReadBuildInfo(); ok {
		e.Module = bi.Main.Path
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				e.Revision, e.RevisionSource = s.Value, "build info"
			case "vcs.time":
				e.RevisionTime = s.Value
			case "vcs.modified":
				m := s.Value == "true"
				e.Modified = &m
			}
		}
	}
	if e.Revision == "" {
		// Not stamped (go run, -buildvcs=false): ask git, in the working
		// folder and then in the source tree this file was compiled from.
		dirs := []string{"."}
		if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
			dirs = append(dirs, filepath.Dir(file))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		git := func(dir string, args ...string) (string, error) {
			out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).Output()
			return strings.TrimSpace(string(out)), err
		}
		for _, dir := range dirs {
			rev, err := git(dir, "rev-parse", "HEAD")
			if err != nil {
				continue
			}
			e.Revision, e.RevisionSource = rev, "git -C "+dir
			if st, err := git(dir, "status", "--porcelain", "--untracked-files=no"); err == nil {
				m := st != ""
				e.Modified = &m
			}
			if t, err := git(dir, "log", "-1", "--format=%cI"); err == nil {
				e.RevisionTime = t
			}
			break
		}
	}
	return e
}

// quoteArgs renders a command line so that a POSIX shell reads it back.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// writeRecords writes command.txt, environment.json and compare.json.
func (c *comparison) writeRecords(plan Plan) error {
	out := c.cfg.Out
	if c.cfg.Command != nil {
		line := quoteArgs(c.cfg.Command) + "\n"
		if err := atomicfile.WriteFile(filepath.Join(out, "command.txt"), func(w io.Writer) error {
			_, err := io.WriteString(w, line)
			return err
		}); err != nil {
			return err
		}
	}
	if err := writeJSON(filepath.Join(out, "environment.json"), CurrentEnvironment()); err != nil {
		return err
	}
	cf := compareFile{DataDir: c.cfg.Data, Data: c.dataID, Seeds: c.cfg.Seeds, Shared: c.cfg.Base,
		Budget: plan.Unit.String(), Tune: c.cfg.Tune, Bootstrap: c.cfg.Bootstrap.String(), Jobs: c.cfg.Jobs, Started: time.Now().Format(time.RFC3339), Resumed: map[string]int{}}
	cf.Shared.Schedule, cf.Shared.K1, cf.Shared.K2, cf.Shared.Truncation, cf.Shared.Seed = "", 0, "", "", 0
	for _, s := range c.cfg.Schedules {
		cf.Schedules = append(cf.Schedules, s.Text)
	}
	for _, r := range plan.Runs {
		rel, err := filepath.Rel(out, r.Dir)
		if err != nil {
			rel = r.Dir
		}
		cf.Runs = append(cf.Runs, compareRun{r.Spec, r.Seed, r.ID, rel})
		cf.Resumed[r.State.String()]++
	}
	return writeJSON(filepath.Join(out, "compare.json"), cf)
}

// writeSummary writes the results table and the learning-curve plots.
func (c *comparison) writeSummary(res *Result, runs []RunRecord) error {
	out := c.cfg.Out
	// The runs that enter the table: with a grid, those at each schedule's
	// chosen point.
	var chosen []RunResult
	var keys []string
	if len(c.cfg.Tune) > 0 {
		res.Tuning = Tune(runs, c.cfg.Tune)
		pick := map[string]bool{}
		for _, r := range res.Tuning {
			if r.Chosen {
				pick[r.Schedule+"\x00"+r.Point.String()] = true
			}
		}
		runs = runs[:0:0]
		for _, r := range c.results {
			if r.Err == nil && pick[r.Spec+"\x00"+r.Point.String()] {
				chosen = append(chosen, r)
				runs = append(runs, r.Run)
			}
		}
		for _, k := range c.cfg.Tune {
			keys = append(keys, k.Name)
		}
		if err := atomicfile.WriteFile(filepath.Join(out, "tuning.csv"), func(w io.Writer) error {
			return WriteTuningCSV(w, res.Tuning, c.cfg.Tune)
		}); err != nil {
			return err
		}
		res.Files = append(res.Files, filepath.Join(out, "tuning.csv"))
	} else {
		for _, r := range c.results {
			if r.Err == nil {
				chosen = append(chosen, r)
			}
		}
	}
	t, err := NewTable(runs)
	if err != nil {
		return err
	}
	t.Keys = keys
	tests := map[string][][]UttCounts{}
	for _, r := range chosen {
		tests[r.Spec] = append(tests[r.Spec], uttCounts(r.Test))
	}
	for i := range t.Rows {
		for _, r := range chosen {
			if r.Spec == t.Rows[i].Schedule {
				t.Rows[i].Tuned = r.Point
			}
		}
	}
	if err := t.Compare(tests, c.cfg.Bootstrap); err != nil {
		return err
	}
	if pc, k := perCounts(chosen); len(pc) > 0 {
		if err := t.ComparePER(pc, k, c.cfg.Bootstrap); err != nil {
			return err
		}
	}
	t.Notes = append(t.Notes, EdgeNotes(res.Tuning)...)
	res.Table = t
	if err := t.WriteFiles(out); err != nil {
		return err
	}
	res.Files = append(res.Files, filepath.Join(out, "results.md"), filepath.Join(out, "results.csv"))
	if err := writePerUtterance(filepath.Join(out, "per_utterance.csv"), chosen, len(c.cfg.Tune) > 0); err != nil {
		return err
	}
	res.Files = append(res.Files, filepath.Join(out, "per_utterance.csv"))
	if ok, err := writePhoneErrors(filepath.Join(out, PhoneErrorsFile), chosen, len(c.cfg.Tune) > 0); err != nil {
		return err
	} else if ok {
		res.Files = append(res.Files, filepath.Join(out, PhoneErrorsFile))
	}
	plots := []struct {
		name string
		draw func([]RunRecord) (*gplot.Plot, error)
	}{
		{"dev_fer_epoch", DevFERByEpoch},
		{"dev_fer_time", DevFERByTime},
		{"loss_updates", LossByUpdates},
	}
	var errs []error
	if len(c.cfg.Tune) > 0 {
		plots = append(plots, struct {
			name string
			draw func([]RunRecord) (*gplot.Plot, error)
		}{"tuning", func([]RunRecord) (*gplot.Plot, error) { return TuningPlot(res.Tuning, c.cfg.Tune) }})
	}
	for _, p := range plots {
		pl, err := p.draw(runs)
		if err != nil {
			errs = append(errs, fmt.Errorf("plot %s: %w", p.name, err))
			continue
		}
		if pl == nil {
			continue // nothing to draw (a grid of words)
		}
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(out, p.name+ext)
			if err := plot.Save(pl, path, plot.Width, plot.Height); err != nil {
				errs = append(errs, err)
				continue
			}
			res.Files = append(res.Files, path)
		}
	}
	for _, name := range []string{"command.txt", "environment.json", "compare.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			res.Files = append(res.Files, filepath.Join(out, name))
		}
	}
	return errors.Join(errs...)
}

// ptr returns x as a JSON number, or nil (null) when it is undefined.
func ptr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// val reads a number written by ptr.
func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
