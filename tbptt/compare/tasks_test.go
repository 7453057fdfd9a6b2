package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phoneme/phoneme/internal/synth"
)

// tunedCompare is tinyCompare over two schedules with a two-key grid,
// the keys in the given order.
func tunedCompare(t *testing.T, out string, keys ...TuneKey) Config {
	t.Helper()
	cfg := tinyCompare(t, out, "sentence,tbptt:k1=4:k2=6")
	cfg.Tune = keys
	return cfg
}

var (
	tuneLR     = TuneKey{Name: "lr", Values: []string{"0.01", "0.003"}}
	tuneHidden = TuneKey{Name: "hidden", Values: []string{"4", "3"}}
)

func taskNames(t *testing.T, cfg Config) []string {
	t.Helper()
	tasks, err := cfg.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, task := range tasks {
		if task.Index != i {
			t.Fatalf("task %d has index %d", i, task.Index)
		}
		p := slices.Clone(task.Run.Point)
		slices.SortFunc(p, func(a, b Setting) int { return strings.Compare(a.Key, b.Key) })
		names = append(names, task.Name()+" "+p.String())
	}
	return names
}

// TestTaskOrder: tasks are numbered schedule by schedule, then by grid
// point with the tuned keys in name order, then seed; the order in which
// --tune keys are given does not renumber them (the CLI test checks the
// order of flags in general).
func TestTaskOrder(t *testing.T) {
	out := t.TempDir()
	a := taskNames(t, tunedCompare(t, out, tuneLR, tuneHidden))
	b := taskNames(t, tunedCompare(t, out, tuneHidden, tuneLR))
	if len(a) != 2*4*2 {
		t.Fatalf("%d tasks, want 16", len(a))
	}
	if !slices.Equal(a, b) {
		t.Errorf("tune key order renumbers the tasks:\n%s\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	// hidden (first by name) varies slower than lr, seeds fastest, then
	// the next schedule.
	for i, want := range []string{"sentence-seed1-* hidden=4:lr=0.01", "sentence-seed2-* hidden=4:lr=0.01",
		"sentence-seed1-* hidden=4:lr=0.003", "sentence-seed2-* hidden=4:lr=0.003", "sentence-seed1-* hidden=3:lr=0.01"} {
		if ok, _ := filepath.Match(want, a[i]); !ok {
			t.Errorf("task %d is %q, want %q", i, a[i], want)
		}
	}
	if ok, _ := filepath.Match("tbptt_k1-4_k2-6-seed1-* hidden=4:lr=0.01", a[8]); !ok {
		t.Errorf("task 8 is %q, want the second schedule's first", a[8])
	}
}

func TestTaskFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		index int
		from  string
		err   string
	}{
		{map[string]string{"SLURM_ARRAY_TASK_ID": "7"}, 7, "SLURM_ARRAY_TASK_ID", ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "0"}, 0, "JOB_COMPLETION_INDEX", ""},
		{map[string]string{"AWS_BATCH_JOB_ARRAY_INDEX": "12"}, 12, "AWS_BATCH_JOB_ARRAY_INDEX", ""},
		{map[string]string{"SGE_TASK_ID": "1"}, 0, "SGE_TASK_ID", ""},
		{map[string]string{"LSB_JOBINDEX": "5"}, 4, "LSB_JOBINDEX", ""},
		{map[string]string{"SGE_TASK_ID": "undefined", "LSB_JOBINDEX": "3"}, 2, "LSB_JOBINDEX", ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SGE_TASK_ID": "9"}, 2, "SLURM_ARRAY_TASK_ID", ""},
		{map[string]string{"LSB_JOBINDEX": "0"}, 0, "", "LSB_JOBINDEX=\"0\" is not a task index (a whole number ≥ 1)"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "x"}, 0, "", "SLURM_ARRAY_TASK_ID=\"x\" is not a task index"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "-1"}, 0, "", "not a task index"},
		{nil, 0, "", "none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, SGE_TASK_ID, LSB_JOBINDEX is set"},
	} {
		i, from, err := TaskFromEnv(func(k string) string { return tc.env[k] })
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || i != tc.index || from != tc.from {
			t.Errorf("%v: %d from %s (%v), want %d from %s", tc.env, i, from, err, tc.index, tc.from)
		}
	}
	if _, _, err := TaskFromEnv(func(string) string { return "" }); !errors.Is(err, ErrNoTaskEnv) {
		t.Errorf("no variable: %v", err)
	}
}

// TestTasksThenCollect: a comparison trained task by task (in reverse
// order, each task twice) and collected writes the table, tuning and
// per-utterance files of the same comparison run locally: every number
// equal, only wall times differ.
func TestTasksThenCollect(t *testing.T) {
	local, dist := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), tunedCompare(t, local, tuneLR), Hooks{}); err != nil {
		t.Fatal(err)
	}
	cfg := tunedCompare(t, dist, tuneLR)
	tasks, err := cfg.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		if task.Status != TaskPending {
			t.Errorf("task %d: %s before anything ran", task.Index, task.Status)
		}
	}
	_, err = Collect(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "8 of 8 tasks not finished: 0 (sentence-seed1-") {
		t.Fatalf("collect before the tasks: %v", err)
	}
	for i := len(tasks) - 1; i >= 0; i-- {
		res, err := RunTask(context.Background(), cfg, i, TaskHooks{})
		if err != nil || res.AlreadyDone || res.Run.Updates == 0 {
			t.Fatalf("task %d: %v (already done %t)", i, err, res != nil && res.AlreadyDone)
		}
		if i == 5 {
			// Three tasks done, the rest pending: collect names those left.
			_, err := Collect(context.Background(), cfg)
			if err == nil || !strings.HasPrefix(err.Error(), "5 of 8 tasks not finished: 0 (") || !strings.Contains(err.Error(), "; 4 (tbptt") {
				t.Errorf("collect after half: %v", err)
			}
		}
		res, err = RunTask(context.Background(), cfg, i, TaskHooks{})
		if err != nil || !res.AlreadyDone {
			t.Errorf("task %d again: %v, already done %t", i, err, res != nil && res.AlreadyDone)
		}
		if _, err := os.Stat(filepath.Join(res.Dir, ClaimFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("task %d left its claim: %v", i, err)
		}
	}
	if _, err := RunTask(context.Background(), cfg, 8, TaskHooks{}); err == nil || !strings.Contains(err.Error(), "tasks 0 to 7") {
		t.Errorf("task 8 of 8: %v", err)
	}
	if _, err := Collect(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if a, b := tableRecords(t, local), tableRecords(t, dist); !reflect.DeepEqual(a, b) {
		t.Errorf("collected table differs:\n%v\n%v", a, b)
	}
	for _, f := range []string{"tuning.csv", "per_utterance.csv"} {
		a, _ := os.ReadFile(filepath.Join(local, f))
		b, err := os.ReadFile(filepath.Join(dist, f))
		if err != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs (%v)", f, err)
		}
	}
	// A plain compare on the collected folder agrees with the plan and has
	// nothing to train.
	res, err := Run(context.Background(), cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Runs {
		if r.State != RunDone {
			t.Errorf("%s: %s after the tasks", r.Dir, r.State)
		}
	}
}

// TestPlanRefusesOtherCommand: once a task has run, a task, a collect or a
// local compare planned with other options or other data refuses to use
// the folder, naming what differs; the same comparison with the tune keys
// in another order is the same plan.
func TestPlanRefusesOtherCommand(t *testing.T) {
	out := t.TempDir()
	cfg := tunedCompare(t, out, tuneLR, tuneHidden)
	cfg.Seeds = []uint64{1}
	if _, err := RunTask(context.Background(), cfg, 0, TaskHooks{}); err != nil {
		t.Fatal(err)
	}
	same := tunedCompare(t, out, tuneHidden, tuneLR)
	same.Seeds = []uint64{1}
	same.Jobs, same.Command = 7, []string{"other"}
	if _, err := RunTask(context.Background(), same, 0, TaskHooks{}); err != nil {
		t.Errorf("same comparison, keys reordered: %v", err)
	}

	otherData := tunedCompare(t, out, tuneLR, tuneHidden)
	otherData.Seeds = []uint64{1}
	otherData.Test = synth.Split(4, 6, false)
	otherData.Test.Manifest.Features.NumCeps, otherData.Test.Manifest.Features.Deltas = synth.Dim, 0
	epochs := tunedCompare(t, out, tuneLR, tuneHidden)
	epochs.Seeds = []uint64{1}
	epochs.Base.Epochs = 3
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"seeds", tunedCompare(t, out, tuneLR, tuneHidden), []string{"seeds 1 in the plan, 1,2 here"}},
		{"epochs", epochs, []string{"epochs 2 in the plan, 3 here"}},
		{"tune", tunedCompare(t, out, tuneLR), []string{"tune hidden=4,3 lr=0.01,0.003 in the plan, lr=0.01,0.003 here"}},
		{"data", otherData, []string{"the test data differ (6 sentences", "here, from synthetic)"}},
	} {
		check := func(what string, err error) {
			if !errors.Is(err, ErrPlanDiffers) {
				t.Errorf("%s, %s: error %v, want ErrPlanDiffers", tc.name, what, err)
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s, %s: %q does not say %q", tc.name, what, err, w)
				}
			}
		}
		_, err := RunTask(context.Background(), tc.cfg, 0, TaskHooks{})
		check("task", err)
		_, err = Collect(context.Background(), tc.cfg)
		check("collect", err)
		_, err = Run(context.Background(), tc.cfg, Hooks{})
		check("compare", err)
	}
}

// TestClaims: a live claim is respected, a stale one (old heartbeat, or
// a dead process on this host) taken over; a lost claim is noticed.
func TestClaims(t *testing.T) {
	dir := t.TempDir()
	write := func(c Claim) {
		t.Helper()
		os.Remove(filepath.Join(dir, ClaimFile))
		f, err := publish(filepath.Join(dir, ClaimFile), c)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	now := time.Now().UTC()
	other := Claim{Host: "node7", PID: 812, Task: 3, Started: now, Heartbeat: now.Add(-time.Minute), Token: "abc"}
	write(other)
	if _, owner, err := claimRun(dir, 0, 2*time.Minute, nil); !errors.Is(err, ErrClaimed) || owner.Token != "abc" ||
		!strings.Contains(err.Error(), "task 3 on node7 (pid 812, heartbeat 1m0s ago)") {
		t.Errorf("live claim: %v, owner %+v", err, owner)
	}
	h, _, err := claimRun(dir, 0, 30*time.Second, nil)
	if err != nil || h.previous == nil || h.previous.Token != "abc" {
		t.Fatalf("stale claim not taken over: %v", err)
	}
	if old, err := readClaim(filepath.Join(dir, "claim.stale.json")); err != nil || old.Token != "abc" {
		t.Errorf("the stale claim is not kept: %v", err)
	}
	if err := h.release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ClaimFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("released claim still there: %v", err)
	}

	// A process of this host and namespace that is gone: stale at once.
	self, err := newClaim(1)
	if err != nil {
		t.Fatal(err)
	}
	if self.PIDNamespace != "" {
		gone := self
		gone.PID, gone.Token, gone.Heartbeat = deadPID(t), "gone", now
		write(gone)
		h, _, err := claimRun(dir, 0, time.Hour, nil)
		if err != nil {
			t.Fatalf("claim of a dead local process: %v", err)
		}
		h.release()
	}

	// The heartbeat keeps a claim fresh, and notices when it is replaced.
	lost := make(chan struct{})
	h, _, err = claimRun(dir, 0, 500*time.Millisecond, func() { close(lost) })
	if err != nil {
		t.Fatal(err)
	}
	first := h.claim.Heartbeat
	time.Sleep(300 * time.Millisecond)
	c, err := readClaim(filepath.Join(dir, ClaimFile))
	if err != nil || !c.Heartbeat.After(first) {
		t.Errorf("no heartbeat in 300 ms: %v, %v", c.Heartbeat, err)
	}
	thief := c
	thief.Token = "thief"
	// The taker renames the claim away and publishes its own.
	if err := os.Rename(filepath.Join(dir, ClaimFile), filepath.Join(dir, "claim.stale.json")); err != nil {
		t.Fatal(err)
	}
	write(thief)
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("a replaced claim was not noticed")
	}
	h.release()
	if c, err := readClaim(filepath.Join(dir, ClaimFile)); err != nil || c.Token != "thief" {
		t.Errorf("release removed the new owner's claim: %v", err)
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skip("no /bin/true:", err)
	}
	p.Wait()
	return p.Pid
}

// resultWithoutWall reads a run's result.json without its wall times.
func resultWithoutWall(t *testing.T, dir string) runResultFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, RunResultFile))
	if err != nil {
		t.Fatal(err)
	}
	var f runResultFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	f.WallSeconds, f.FramesPerSecond = 0, nil
	for i := range f.Curve {
		f.Curve[i].WallSeconds = 0
	}
	return f
}

// TestFailedTask: a task whose run fails (diverges) is recorded as failed,
// and collect names it with the error; the other schedule's table is
// written.
func TestFailedTask(t *testing.T) {
	out := t.TempDir()
	cfg := tinyCompare(t, out, "sentence,frame:k2=all:optimizer=sgd:lr=1e300")
	cfg.Seeds = []uint64{1}
	if _, err := RunTask(context.Background(), cfg, 0, TaskHooks{}); err != nil {
		t.Fatal(err)
	}
	if _, err := RunTask(context.Background(), cfg, 1, TaskHooks{}); err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("diverging task: %v", err)
	}
	tasks, err := cfg.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	if tasks[0].Status != TaskDone || tasks[1].Status != TaskFailed || !strings.Contains(tasks[1].Failure, "diverged") {
		t.Errorf("statuses %s, %s (%q)", tasks[0].Status, tasks[1].Status, tasks[1].Failure)
	}
	res, err := Collect(context.Background(), cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "1 of 2 tasks not finished: 1 (frame_k2-all_optimizer-sgd_lr-1e300-seed1-") ||
		!strings.Contains(err.Error(), ", failed: run frame") || !strings.Contains(err.Error(), "diverged") {
		t.Errorf("collect: %v", err)
	}
	if res == nil || res.Table == nil || len(res.Table.Rows) != 1 {
		t.Errorf("collect wrote no table over the finished run")
	}
}

// TestLocalCompareRespectsClaims: a plain compare on a folder where a task
// elsewhere trains a run leaves that run alone (it fails, naming the
// owner) and trains the rest.
func TestLocalCompareRespectsClaims(t *testing.T) {
	out := t.TempDir()
	cfg := tinyCompare(t, out, "sentence")
	tasks, err := cfg.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	dir := tasks[1].Run.Dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	f, err := publish(filepath.Join(dir, ClaimFile), Claim{Host: "node3", PID: 99, Task: 1, Started: now, Heartbeat: now, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	res, err := Run(context.Background(), cfg, Hooks{})
	if err == nil || !strings.Contains(err.Error(), "1 of 2 runs failed") || !errors.Is(err, ErrClaimed) ||
		!strings.Contains(err.Error(), "task 1 on node3 (pid 99") {
		t.Fatalf("error %v", err)
	}
	if res.Runs[0].Err != nil || res.Table == nil {
		t.Errorf("the unclaimed run: %v", res.Runs[0].Err)
	}
}
