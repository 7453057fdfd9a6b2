package train

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/phoneme/phoneme/internal/synth"
)

// TestTrainLogHorizon records the horizon every N updates without
// changing the weights.
func TestTrainLogHorizon(t *testing.T) {
	train, dev := synth.Split(21, 10, false), synth.Split(22, 4, false)
	dir := t.TempDir()
	c := smallConfig()
	c.Schedule, c.K1, c.K2, c.Epochs = "tbptt", 5, "5", 2
	plain := filepath.Join(dir, "plain.safetensors")
	want, err := Run(context.Background(), c, train, dev, plain, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	c.LogHorizon = 7
	out := filepath.Join(dir, "logged.safetensors")
	got, err := Run(context.Background(), c, train, dev, out, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if i := synth.SameBits(loadParams(t, LastPath(plain)), loadParams(t, LastPath(out))); i != -1 {
		t.Errorf("logging the horizon changed the weights (parameter %d)", i)
	}
	if got.Updates != want.Updates {
		t.Fatalf("%d updates, want %d", got.Updates, want.Updates)
	}
	log, err := ReadHorizonLog(HorizonLogPath(out))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(log)) != got.Updates/7 {
		t.Fatalf("%d horizon lines for %d updates every 7", len(log), got.Updates)
	}
	for i, s := range log {
		if s.Updates != int64(7*(i+1)) || s.K2 != "5" || s.Epoch < 1 || s.Epoch > 2 || len(s.Cosines) == 0 || s.Recommended == "" {
			t.Errorf("line %d: %+v", i+1, s)
		}
	}
	// A new run replaces the log.
	if _, err := Run(context.Background(), c, train, dev, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if again, _ := ReadHorizonLog(HorizonLogPath(out)); len(again) != len(log) {
		t.Errorf("a new run left %d lines, want %d", len(again), len(log))
	}
}
