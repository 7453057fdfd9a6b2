//go:build unix

package compare

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phoneme/phoneme/tbptt/train"
)

// processCompare is the one-run comparison the process tests train: a
// sentence schedule, seed 1, the given epochs.
func processCompare(t *testing.T, out string, epochs int) Config {
	cfg := tinyCompare(t, out, "sentence")
	cfg.Seeds = []uint64{1}
	cfg.Base.Epochs = epochs
	return cfg
}

// TestHelperTask is not a test: run by the tests below as a child
// process, it waits for a start file, runs task 0 of processCompare in
// PHONEME_TASK_OUT and prints what happened.
func TestHelperTask(t *testing.T) {
	out := os.Getenv("PHONEME_TASK_OUT")
	if out == "" {
		t.Skip("helper process")
	}
	epochs, _ := strconv.Atoi(os.Getenv("PHONEME_TASK_EPOCHS"))
	cfg := processCompare(t, out, epochs)
	cfg.StaleAfter, _ = time.ParseDuration(os.Getenv("PHONEME_TASK_STALE"))
	for start := os.Getenv("PHONEME_TASK_START"); start != ""; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(start); err == nil {
			break
		}
	}
	pause, _ := time.ParseDuration(os.Getenv("PHONEME_TASK_PAUSE"))
	hooks := TaskHooks{
		Hooks:    Hooks{EpochEnd: func(PlannedRun, train.EpochLog) { time.Sleep(pause) }},
		Waiting:  func(c Claim) { fmt.Println("waiting for", c) },
		TookOver: func(c Claim) { fmt.Printf("took over from %s pid %d\n", c.Host, c.PID) },
	}
	res, err := RunTask(context.Background(), cfg, 0, hooks)
	switch {
	case err != nil:
		fmt.Println("error:", err)
		os.Exit(1)
	case res.AlreadyDone:
		fmt.Println("already done")
	default:
		fmt.Println("trained")
	}
	os.Exit(0)
}

func helperTask(out string, epochs int, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperTask$")
	cmd.Env = append(os.Environ(), append([]string{"PHONEME_TASK_OUT=" + out, fmt.Sprint("PHONEME_TASK_EPOCHS=", epochs)}, env...)...)
	return cmd
}

// logLines counts the lines of the run's epoch log.
func logLines(t *testing.T, dir string) int {
	t.Helper()
	jsonl, _ := train.LogPaths(filepath.Join(dir, RunModelFile))
	b, err := os.ReadFile(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestTaskRace: two processes started at the same instant on one run:
// exactly one trains; the other waits for it, then finds the run done.
func TestTaskRace(t *testing.T) {
	out := t.TempDir()
	start := filepath.Join(t.TempDir(), "go")
	var cmds [2]*exec.Cmd
	var outs [2]strings.Builder
	for i := range cmds {
		cmds[i] = helperTask(out, 3, "PHONEME_TASK_START="+start, "PHONEME_TASK_PAUSE=400ms", "PHONEME_TASK_STALE=3s")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // both are planning or waiting for the start
	os.WriteFile(start, nil, 0o644)
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	var trained, done int
	var waited string
	for i := range outs {
		o := outs[i].String()
		if strings.Contains(o, "\ntrained\n") || strings.HasPrefix(o, "trained\n") {
			trained++
		}
		if strings.Contains(o, "already done\n") {
			done++
			waited = o
		}
	}
	if trained != 1 || done != 1 {
		t.Fatalf("%d processes trained and %d found the run done, want 1 and 1:\n%s\n---\n%s", trained, done, outs[0].String(), outs[1].String())
	}
	if !strings.Contains(waited, "waiting for task 0 on ") {
		t.Errorf("the second process did not wait for the first:\n%s", waited)
	}
	tasks, err := processCompare(t, out, 3).Tasks()
	if err != nil {
		t.Fatal(err)
	}
	if n := logLines(t, tasks[0].Run.Dir); n != 3 || tasks[0].Status != TaskDone {
		t.Errorf("epoch log has %d lines (want 3), status %s", n, tasks[0].Status)
	}
}

// TestStaleClaimTakenOver: a process training a run is killed (SIGKILL:
// a node dies) and its claim left behind, as if from another host; a
// second process waits until the claim's heartbeat is older than the
// stale limit, takes the run over, resumes it from its last saved state
// and ends with the result of an uninterrupted run.
func TestStaleClaimTakenOver(t *testing.T) {
	ref := t.TempDir()
	if _, err := RunTask(context.Background(), processCompare(t, ref, 4), 0, TaskHooks{}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	tasks, err := processCompare(t, out, 4).Tasks()
	if err != nil {
		t.Fatal(err)
	}
	dir := tasks[0].Run.Dir
	victim := helperTask(out, 4, "PHONEME_TASK_PAUSE=400ms")
	var vout strings.Builder
	victim.Stdout, victim.Stderr = &vout, &vout
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !train.Resumable(filepath.Join(dir, RunModelFile)) {
		if time.Now().After(deadline) {
			victim.Process.Kill()
			victim.Wait()
			t.Fatalf("no saved state after 20 s:\n%s", vout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	victim.Process.Signal(syscall.SIGKILL)
	victim.Wait()
	c, err := readClaim(filepath.Join(dir, ClaimFile))
	if err != nil {
		t.Fatalf("the killed process left no claim: %v", err)
	}
	if n := logLines(t, dir); n >= 4 {
		t.Fatalf("the victim finished (%d epochs) before it was killed", n)
	}
	// As if the victim ran on a machine that died: only the heartbeat's
	// age can tell.
	c.Host = "node-that-died"
	f, err := os.OpenFile(filepath.Join(dir, ClaimFile), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := encodeClaim(c)
	f.WriteAt(b, 0)
	f.Close()

	heir := helperTask(out, 4, "PHONEME_TASK_STALE=1500ms")
	got, err := heir.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	for _, want := range []string{"waiting for task 0 on node-that-died (pid " + strconv.Itoa(victim.Process.Pid),
		"took over from node-that-died pid " + strconv.Itoa(victim.Process.Pid), "trained"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the heir did not say %q:\n%s", want, got)
		}
	}
	refTasks, _ := processCompare(t, ref, 4).Tasks()
	a, b2 := resultWithoutWall(t, refTasks[0].Run.Dir), resultWithoutWall(t, dir)
	if !reflect.DeepEqual(a, b2) {
		t.Errorf("taken-over run differs from an uninterrupted one:\n%+v\n%+v", a, b2)
	}
	if n := logLines(t, dir); n != 4 {
		t.Errorf("epoch log has %d lines, want 4", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "claim.stale.json")); err != nil {
		t.Errorf("the dead claim is not kept: %v", err)
	}
}
