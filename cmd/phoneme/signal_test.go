//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperInterruptible is not a test: run by TestSecondInterruptExits
// as a child process, it waits for its context and reports.
func TestHelperInterruptible(t *testing.T) {
	if os.Getenv("PHONEME_SIGNAL_HELPER") == "" {
		t.Skip("helper process")
	}
	ctx, stop := interruptible()
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("cancelled")
	if os.Getenv("PHONEME_SIGNAL_HELPER") == "slow" {
		time.Sleep(30 * time.Second) // a state that takes long to save
	}
	stop()
	os.Exit(0)
}

// TestSecondInterruptExits: the first SIGINT cancels the work (so it can
// save a resumable state), a second one while that is under way exits at
// once with code 130 (as restic does).
func TestSecondInterruptExits(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		signals int
		code    int
	}{{"fast", 1, 0}, {"slow", 2, 130}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperInterruptible$")
		cmd.Env = append(os.Environ(), "PHONEME_SIGNAL_HELPER="+tc.mode)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "ready" {
			t.Fatalf("%s: helper did not start: %q", tc.mode, sc.Text())
		}
		cmd.Process.Signal(syscall.SIGINT)
		if !sc.Scan() || sc.Text() != "cancelled" {
			t.Fatalf("%s: the first SIGINT did not cancel: %q", tc.mode, sc.Text())
		}
		for range tc.signals - 1 {
			cmd.Process.Signal(syscall.SIGINT)
		}
		start := time.Now()
		err = cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tc.code || time.Since(start) > 10*time.Second {
			t.Errorf("%s: exit %d after %v (stderr %q), want %d at once", tc.mode, code, time.Since(start), stderr.String(), tc.code)
		}
		if tc.code == 130 && !strings.Contains(stderr.String(), "interrupted twice") {
			t.Errorf("no message: %q", stderr.String())
		}
	}
}

// TestClassifyFIFO: a named pipe given to classify is refused at once, not
// opened (opening blocks until a writer comes, deaf to Ctrl-C).
func TestClassifyFIFO(t *testing.T) {
	model, _, _, _ := classifyFixture(t)
	pipe := filepath.Join(t.TempDir(), "p.wav")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skip(err)
	}
	done := make(chan struct{})
	var stderr string
	var code int
	go func() {
		_, stderr, code = run("classify", "--model", model, pipe)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("classify hangs on a named pipe")
	}
	if code != 1 || !strings.Contains(stderr, "not a regular file (a named pipe)") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}
