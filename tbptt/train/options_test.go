package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/internal/synth"
)

// TestOptionBounds: values that would allocate the machine's memory away
// are refused by the option (the CLI's message) and by Validate (the
// library's), with a one-line reason.
func TestOptionBounds(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"hidden", "8000", "in 1 … 4096"},
		{"layers", "100", "in 1 … 16"},
		{"batch", "1000000", "in 1 … 4096"},
		{"target-delay", "1000000", "in 0 … 1000"},
		{"k1", "1000000000", "in 1 … 100000"},
		{"k2", "1000000000", "in 1 … 100000"},
		{"hidden", "0", "in 1 … 4096"},
	} {
		o, ok := LookupOption(tc.name)
		if !ok {
			t.Fatalf("no option %s", tc.name)
		}
		c := DefaultConfig()
		err := o.Set(&c, tc.value)
		var oe *OptionError
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.name != "k2" && !errors.As(err, &oe)) {
			t.Errorf("%s = %s: %v, want an error containing %q", tc.name, tc.value, err, tc.want)
		}
	}
	for _, mod := range []func(*Config){
		func(c *Config) { c.Hidden = MaxHidden + 1 },
		func(c *Config) { c.Layers = MaxLayers + 1 },
		func(c *Config) { c.Batch = MaxBatch + 1 },
		func(c *Config) { c.TargetDelay = MaxTargetDelay + 1 },
		func(c *Config) { c.Schedule, c.K1 = "tbptt", 1<<30 },
	} {
		c := DefaultConfig()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
}

// TestDivergenceWithoutNaN: Adam at lr 1e9 explodes the loss without
// reaching NaN; the run fails with ErrDiverged and writes no checkpoint of
// that epoch, instead of keeping a "best" model at chance level.
func TestDivergenceWithoutNaN(t *testing.T) {
	c := smallConfig()
	c.LR, c.Epochs = 1e9, 2
	out := filepath.Join(t.TempDir(), "m.safetensors")
	_, err := Run(context.Background(), c, synth.Split(1, 20, false), synth.Split(2, 5, false), out, Hooks{})
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "nats per frame") {
		t.Fatalf("err = %v, want ErrDiverged from the loss", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a checkpoint was written for the diverged epoch")
	}
}
