package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
)

func TestHorizonCommand(t *testing.T) {
	dir := extracted(t)
	dev := filepath.Join(dir, "dev")
	split, err := data.LoadSplit(dev)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	model := untrainedModel(t, tmp, split.Manifest.Features, split.Manifest)
	for _, args := range [][]string{
		{"--model", model},
		{"--hidden", "6", "--seed", "3"}, // a fresh network
	} {
		out := filepath.Join(tmp, "h"+args[1])
		stdout, stderr, code := run(append([]string{"horizon", "--data", dev, "--out", out, "--lags", "20", "--k2", "1,5,all", "--max-sentences", "2"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if !strings.Contains(stdout, "recommended k2 = ") {
			t.Errorf("%v: no recommendation in\n%s", args, stdout)
		}
		for _, f := range []string{"horizon.json", "horizon_lags.csv", "horizon_k2.csv", "horizon_lags.png", "horizon_k2.svg"} {
			if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
				t.Errorf("%v: %s missing or empty", args, f)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--k2", "1,x"}, "--k2"},
		{[]string{"--lags", "0"}, "--lags"},
		{[]string{"--cosine", "1.5"}, "--cosine"},
		{[]string{"--model", model, "--hidden", "4"}, "fresh network"},
	} {
		_, stderr, code := run(append([]string{"horizon", "--data", dev, "--out", tmp}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want usage error naming %s", tc.args, code, stderr, tc.want)
		}
	}
	// A model trained on other features is refused, naming model and split.
	otherDir := filepath.Join(tmp, "other")
	os.Mkdir(otherDir, 0o755)
	fc := split.Manifest.Features
	fc.Deltas = 1
	other := untrainedModel(t, otherDir, fc, split.Manifest)
	_, stderr, code := run("horizon", "--data", dev, "--out", tmp, "--model", other)
	if want := other + " on " + dev + ": the model was trained on other features than the data (deltas: model 1, data 2)"; code != 1 ||
		!strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("other features: exit %d, %q; want one line with %q", code, stderr, want)
	}
}

// TestTrainCurriculumAndHorizonLog: train --k2-schedule runs each epoch
// with its k2 and says so; --log-horizon writes the horizon log.
func TestTrainCurriculumAndHorizonLog(t *testing.T) {
	dir := extracted(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	stdout, stderr, code := run("train", "--data", dir, "--out", out, "--schedule", "tbptt", "--k1", "10",
		"--k2-schedule", "1@0,all@1", "--epochs", "2", "--hidden", "4", "--log-horizon", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"k2-schedule=1@0,all@1", "k2 1", "k2 all"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(strings.TrimSuffix(out, ".safetensors") + ".horizon.jsonl")
	if err != nil || !strings.Contains(string(b), `"recommended_k2"`) {
		t.Errorf("horizon log: %v\n%s", err, b)
	}
	_, stderr, code = run("train", "--data", dir, "--out", out, "--k2-schedule", "1@0")
	if code != 2 || !strings.Contains(stderr, "frame or tbptt") {
		t.Errorf("sentence with --k2-schedule: exit %d, %s", code, stderr)
	}
}
