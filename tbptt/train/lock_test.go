package train

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/phoneme/phoneme/internal/lock"
	"github.com/phoneme/phoneme/internal/synth"
)

// TestRunOwnsItsOutput: while one process writes a run, another Run on the
// same output is refused (today's second train spliced its logs and
// checkpoints into the first's); the lock is gone once the run ends.
func TestRunOwnsItsOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	held, err := lock.Acquire(LockPath(out))
	if err != nil {
		t.Fatal(err)
	}
	c := smallConfig()
	c.Epochs = 1
	tr := synth.Split(1, 8, false)
	if _, err := Run(context.Background(), c, tr, nil, out, Hooks{}); !errors.Is(err, lock.ErrLocked) {
		t.Fatalf("second writer: %v, want ErrLocked", err)
	}
	held.Release()
	if _, err := Run(context.Background(), c, tr, nil, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	again, err := lock.Acquire(LockPath(out))
	if err != nil {
		t.Fatalf("the finished run kept its lock: %v", err)
	}
	again.Release()
}
