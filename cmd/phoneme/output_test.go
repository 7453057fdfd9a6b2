package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/tbptt/train"
)

// failingWriter fails every write, as standard output on a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestOutputFailureFails: output that cannot be written fails the command
// with exit 1 and one line, whichever verb wrote it.
func TestOutputFailureFails(t *testing.T) {
	var stderr bytes.Buffer
	code := runMain(context.Background(), []string{"phoneme", "version"}, failingWriter{}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "write standard output") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line about standard output", code, stderr.String())
	}
	var out bytes.Buffer
	stderr.Reset()
	if code := runMain(context.Background(), []string{"phoneme", "version"}, &out, &stderr); code != 0 || out.Len() == 0 {
		t.Errorf("a good stdout: exit %d, %q", code, stderr.String())
	}
}

// TestEvalJSONToStdout: with --json -, standard output is the JSON alone;
// the text summary goes to standard error.
func TestEvalJSONToStdout(t *testing.T) {
	dir := extracted(t)
	split, err := data.LoadSplit(filepath.Join(dir, "test"))
	if err != nil {
		t.Fatal(err)
	}
	model := untrainedModel(t, t.TempDir(), features.DefaultConfig(), split.Manifest)
	stdout, stderr, code := run("eval", "--model", model, "--data", filepath.Join(dir, "test"), "--json", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	if _, ok := rep["fer61"]; !ok || !strings.Contains(stderr, "FER-61") {
		t.Errorf("JSON %v, stderr %q", rep, stderr)
	}
}

// TestSplitMessages: the corpus root instead of a split, and an extracted
// corpus missing one split, get a line that says what to pass or do.
func TestSplitMessages(t *testing.T) {
	dir := extracted(t)
	split, err := data.LoadSplit(filepath.Join(dir, "test"))
	if err != nil {
		t.Fatal(err)
	}
	model := untrainedModel(t, t.TempDir(), features.DefaultConfig(), split.Manifest)
	if _, stderr, code := run("eval", "--model", model, "--data", dir); code != 2 || !strings.Contains(stderr, "pass "+filepath.Join(dir, "test")) {
		t.Errorf("eval on the root: exit %d, %q", code, stderr)
	}
	if err := os.Rename(filepath.Join(dir, "dev"), filepath.Join(dir, "dev.away")); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run("train", "--data", dir, "--out", filepath.Join(t.TempDir(), "m.safetensors"))
	if code != 2 || !strings.Contains(stderr, "no dev/: extraction found no dev speakers") {
		t.Errorf("train without dev/: exit %d, %q", code, stderr)
	}
}

// TestTrainOwnsItsOutput: a second train on the same --out is refused
// without --resume or --force; with --force, a new run that fails in its
// first epoch leaves the earlier run's files as they were.
func TestTrainOwnsItsOutput(t *testing.T) {
	dir := extracted(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	args := []string{"train", "--data", dir, "--out", out, "--hidden", "4", "--epochs", "1"}
	if _, stderr, code := run(args...); code != 0 {
		t.Fatalf("first run: exit %d, %s", code, stderr)
	}
	jsonl, csv := train.LogPaths(out)
	before := map[string][]byte{}
	for _, p := range []string{out, train.LastPath(out), train.ResumePath(out), jsonl, csv} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		before[p] = b
	}
	if _, stderr, code := run(args...); code != 2 || !strings.Contains(stderr, "a run is already there") {
		t.Errorf("second run without --force: exit %d, %q", code, stderr)
	}
	// --force with a learning rate that diverges in epoch 1.
	_, stderr, code := run(append(args, "--force", "--optimizer", "sgd", "--lr", "1e38", "--momentum", "0")...)
	if code != 1 || !strings.Contains(stderr, "diverged") {
		t.Fatalf("diverging --force run: exit %d, %q", code, stderr)
	}
	for p, b := range before {
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s changed by a --force run that failed before its first checkpoint", filepath.Base(p))
		}
	}
}
