//go:build unix

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExtractFIFO: a named pipe called .wav in the corpus is refused at
// once with one line naming it (reading it would block until a writer
// appears, deaf to Ctrl-C), or with --skip-bad listed as skipped.
func TestExtractFIFO(t *testing.T) {
	corpus := writeExtractCorpus(t)
	fifo := filepath.Join(corpus, "d_x.wav")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.WriteFile(filepath.Join(corpus, "d_x.phn"), []byte("0 16000 h#\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string // stderr, or a line of stdout with exit 0
	}{
		{"refused", nil, 1, "phoneme: d_x.wav: not a regular file (a named pipe) (use --skip-bad to leave it out)\n"},
		{"skipped", []string{"--skip-bad"}, 0, "  d_x.wav: not a regular file (a named pipe)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "feats")
			type result struct {
				stdout string
				code   int
				err    error
			}
			done := make(chan result, 1)
			go func() {
				stdout, code, err := runExtract(append([]string{"--corpus", corpus, "--out", out, "--test-speakers", "a"}, tc.args...)...)
				done <- result{stdout, code, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("extract hangs on a named pipe")
			}
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %v", r.code, tc.code, r.err)
			}
			if tc.code != 0 {
				var stderr bytes.Buffer
				exitCode(&stderr, r.err)
				if stderr.String() != tc.want {
					t.Errorf("stderr %q, want %q", stderr.String(), tc.want)
				}
				if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("output folder left behind: %v", err)
				}
			} else if !strings.Contains(r.stdout, tc.want) {
				t.Errorf("summary lacks %q:\n%s", tc.want, r.stdout)
			}
		})
	}
}

// buildPhoneme builds the command into a temporary folder.
func buildPhoneme(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "phoneme")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeLongCorpus writes a flat corpus of three speakers with n utterances
// of ten seconds each: long enough to signal an extraction mid-run.
func writeLongCorpus(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	le := binary.LittleEndian
	const samples = 160000
	for _, spk := range []string{"a", "b", "c"} {
		for u := range n {
			b := append([]byte("RIFF"), le.AppendUint32(nil, 36+2*samples)...)
			b = append(b, "WAVEfmt "...)
			b = le.AppendUint32(b, 16)
			b = le.AppendUint16(b, 1)
			b = le.AppendUint16(b, 1)
			b = le.AppendUint32(b, 16000)
			b = le.AppendUint32(b, 32000)
			b = le.AppendUint16(b, 2)
			b = le.AppendUint16(b, 16)
			b = append(b, "data"...)
			b = le.AppendUint32(b, 2*samples)
			for i := range samples {
				f := 200.0 + 37*float64(u) + 300*float64(i*5/samples)
				b = le.AppendUint16(b, uint16(int16(3000*math.Sin(2*math.Pi*f*float64(i)/16000)+float64(i%5))))
			}
			name := filepath.Join(dir, fmt.Sprintf("%s_u%d", spk, u))
			if err := os.WriteFile(name+".wav", b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name+".phn", []byte("0 80000 aa\n80000 160000 s\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// startMidRun starts "phoneme extract" and returns once its temporary
// folder exists in out, with the running command and its stderr.
func startMidRun(t *testing.T, bin, corpus, out string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "extract", "--corpus", corpus, "--out", out, "--test-speakers", "a", "--dev-speakers", "b", "--jobs", "1")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if tmp, _ := filepath.Glob(filepath.Join(out, ".tmp-extract-*", "train")); len(tmp) > 0 {
			return cmd, &stderr
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("no temporary folder appeared in %s: %s", out, stderr.String())
	return nil, nil
}

// TestExtractSignals runs the real binary: SIGTERM during extract ends it
// promptly (exit 1, one line, nothing left behind), and the temporary
// folder of an extraction killed outright (SIGKILL) is removed by the next
// run into the same folder.
func TestExtractSignals(t *testing.T) {
	bin := buildPhoneme(t)
	corpus := writeLongCorpus(t, 12)

	t.Run("SIGTERM", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "feats")
		cmd, stderr := startMidRun(t, bin, corpus, out)
		start := time.Now()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatal("extract still running 10 s after SIGTERM")
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			if err == nil {
				t.Skip("the extraction finished before the signal arrived")
			}
			t.Fatalf("exit: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if last := lines[len(lines)-1]; last != "phoneme: extraction interrupted: context canceled" {
			t.Errorf("last line of stderr %q", last)
		}
		t.Logf("ended %v after SIGTERM", time.Since(start))
		if ents, err := os.ReadDir(out); err != nil || len(ents) != 0 {
			t.Errorf("left behind in %s: %v %v", out, ents, err)
		}
	})

	t.Run("SIGKILL", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "feats")
		cmd, _ := startMidRun(t, bin, corpus, out)
		cmd.Process.Kill()
		if cmd.Wait() == nil {
			t.Skip("the extraction finished before the signal arrived")
		}
		left, _ := filepath.Glob(filepath.Join(out, ".tmp-extract-*"))
		if len(left) != 1 || !strings.HasPrefix(filepath.Base(left[0]), fmt.Sprintf(".tmp-extract-%d@", cmd.Process.Pid)) {
			t.Fatalf("after SIGKILL: %q, want one temporary folder named after process %d", left, cmd.Process.Pid)
		}
		if _, code, err := runExtract("--corpus", corpus, "--out", out, "--test-speakers", "a", "--dev-speakers", "b"); code != 0 {
			t.Fatalf("next run: exit %d: %v", code, err)
		}
		ents, _ := os.ReadDir(out)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if strings.Join(names, " ") != "dev test train" {
			t.Errorf("after the next run %s holds %q, want dev test train", out, names)
		}
	})
}
