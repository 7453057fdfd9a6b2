//go:build unix

package lock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAcquire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.lock")
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks are per open file: a second Acquire in the same process
	// conflicts as another process would.
	_, err = Acquire(path)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second acquire: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("lock file left after release: %v", err)
	}
	l2, err := Acquire(path)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

// TestKilledOwnerReleases: a lock held by a process that is killed (here
// flock(1) holding the file) is free again as soon as it has exited:
// nothing stale remains.
func TestKilledOwnerReleases(t *testing.T) {
	flock, err := exec.LookPath("flock")
	if err != nil {
		t.Skip("flock(1) not installed")
	}
	path := filepath.Join(t.TempDir(), "out.lock")
	os.WriteFile(path, []byte("12345\n"), 0o644)
	cmd := exec.Command(flock, "-x", path, "sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // kill flock and its sleep together
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := Acquire(path)
		if errors.Is(err, ErrLocked) {
			break
		}
		if err == nil {
			// flock(1) has not started yet: let it.
			l.f.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("flock(1) never took the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	// The kernel releases the lock when the last holder (flock's sleep,
	// killed with it but reaped by nobody here) has exited: within moments.
	deadline = time.Now().Add(2 * time.Second)
	for {
		l, err := Acquire(path)
		if err == nil {
			l.Release()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("2 s after the owner was killed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
