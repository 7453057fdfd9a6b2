//go:build unix

package data

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phoneme/phoneme/features"
)

// deadPid starts a child process, kills it and reaps it: its id then names
// no process (until the system reuses it, which takes a full turn of the
// pid space).
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	pid := cmd.Process.Pid
	cmd.Process.Kill()
	cmd.Wait()
	if !processGone(pid) {
		t.Skipf("process %d still exists after being killed and reaped", pid)
	}
	return pid
}

// TestExtractRemovesStaleTemps: the temporary folder an extraction killed
// outright left behind is removed by the next run into the same folder,
// and only when its owner is gone: never one of a live process, of another
// host or without an owner in its name.
func TestExtractRemovesStaleTemps(t *testing.T) {
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	dead := deadPid(t)

	out := t.TempDir()
	stale := []string{tempPrefix + tempOwner(dead) + "-123"}
	kept := []string{
		tempPrefix + tempOwner(live.Process.Pid) + "-456",  // a live extraction
		tempPrefix + tempOwner(os.Getpid()) + "-789",       // this process
		tempPrefix + fmt.Sprintf("%d@other_host-1", dead),  // another host's process
		tempPrefix + "2718281828",                          // an older version's
		tempPrefix + fmt.Sprintf("%d@%s", dead, hostTag()), // not a name Extract makes
		tempPrefix + fmt.Sprintf("0@%s-1", hostTag()),      // process 0 is no owner
		tempPrefix + fmt.Sprintf("-1@%s-1", hostTag()),     // nor is -1
	}
	for _, name := range append(append([]string{}, stale...), kept...) {
		if err := os.MkdirAll(filepath.Join(out, name, "train"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name, "train", "feats.ark"), make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var during []string // the run's own temporary folder, seen mid-run
	opts := ExtractOptions{Features: features.DefaultConfig(), Jobs: 2}
	_, err := Extract(context.Background(), testCorpus(), out, opts, func(p Progress) {
		if during != nil {
			return
		}
		ents, _ := os.ReadDir(out)
		for _, e := range ents {
			during = append(during, e.Name())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	own := tempPrefix + tempOwner(os.Getpid()) + "-"
	var mine int
	for _, n := range during {
		if strings.HasPrefix(n, own) && n != kept[1] {
			mine++
		}
		if n == stale[0] {
			t.Errorf("stale %s still there during the run", n)
		}
	}
	if mine != 1 {
		t.Errorf("during the run, %d folders named %s*: %q", mine, own, during)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(out, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s (owner %d dead) not removed: %v", n, dead, err)
		}
	}
	for _, n := range kept {
		if _, err := os.Stat(filepath.Join(out, n, "train", "feats.ark")); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != len(kept)+3 {
		t.Errorf("%d entries in the output, want the kept folders and the splits", len(ents))
	}
}

// TestReadFIFO: a named pipe called .wav or .phn, in a real folder, is
// refused at once, naming the file, by Discover and by ReadAudio (reading
// one blocks until a writer appears, deaf to cancellation).
func TestReadFIFO(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a_x.wav", "a_x.phn", "b_y.phn"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "b_y.wav"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("b_y.wav", filepath.Join(dir, "c_z.wav")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fsys := os.DirFS(dir)
		_, err := Discover(fsys, LayoutAuto, false)
		var ce *CorpusFileError
		if !errors.As(err, &ce) || err.Error() != "b_y.wav: not a regular file (a named pipe)" {
			t.Errorf("Discover: %v", err)
		}
		for _, n := range []string{"b_y.wav", "c_z.wav"} {
			if _, err := ReadAudio(fsys, n, 16000); err == nil || err.Error() != n+": not a regular file (a named pipe)" {
				t.Errorf("ReadAudio: %v", err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("reading a named pipe hangs")
	}
}
