package compare

// Schedule comparison: one training run per (schedule, seed), identical in
// everything but the schedule, each scored on test, summarised in a table
// and plots. The schedule list syntax is documented at Spec.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/internal/lock"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt/train"
)

// Config describes a schedule comparison.
type Config struct {
	// Train, Dev and Test are the splits as LoadSplit returns them (raw
	// features). Dev picks each run's best epoch; that checkpoint is scored
	// on Test.
	Train, Dev, Test *data.Split
	// Data is the folder the splits came from, recorded for the reader.
	Data string

	// Schedules are the runs' schedules and per-run options
	// (ParseSpecs).
	Schedules []Spec
	// Seeds: every schedule is trained once per seed. A seed fixes the
	// initial weights and the data order, the same for every schedule.
	Seeds []uint64
	// Base holds the options shared by every run; its schedule fields and
	// seed are ignored. The budget is its stopping limits: Epochs (equal
	// epochs), MaxFrames (equal frames forward-propagated, re-runs counted;
	// set Epochs to 0) or MaxSeconds (equal wall-clock time, dev scoring
	// included; set Epochs to 0). LR 0 means the optimizer's default
	// (train.DefaultLR), chosen per run.
	Base train.Config

	// Tune, if set, is a grid of option values: every schedule runs at every
	// grid point with every seed, and per schedule the point with the lowest
	// mean dev FER-61 is chosen for the results table (see Tune).
	Tune []TuneKey
	// Bootstrap is the unit the significance test resamples (utterances or
	// speakers of the test set).
	Bootstrap BootstrapUnit

	// Decode is the decoder of the test PER-39 column (computed from each
	// finished run's best-dev checkpoint when the table is written; no
	// column when the test split has no text file): greedy, or Viterbi
	// tuned per run on dev.
	Decode eval.DecoderKind

	// Out is the output folder; runs live in Out/runs/<name>-<hash>.
	Out string
	// Jobs is the number of runs trained at once (≤ 0: runtime.NumCPU()).
	// Each run trains on one goroutine.
	Jobs int
	// Command is the command line to record in command.txt (nil: none).
	Command []string
	// StaleAfter is how old the heartbeat of another process's claim on a
	// run may be before this process takes the run over (0:
	// DefaultStaleAfter). See RunTask.
	StaleAfter time.Duration
}

// PlannedRun is one (schedule, seed) run of a comparison.
type PlannedRun struct {
	Spec   string    // the schedule entry as given
	Point  GridPoint // the tuned values (nil untuned)
	Seed   uint64
	Config train.Config // resolved
	// ID is a hash of the resolved configuration and the data: a changed
	// configuration gets a new folder.
	ID  string
	Dir string // Out/runs/<spec>-seed<seed>-<ID>
	// State is "done" (finished by an earlier invocation: skipped),
	// "resume" (interrupted: continued) or "new".
	State RunState
}

// A RunState says what a comparison does with a planned run.
type RunState int

const (
	RunNew    RunState = iota // not started: trained from the beginning
	RunResume                 // interrupted: continued from its saved state
	RunDone                   // finished by an earlier invocation: skipped
)

var stateNames = [...]string{RunNew: "new", RunResume: "resume", RunDone: "done"}

// String returns "new", "resume" or "done".
func (s RunState) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("RunState(%d)", int(s))
	}
	return stateNames[s]
}

// MarshalText implements encoding.TextMarshaler.
func (s RunState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Files of a run folder.
const (
	RunConfigFile = "config.json"
	RunResultFile = "result.json"
	RunModelFile  = "model.safetensors" // best-dev checkpoint; see train.LastPath, train.ResumePath, train.LogPaths
	// RunUtterancesFile scores the best-dev checkpoint per test and dev
	// utterance: the raw data of the significance tests.
	RunUtterancesFile = "utterances.csv"
)

// Model returns the path of the run's best-dev checkpoint.
func (p PlannedRun) Model() string { return filepath.Join(p.Dir, RunModelFile) }

// Plan is what a comparison is about to do.
type Plan struct {
	Runs []PlannedRun
	// Total is the work of all runs in Unit: "frames" (training frames
	// streamed) for an epoch budget, "frames fwd" (frames
	// forward-propagated, re-runs counted) for a frame budget, "s" for a
	// time budget, "updates" for an update budget. Done is the part that
	// earlier invocations did.
	Total, Done int64
	Unit        BudgetUnit
}

// Hooks let a caller follow a comparison; every field may be nil.
// Calls are serialised (never two at once), though they come from the
// goroutines of several runs.
type Hooks struct {
	Start      func(Plan)
	Progress   func(n int64) // n more units of Plan.Unit done
	RunStart   func(PlannedRun)
	EpochStart func(r PlannedRun, epoch int)
	EpochEnd   func(PlannedRun, train.EpochLog)
	RunEnd     func(RunResult)
}

// RunResult is the outcome of one run.
type RunResult struct {
	PlannedRun
	Run     RunRecord        // schedule, cost, dev and test FER, learning curve
	Stopped train.StopReason // why training stopped
	// Test and Dev score the best-dev checkpoint per utterance.
	Test, Dev []eval.UtteranceScore
	// TestPhones scores the best-dev checkpoint's decoded phone strings per
	// test utterance (nil when the test split has no text file).
	TestPhones []eval.PhoneScore
	Err        error // the run failed; Run is then incomplete
}

// Result is the outcome of a comparison.
type Result struct {
	Runs  []RunResult // in plan order: schedules as listed, seeds within
	Table *Table      // over the runs without error (at the chosen grid points)
	// Tuning has a row per schedule and grid point of a tuned comparison.
	Tuning []TuningRow
	Files  []string // files written into Out, tables and plots first
}

// Compare trains every (schedule, seed) run of cfg — up to cfg.Jobs at a
// time — scores each run's best-dev checkpoint on cfg.Test and writes into
// cfg.Out:
//
//   - results.md, results.csv: mean ± sd over seeds per schedule (Table);
//   - dev_fer_epoch, dev_fer_time, loss_updates (.png and .svg): learning
//     curves, one line per schedule with a band over seeds;
//   - command.txt, environment.json (git revision, Go version, platform,
//     CPUs, time) and compare.json (the comparison and its runs);
//   - runs/<spec>-seed<seed>-<hash>/: config.json (the resolved
//     configuration), model.safetensors (best dev), model.last.safetensors,
//     model.resume, model.log.jsonl/.csv (epoch log) and result.json.
//
// Runs with the same seed start from the same weights and see the data in
// the same order (Train draws both from the seed alone); network, optimizer
// and budget are shared unless an entry overrides them, so the schedule is
// the only difference. A run whose result.json exists is skipped; one with
// a saved state is resumed, so re-running an interrupted comparison ends
// with the numbers an uninterrupted one gives (except under a time budget).
//
// When ctx is cancelled every running run saves its state and Compare
// returns an error wrapping train.ErrInterrupted. A run that fails (diverges,
// say) does not stop the others: the table is written over the rest and
// the error names the failed runs.
//
// One Run at a time owns the folder (compare.lock). Each run is also
// claimed while it trains (see RunTask), so that Run never trains a run
// that a task of the same comparison trains elsewhere (that run fails with
// ErrClaimed), and a folder whose plan file (PlanFile) plans another
// comparison is refused (ErrPlanDiffers).
func Run(ctx context.Context, cfg Config, hooks Hooks) (*Result, error) {
	plan, dataID, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.Out, "runs"), 0o755); err != nil {
		return nil, err
	}
	// One process owns a comparison's folder; each run's own lock (train.Run)
	// guards it against anything else.
	lk, err := lock.Acquire(filepath.Join(cfg.Out, "compare.lock"))
	if err != nil {
		return nil, err
	}
	defer lk.Release()
	// Tasks of a distributed comparison may share the folder (each run is
	// claimed before it is trained); they must plan the same comparison.
	if err := checkPlan(cfg, cfg.tasks(plan), dataID, false); err != nil {
		return nil, err
	}
	c := &comparison{cfg: cfg, hooks: hooks, dataID: dataID, task: -1, results: make([]RunResult, len(plan.Runs))}
	if err := c.writeRecords(plan); err != nil {
		return nil, err
	}
	c.call(func() {
		if hooks.Start != nil {
			hooks.Start(plan)
		}
	})

	jobs := cfg.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(plan.Runs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c.results[i] = c.do(ctx, plan.Runs[i], c.budget(plan.Runs[i]))
				c.call(func() {
					if hooks.RunEnd != nil {
						hooks.RunEnd(c.results[i])
					}
				})
			}
		}()
	}
	for i := range plan.Runs {
		if ctx.Err() != nil {
			c.results[i] = RunResult{PlannedRun: plan.Runs[i], Err: fmt.Errorf("%w before it started", train.ErrInterrupted)}
			continue
		}
		work <- i
	}
	close(work)
	wg.Wait()

	if ctx.Err() == nil {
		if err := c.phoneErrorRates(); err != nil {
			return &Result{Runs: c.results}, err
		}
	}
	res := &Result{Runs: c.results}
	var runs []RunRecord
	var failed []string
	var firstErr error
	for _, r := range c.results {
		if r.Err != nil {
			failed = append(failed, filepath.Base(r.Dir))
			if firstErr == nil || errors.Is(firstErr, train.ErrInterrupted) && !errors.Is(r.Err, train.ErrInterrupted) {
				firstErr = r.Err
			}
			continue
		}
		runs = append(runs, r.Run)
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("comparison %w: %d of %d runs unfinished; run the same command again to continue", train.ErrInterrupted, len(failed), len(plan.Runs))
	}
	if len(runs) > 0 {
		if err := c.writeSummary(res, runs); err != nil {
			return res, err
		}
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("%d of %d runs failed (%s): %w", len(failed), len(plan.Runs), strings.Join(failed, ", "), firstErr)
	}
	return res, nil
}

// Plan resolves the runs of cfg and finds which of them earlier
// invocations finished or left resumable. It reads the data and the run
// folders but writes nothing.
func (cfg Config) Plan() (Plan, error) {
	plan, _, err := cfg.plan()
	return plan, err
}

func (cfg Config) plan() (Plan, dataIdentity, error) {
	if err := cfg.check(); err != nil {
		return Plan{}, dataIdentity{}, err
	}
	dataID := dataIdentity{Train: fingerprint(cfg.Train), Dev: fingerprint(cfg.Dev), Test: fingerprint(cfg.Test)}
	var plan Plan
	plan.Unit = budgetUnit(cfg.Base)
	first := map[string]string{} // resolved configuration (seed 0) → entry
	for _, k := range cfg.Tune {
		for _, spec := range cfg.Schedules {
			if spec.has(k.Name) {
				return Plan{}, dataIdentity{}, fmt.Errorf("schedule %q sets %s, which the grid tunes", spec.Text, k.Name)
			}
		}
	}
	for _, spec := range cfg.Schedules {
		for _, point := range Grid(cfg.Tune) {
			base := cfg.Base
			if err := point.apply(&base); err != nil {
				return Plan{}, dataIdentity{}, fmt.Errorf("tune %s: %w", point, err)
			}
			if base.LR == 0 && !spec.has("lr") {
				opt := base.Optimizer
				for _, o := range spec.Options {
					if o.Key == "optimizer" {
						opt = train.OptimizerKind(o.Value)
					}
				}
				base.LR = train.DefaultLR(opt)
			}
			tc, err := spec.Apply(base)
			if err != nil {
				return Plan{}, dataIdentity{}, err
			}
			if err := checkInitShape(spec, tc); err != nil {
				return Plan{}, dataIdentity{}, err
			}
			tc.Seed, tc.Resume = 0, false
			key, _ := json.Marshal(tc)
			name := spec.Text
			if len(point) > 0 {
				name += " at " + point.String()
			}
			if prev, ok := first[string(key)]; ok {
				return Plan{}, dataIdentity{}, fmt.Errorf("schedules %q and %q are the same run", prev, name)
			}
			first[string(key)] = name
			for _, seed := range cfg.Seeds {
				tc.Seed = seed
				if err := tc.Validate(); err != nil {
					return Plan{}, dataIdentity{}, fmt.Errorf("schedule %q: %w", spec.Text, err)
				}
				id := runID(tc, dataID)
				r := PlannedRun{Spec: spec.Text, Point: point, Seed: seed, Config: tc, ID: id,
					Dir: filepath.Join(cfg.Out, "runs", fmt.Sprintf("%s-seed%d-%s", slug(spec.Text), seed, id))}
				r.State = RunNew
				if rf, err := readRunResult(r); err == nil {
					if err := verifyFinished(r, rf); err != nil {
						return Plan{}, dataIdentity{}, err
					}
					r.State = RunDone
				} else if train.Resumable(r.Model()) {
					r.State = RunResume
				}
				b := cfg.budgetOf(r)
				plan.Total += b.total
				plan.Done += b.done
				plan.Runs = append(plan.Runs, r)
			}
		}
	}
	return plan, dataID, nil
}

func (cfg Config) check() error {
	switch {
	case cfg.Train == nil || len(cfg.Train.Sentences) == 0:
		return errors.New("compare: no training data")
	case cfg.Dev == nil || len(cfg.Dev.Sentences) == 0:
		return errors.New("compare: no dev data (it chooses each run's best epoch)")
	case cfg.Test == nil || len(cfg.Test.Sentences) == 0:
		return errors.New("compare: no test data")
	case len(cfg.Schedules) == 0:
		return errors.New("compare: no schedules")
	case len(cfg.Seeds) == 0:
		return errors.New("compare: no seeds")
	case cfg.Out == "":
		return errors.New("compare: no output folder")
	}
	seen := map[uint64]bool{}
	for _, s := range cfg.Seeds {
		if seen[s] {
			return fmt.Errorf("compare: seed %d given twice", s)
		}
		seen[s] = true
	}
	return nil
}

// dataIdentity identifies the data of a run by content, not by path.
type dataIdentity struct {
	Train splitID `json:"train"`
	Dev   splitID `json:"dev"`
	Test  splitID `json:"test"`
}

type splitID struct {
	Sentences int    `json:"sentences"`
	Frames    int64  `json:"frames"`
	SHA256    string `json:"sha256"` // of IDs, features, labels, feature config and CMVN
}

// fingerprint hashes everything in s that training or scoring reads.
func fingerprint(s *data.Split) splitID {
	h := sha256.New()
	id := splitID{Sentences: len(s.Sentences)}
	if s.Manifest != nil {
		b, _ := json.Marshal(struct {
			F    any
			P    []string
			M, S []float32
		}{s.Manifest.Features, s.Manifest.Phones, s.Manifest.CMVNMean, s.Manifest.CMVNStd})
		h.Write(b)
	}
	var buf []byte
	for _, x := range s.Sentences {
		buf = buf[:0]
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(x.ID)))
		buf = append(buf, x.ID...)
		rows, cols := 0, 0
		if x.Feats != nil {
			rows, cols = x.Feats.Rows, x.Feats.Cols
			id.Frames += int64(rows)
		}
		buf = binary.LittleEndian.AppendUint32(buf, uint32(rows))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(cols))
		if x.Feats != nil {
			for _, v := range x.Feats.Data {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
		}
		for _, l := range x.Labels {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(l))
		}
		h.Write(buf)
	}
	id.SHA256 = hex.EncodeToString(h.Sum(nil))
	return id
}

// runKey is what a run's folder name hashes.
type runKey struct {
	Format int          `json:"format"`
	Train  train.Config `json:"train"`
	Data   dataIdentity `json:"data"`
}

func runID(c train.Config, d dataIdentity) string {
	b, _ := json.Marshal(runKey{Format: 1, Train: c, Data: d})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// slug turns a schedule entry into a folder-name part.
func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		case r == '=':
			b.WriteByte('-')
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 60 {
		out = out[:60]
	}
	return out
}

// A BudgetUnit is what a comparison's budget and progress count.
type BudgetUnit int

const (
	// UnitFrames counts training frames streamed (an epoch budget).
	UnitFrames BudgetUnit = iota
	// UnitFramesForward counts frames forward-propagated, re-runs included
	// (a frame budget).
	UnitFramesForward
	// UnitSeconds counts wall-clock seconds (a time budget).
	UnitSeconds
	// UnitUpdates counts weight updates (an update budget).
	UnitUpdates
)

var unitNames = [...]string{UnitFrames: "frames", UnitFramesForward: "frames fwd", UnitSeconds: "s", UnitUpdates: "updates"}

// String returns the unit as a progress bar shows it.
func (u BudgetUnit) String() string {
	if u < 0 || int(u) >= len(unitNames) {
		return fmt.Sprintf("BudgetUnit(%d)", int(u))
	}
	return unitNames[u]
}

// budgetUnit returns the unit of a comparison's budget.
func budgetUnit(c train.Config) BudgetUnit {
	switch {
	case c.MaxSeconds > 0:
		return UnitSeconds
	case c.MaxFrames > 0:
		return UnitFramesForward
	case c.Epochs > 0:
		return UnitFrames
	case c.MaxUpdates > 0:
		return UnitUpdates
	}
	return UnitFrames
}

// runBudget is the progress of one run in its comparison's unit.
type runBudget struct {
	unit        BudgetUnit
	total, done int64
	epochFrames int64
}

// budgetOf returns the work of r in the comparison's unit and the part of
// it already done, read from the run's saved state.
func (cfg Config) budgetOf(r PlannedRun) runBudget {
	b := runBudget{unit: budgetUnit(cfg.Base), epochFrames: cfg.Train.Frames()}
	c := r.Config
	switch b.unit {
	case UnitSeconds:
		b.total = int64(math.Ceil(c.MaxSeconds))
	case UnitFramesForward:
		b.total = c.MaxFrames
	case UnitFrames:
		b.total = int64(c.Epochs) * b.epochFrames
	case UnitUpdates:
		b.total = c.MaxUpdates
	}
	switch r.State {
	case RunDone:
		b.done = b.total
	case RunResume:
		p, err := train.SavedProgress(r.Model())
		if err != nil {
			break
		}
		switch b.unit {
		case UnitSeconds:
			b.done = int64(p.Wall)
		case UnitFramesForward:
			b.done = p.Forward
		case UnitUpdates:
			b.done = p.Updates
		case UnitFrames:
			b.done = int64(p.Epoch) * b.epochFrames
			for _, i := range p.Order[:min(p.Pos, len(p.Order))] {
				if i >= 0 && i < len(cfg.Train.Sentences) {
					b.done += int64(cfg.Train.Sentences[i].Feats.Rows)
				}
			}
		}
		if p.Stopped != train.NotStopped {
			b.done = b.total
		}
		b.done = min(b.done, b.total)
	}
	return b
}

// comparison is the state shared by the runs of one Compare call.
type comparison struct {
	cfg     Config
	hooks   Hooks
	dataID  dataIdentity
	mu      sync.Mutex // serialises hook calls
	results []RunResult
	task    int    // the task index in claims; -1: a local comparison
	lost    func() // called when a run's claim is lost (nil: the run is cancelled)
}

func (c *comparison) call(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

func (c *comparison) budget(r PlannedRun) *runBudget {
	b := c.cfg.budgetOf(r)
	return &b
}

// do trains, scores and records one run, once it has claimed it.
func (c *comparison) do(ctx context.Context, r PlannedRun, b *runBudget) RunResult {
	out := RunResult{PlannedRun: r}
	if r.State != RunDone && ctx.Err() != nil {
		out.Err = fmt.Errorf("run %s: %w before it started", filepath.Base(r.Dir), train.ErrInterrupted)
		return out
	}
	if r.State == RunDone {
		if out := c.finished(r); out.Err == nil {
			return out
		}
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		out.Err = err
		return out
	}
	held, _, err := claimRun(r.Dir, c.task, c.cfg.staleAfter(), c.lost)
	if err != nil {
		out.Err = fmt.Errorf("run %s: %w", filepath.Base(r.Dir), err)
		return out
	}
	out = c.claimed(ctx, held, r, b)
	if err := held.release(); err != nil && out.Err == nil {
		out.Err = err
	}
	return out
}

// finished reads the records of a finished run.
func (c *comparison) finished(r PlannedRun) RunResult {
	out := RunResult{PlannedRun: r}
	rf, err := readRunResult(r)
	if err != nil {
		out.Err = fmt.Errorf("run %s: %w", filepath.Base(r.Dir), err)
		return out
	}
	out.Run, out.Stopped = rf.run(r.Spec), rf.Stopped
	out.Run.Point = r.Point
	if err := c.utterances(r, &out); err != nil {
		out.Err = fmt.Errorf("run %s: %w", filepath.Base(r.Dir), err)
	}
	return out
}

// claimed trains, scores and records r, whose claim this process holds.
// Another process may have finished or advanced the run since it was
// planned; b (nil: computed) is then recomputed.
func (c *comparison) claimed(ctx context.Context, held *heldClaim, r PlannedRun, b *runBudget) RunResult {
	if s := runState(r); s != r.State || b == nil {
		r.State = s
		b = c.budget(r)
	}
	if r.State == RunDone {
		return c.finished(r)
	}
	ctx, lost := claimContext(ctx)
	if c.lost == nil {
		held.setLost(lost)
	}
	out := c.train(ctx, r, b)
	if errors.Is(context.Cause(ctx), ErrClaimLost) {
		out.Err = fmt.Errorf("run %s: %w", filepath.Base(r.Dir), ErrClaimLost)
	}
	return out
}

// train trains, scores and records r.
func (c *comparison) train(ctx context.Context, r PlannedRun, b *runBudget) RunResult {
	out := RunResult{PlannedRun: r}
	if err := writeJSON(filepath.Join(r.Dir, RunConfigFile), runConfigFile{
		ID: r.ID, Spec: r.Spec, Seed: r.Seed, DataDir: c.cfg.Data,
		Resolved: runKey{Format: 1, Train: r.Config, Data: c.dataID},
	}); err != nil {
		out.Err = err
		return out
	}
	c.call(func() {
		if c.hooks.RunStart != nil {
			c.hooks.RunStart(r)
		}
	})
	tc := r.Config
	tc.Resume = train.Resumable(r.Model())
	start := time.Now()
	var wallBefore float64
	if tc.Resume {
		if p, err := train.SavedProgress(r.Model()); err == nil {
			wallBefore = p.Wall
		}
	}
	report := func(done int64) {
		done = min(done, b.total)
		if d := done - b.done; d > 0 {
			b.done = done
			c.call(func() {
				if c.hooks.Progress != nil {
					c.hooks.Progress(d)
				}
			})
		}
	}
	hooks := train.Hooks{
		EpochStart: func(epoch int, _ int64) {
			c.call(func() {
				if c.hooks.EpochStart != nil {
					c.hooks.EpochStart(r, epoch)
				}
			})
		},
		Progress: func(frames int64) {
			switch b.unit {
			case UnitFrames:
				report(b.done + frames)
			case UnitSeconds:
				report(int64(wallBefore + time.Since(start).Seconds()))
			}
		},
		Update: func(n int64) {
			if b.unit == UnitUpdates {
				report(n)
			}
		},
		EpochEnd: func(e train.EpochLog) {
			if b.unit == UnitFramesForward {
				report(e.FramesForward)
			}
			c.call(func() {
				if c.hooks.EpochEnd != nil {
					c.hooks.EpochEnd(r, e)
				}
			})
		},
	}
	res, err := train.Run(ctx, tc, c.cfg.Train, c.cfg.Dev, r.Model(), hooks)
	if err != nil {
		out.Err = fmt.Errorf("run %s: %w", filepath.Base(r.Dir), err)
		return out
	}
	m, md, err := lstm.Load(res.Path)
	if err != nil {
		out.Err = fmt.Errorf("run %s: %w", filepath.Base(r.Dir), err)
		return out
	}
	rep, err := eval.EvaluateModel(m, md, c.cfg.Test)
	if err != nil {
		out.Err = fmt.Errorf("run %s: score test: %w", filepath.Base(r.Dir), err)
		return out
	}
	devRep, err := eval.EvaluateModel(m, md, c.cfg.Dev)
	if err != nil {
		out.Err = fmt.Errorf("run %s: score dev: %w", filepath.Base(r.Dir), err)
		return out
	}
	out.Test, out.Dev = rep.Utterances, devRep.Utterances
	if err := writeUtterances(filepath.Join(r.Dir, RunUtterancesFile), out.Test, out.Dev); err != nil {
		out.Err = err
		return out
	}
	out.Run = evalRun(r, res, rep)
	out.Stopped = res.Stopped
	if err := writeJSON(filepath.Join(r.Dir, RunResultFile), newRunResultFile(r, out.Run, res.Stopped)); err != nil {
		out.Err = err
		return out
	}
	report(b.total)
	return out
}

// evalRun summarises a finished run for the results table.
func evalRun(r PlannedRun, res *train.Result, rep *eval.Report) RunRecord {
	run := RunRecord{
		Schedule: r.Spec, Point: r.Point, K1: res.Schedule.K1, K2: res.Schedule.K2,
		Truncation: res.Schedule.Truncation.String(), Seed: r.Seed,
		Updates: res.Updates, FramesForward: res.FramesForward, FramesBackward: res.FramesBackward,
		WallSeconds: res.WallSeconds, BestEpoch: res.BestEpoch, DevFER: res.BestDevFER61, DevFER39: res.BestDevFER39,
		TestFER61: rep.FER61, TestFER39: rep.FER39, FramesPerSecond: math.NaN(),
	}
	var seconds float64
	for _, e := range res.Epochs {
		seconds += e.Seconds
		run.Curve = append(run.Curve, CurvePoint{Epoch: e.Epoch, WallSeconds: e.WallSeconds,
			Updates: e.Updates, TrainLoss: e.Loss, DevFER: e.DevFER61})
	}
	if seconds > 0 {
		// As in the epoch log: frames forward (re-runs counted) per second
		// of training, dev scoring excluded.
		run.FramesPerSecond = float64(res.FramesForward) / seconds
	}
	return run
}

// checkInitShape refuses an entry that starts from a checkpoint (init) and
// also sets a network shape that differs from the checkpoint's: the
// checkpoint's shape would silently win.
func checkInitShape(spec Spec, c train.Config) error {
	conflicts, err := train.InitShapeConflicts(c, spec.has)
	if err != nil {
		return fmt.Errorf("schedule %q: init: %w", spec.Text, err)
	}
	if len(conflicts) == 0 {
		return nil
	}
	switch k := conflicts[0]; k.Option {
	case "hidden":
		return fmt.Errorf("schedule %q: init %s has %d cells per layer, not hidden=%d (the shape comes from init)", spec.Text, c.Init, k.Checkpoint.Hidden, k.Given.Hidden)
	case "layers":
		return fmt.Errorf("schedule %q: init %s has %d layers, not layers=%d (the shape comes from init)", spec.Text, c.Init, k.Checkpoint.Layers, k.Given.Layers)
	default:
		return fmt.Errorf("schedule %q: init %s has peepholes=%t, not %t (the shape comes from init)", spec.Text, c.Init, k.Checkpoint.Peepholes, k.Given.Peepholes)
	}
}
