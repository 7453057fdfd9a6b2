package compare

// A comparison as independent, indexed tasks: one per run, for job arrays
// (Slurm, Kubernetes indexed Jobs, AWS Batch, SGE, LSF) on machines that
// share the output folder. Each task claims its run (claim.go), trains it
// and writes its result; Collect then writes the tables and plots from the
// finished runs, the same files a local comparison writes.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phoneme/phoneme/tbptt/train"
)

// A TaskStatus says where a task's run stands.
type TaskStatus int

const (
	TaskPending TaskStatus = iota // not finished, and nobody trains it
	TaskRunning                   // a live process has claimed it
	TaskDone                      // finished: its result is written
	TaskFailed                    // the last attempt failed (see Task.Failure); not finished
)

var taskStatusNames = [...]string{TaskPending: "pending", TaskRunning: "running", TaskDone: "done", TaskFailed: "failed"}

// String returns "pending", "running", "done" or "failed".
func (s TaskStatus) String() string {
	if s < 0 || int(s) >= len(taskStatusNames) {
		return fmt.Sprintf("TaskStatus(%d)", int(s))
	}
	return taskStatusNames[s]
}

// MarshalText implements encoding.TextMarshaler.
func (s TaskStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// A Task is one run of a comparison with its index.
type Task struct {
	// Index numbers the runs: schedules in the order listed, then grid
	// points (the tuned keys taken in name order, whatever the order of
	// the --tune flags, each key's values as listed), then seeds as listed.
	Index  int
	Run    PlannedRun
	Status TaskStatus
	// Claim is the claim on the run, if any: its owner while Running, a
	// dead owner's (stale: it will be taken over) while Pending.
	Claim *Claim
	// Failure is the error of the last attempt (Failed).
	Failure string
}

// Name is the task's run folder name, "sentence-seed1-3f2a…".
func (t Task) Name() string { return filepath.Base(t.Run.Dir) }

// FailureFile records, in a run folder, why the last attempt at it failed.
const FailureFile = "failed.txt"

// Tasks returns the comparison's tasks in index order with their status,
// after checking that the output folder's plan file, if any, plans the same
// comparison. It reads the data and the run folders but writes nothing.
func (cfg Config) Tasks() ([]Task, error) { return cfg.checkedTasks(false) }

// checkedTasks plans the comparison, checks the output folder's plan file
// against it (writing one if there is none and write is set) and returns
// the tasks with their status.
func (cfg Config) checkedTasks(write bool) ([]Task, error) {
	plan, dataID, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	tasks := cfg.tasks(plan)
	if err := checkPlan(cfg, tasks, dataID, write); err != nil {
		return nil, err
	}
	return tasks, nil
}

func (cfg Config) tasks(plan Plan) []Task {
	tasks := make([]Task, len(plan.Runs))
	for i, p := range taskOrder(cfg, plan.Runs) {
		tasks[i] = Task{Index: i, Run: plan.Runs[p]}
		tasks[i].status(cfg.staleAfter())
	}
	return tasks
}

func (cfg Config) staleAfter() time.Duration {
	if cfg.StaleAfter > 0 {
		return cfg.StaleAfter
	}
	return DefaultStaleAfter
}

// status reads the task's claim and failure record.
func (t *Task) status(staleAfter time.Duration) {
	t.Status, t.Claim, t.Failure = TaskPending, nil, ""
	if t.Run.State == RunDone {
		t.Status = TaskDone
		return
	}
	if c, err := readClaim(filepath.Join(t.Run.Dir, ClaimFile)); err == nil {
		t.Claim = &c
		self, _ := newClaim(-1)
		if !c.stale(time.Now(), staleAfter, self) {
			t.Status = TaskRunning
			return
		}
	}
	if b, err := os.ReadFile(filepath.Join(t.Run.Dir, FailureFile)); err == nil {
		t.Status, t.Failure = TaskFailed, strings.TrimSpace(string(b))
	}
}

// taskOrder returns the plan's run indices in task order. The plan lists
// runs by schedule, grid point and seed; the task order differs only in
// taking the tuned keys in name order, so that the order of --tune flags
// does not renumber the tasks.
func taskOrder(cfg Config, runs []PlannedRun) []int {
	specs := map[string]int{}
	for i, s := range cfg.Schedules {
		specs[s.Text] = i
	}
	seeds := map[uint64]int{}
	for i, s := range cfg.Seeds {
		seeds[s] = i
	}
	points := map[string]int{}
	for i, p := range Grid(sortedTune(cfg.Tune)) {
		points[p.String()] = i
	}
	canonical := func(p GridPoint) int {
		q := slices.Clone(p)
		slices.SortStableFunc(q, func(a, b Setting) int { return strings.Compare(a.Key, b.Key) })
		return points[q.String()]
	}
	order := make([]int, len(runs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := runs[a], runs[b]
		return cmp.Or(cmp.Compare(specs[x.Spec], specs[y.Spec]),
			cmp.Compare(canonical(x.Point), canonical(y.Point)),
			cmp.Compare(seeds[x.Seed], seeds[y.Seed]))
	})
	return order
}

// taskEnv lists the environment variables that carry an array job's task
// index, in the order --task auto reads them, with the index of the first
// task (SGE and LSF count from 1; the others, like tasks, from 0).
var taskEnv = []struct {
	Name  string
	First int
}{
	{"SLURM_ARRAY_TASK_ID", 0},
	{"JOB_COMPLETION_INDEX", 0}, // Kubernetes indexed Job
	{"AWS_BATCH_JOB_ARRAY_INDEX", 0},
	{"SGE_TASK_ID", 1},
	{"LSB_JOBINDEX", 1},
}

// ErrNoTaskEnv is returned (wrapped) by TaskFromEnv when no array-job
// variable is set.
var ErrNoTaskEnv = errors.New("no array-job task index in the environment")

// TaskFromEnv returns the task index an array-job engine gives this
// process, read with getenv (os.Getenv), and the variable it came from.
func TaskFromEnv(getenv func(string) string) (index int, from string, err error) {
	for _, v := range taskEnv {
		s := strings.TrimSpace(getenv(v.Name))
		if s == "" || s == "undefined" { // SGE sets "undefined" outside array jobs
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < v.First {
			return 0, v.Name, fmt.Errorf("%s=%q is not a task index (a whole number ≥ %d)", v.Name, s, v.First)
		}
		return n - v.First, v.Name, nil
	}
	names := make([]string, len(taskEnv))
	for i, v := range taskEnv {
		names[i] = v.Name
	}
	return 0, "", fmt.Errorf("%w: none of %s is set (run inside an array job, or give the index)", ErrNoTaskEnv, strings.Join(names, ", "))
}

// TaskHooks let a caller follow one task; every field may be nil.
type TaskHooks struct {
	Hooks
	// Waiting is called when a live process trains the run: RunTask
	// waits until it finishes (or dies, and its claim goes stale).
	Waiting func(Claim)
	// TookOver is called when the run was claimed by a process presumed
	// dead: training resumes from the run's last saved state.
	TookOver func(Claim)
	// Lost is called when the heartbeat finds the claim taken over; the
	// process must stop writing at once. Nil: the run's context is
	// cancelled (the run then saves its state, which races the new owner's).
	Lost func()
}

// A TaskResult is the outcome of RunTask.
type TaskResult struct {
	RunResult
	Index int
	// AlreadyDone: the run was finished before this call (by an earlier
	// task, or by the process this one waited for).
	AlreadyDone bool
}

// RunTask trains the run of task index alone (no table: see Collect),
// after checking that the output folder's plan file plans the same
// comparison (and writing it if it is the first). It returns once the run
// is finished, without training if it already is; a run that a live
// process trains is waited for. So it may be run any number of times.
func RunTask(ctx context.Context, cfg Config, index int, hooks TaskHooks) (*TaskResult, error) {
	plan, dataID, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	tasks := cfg.tasks(plan)
	if index < 0 || index >= len(tasks) {
		return nil, fmt.Errorf("task %d: the comparison has tasks 0 to %d", index, len(tasks)-1)
	}
	if err := checkPlan(cfg, tasks, dataID, true); err != nil {
		return nil, err
	}
	t := tasks[index]
	c := &comparison{cfg: cfg, hooks: hooks.Hooks, dataID: dataID, task: index, lost: hooks.Lost}
	res := &TaskResult{RunResult: RunResult{PlannedRun: t.Run}, Index: index}
	poll := min(heartbeatEvery(cfg.staleAfter()), 5*time.Second)
	var waitedFor string
	for {
		if t.Run.State == RunDone {
			res.RunResult, res.AlreadyDone = c.finished(t.Run), true
			return res, res.RunResult.Err
		}
		if err := os.MkdirAll(t.Run.Dir, 0o755); err != nil {
			return nil, err
		}
		held, owner, err := claimRun(t.Run.Dir, index, cfg.staleAfter(), c.lost)
		if err == nil {
			if held.previous != nil && hooks.TookOver != nil {
				hooks.TookOver(*held.previous)
			}
			os.Remove(filepath.Join(t.Run.Dir, FailureFile)) // a new attempt
			res.RunResult = c.claimed(ctx, held, t.Run, nil)
			if err := held.release(); err != nil && res.RunResult.Err == nil {
				res.RunResult.Err = err
			}
			if res.RunResult.Err != nil && !errors.Is(res.RunResult.Err, train.ErrInterrupted) && !errors.Is(res.RunResult.Err, ErrClaimLost) {
				os.WriteFile(filepath.Join(t.Run.Dir, FailureFile), []byte(res.RunResult.Err.Error()+"\n"), 0o644)
			}
			return res, res.RunResult.Err
		}
		if !errors.Is(err, ErrClaimed) {
			return nil, err
		}
		if owner.Token != waitedFor && hooks.Waiting != nil {
			hooks.Waiting(owner)
		}
		waitedFor = owner.Token
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("task %d: %w while waiting for %s", index, train.ErrInterrupted, owner)
		case <-time.After(poll):
		}
		t.Run.State = runState(t.Run)
	}
}

// runState finds what an earlier process left of r.
func runState(r PlannedRun) RunState {
	if rf, err := readRunResult(r); err == nil && verifyFinished(r, rf) == nil {
		return RunDone
	}
	if train.Resumable(r.Model()) {
		return RunResume
	}
	return RunNew
}

// Collect writes the results, tuning and plot files of a comparison whose
// runs were trained as tasks, as Run does from runs it trained itself (the
// same numbers: only the records of wall time differ). It trains nothing.
// If a run is not finished the error lists the tasks left (pending,
// running or failed); the files are then written over the finished runs.
func Collect(ctx context.Context, cfg Config) (*Result, error) {
	plan, dataID, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	tasks := cfg.tasks(plan)
	if err := checkPlan(cfg, tasks, dataID, false); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}
	c := &comparison{cfg: cfg, dataID: dataID, task: -1, results: make([]RunResult, len(plan.Runs))}
	byDir := map[string]Task{}
	for _, t := range tasks {
		byDir[t.Run.Dir] = t
	}
	type left struct {
		index int
		text  string
	}
	var missing []left
	for i, r := range plan.Runs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("collect: %w", train.ErrInterrupted)
		}
		t := byDir[r.Dir]
		if t.Status == TaskDone {
			c.results[i] = c.finished(r)
			if c.results[i].Err == nil {
				continue
			}
			t.Status, t.Failure = TaskFailed, c.results[i].Err.Error()
		}
		why := t.Status.String()
		switch {
		case t.Status == TaskRunning:
			why += " by " + t.Claim.String()
		case t.Status == TaskFailed:
			why += ": " + t.Failure
		case t.Claim != nil:
			why += ", stale claim of " + t.Claim.String()
		}
		c.results[i] = RunResult{PlannedRun: r, Err: fmt.Errorf("task %d (%s): %s", t.Index, t.Name(), why)}
		missing = append(missing, left{t.Index, fmt.Sprintf("%d (%s, %s)", t.Index, t.Name(), why)})
	}
	// The same test PER-39 as a local run's table: computed now, from the
	// finished runs' checkpoints, with the decoder asked for here.
	if err := c.phoneErrorRates(); err != nil {
		return &Result{Runs: c.results}, err
	}
	if err := c.writeRecords(plan); err != nil {
		return nil, err
	}
	res := &Result{Runs: c.results}
	var runs []RunRecord
	for _, r := range c.results {
		if r.Err == nil {
			runs = append(runs, r.Run)
		}
	}
	if len(runs) > 0 {
		if err := c.writeSummary(res, runs); err != nil {
			return res, err
		}
	}
	if len(missing) > 0 {
		// In index order, as --list-tasks shows them.
		slices.SortFunc(missing, func(a, b left) int { return cmp.Compare(a.index, b.index) })
		texts := make([]string, len(missing))
		for i, m := range missing {
			texts[i] = m.text
		}
		return res, fmt.Errorf("%d of %d tasks not finished: %s", len(missing), len(tasks), strings.Join(texts, "; "))
	}
	return res, nil
}

// Prepare plans the comparison for a job array: it checks the output
// folder's plan file, or writes it if there is none, and returns the tasks
// with their status. Launchers (--slurm, --emit-k8s) call it so that the
// plan exists before the first task starts.
func Prepare(cfg Config) ([]Task, error) { return cfg.checkedTasks(true) }
