package train

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/internal/synth"
	"github.com/phoneme/phoneme/tbptt"
)

// writeSplit writes s as a split folder dir/name and returns its path.
func writeSplit(t *testing.T, s *data.Split, dir, name string) string {
	t.Helper()
	fc := s.Manifest.Features
	fc.NumCeps, fc.Deltas = synth.Dim, 0 // a configuration of synth.Dim features
	man := *s.Manifest
	man.Features, man.Split = fc, name
	path := filepath.Join(dir, name)
	w, err := data.CreateSplit(path, man)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range s.Sentences {
		if err := w.Write(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStreamedBitIdentical: training on a split streamed from its archive
// (data.OpenSplit: features read group by group ahead of the trainer and
// normalised as read) reaches the weights, losses and dev errors of
// training on the same folder loaded into memory, bit for bit, for
// batches of 1 and 3 with shuffling, and across an interruption resumed
// from the saved state; and with no dev split (the horizon log then reads
// its sentences from the archive).
func TestStreamedBitIdentical(t *testing.T) {
	dir := t.TempDir()
	trainDir := writeSplit(t, synth.Split(21, 14, false), dir, data.Train)
	devDir := writeSplit(t, synth.Split(22, 4, false), dir, data.Dev)
	dev, err := data.LoadSplit(devDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		schedule  tbptt.Kind
		k1, batch int
		interrupt int64
		noDev     bool
	}{
		{"sentence-batch3", "sentence", 0, 3, 0, false},
		{"tbptt-batch1-interrupted", "tbptt", 4, 1, 9, false},
		{"frame-batch2-interrupted-nodev", "frame", 0, 2, 40, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig()
			c.Schedule, c.K1, c.Batch, c.Optimizer = tc.schedule, tc.k1, tc.batch, OptAdam
			if tc.noDev {
				c.LogHorizon = 25
			}
			d := dev
			if tc.noDev {
				d = nil
			}
			loaded, err := data.LoadSplit(trainDir)
			if err != nil {
				t.Fatal(err)
			}
			ref := filepath.Join(t.TempDir(), "ref.safetensors")
			want, err := Run(context.Background(), c, loaded, d, ref, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			streamed, err := data.OpenSplit(trainDir)
			if err != nil {
				t.Fatal(err)
			}
			defer streamed.Archives.Close()
			// The same data identity: a run saved while training in memory
			// resumes streamed, and the other way round.
			if a, b := Fingerprint(loaded), Fingerprint(streamed); a != b {
				t.Fatalf("data identity: loaded %+v, streamed %+v", a, b)
			}
			out := filepath.Join(t.TempDir(), "run.safetensors")
			cfg := c
			if tc.interrupt > 0 {
				ctx, cancel := context.WithCancel(context.Background())
				_, err := Run(ctx, cfg, streamed, d, out, Hooks{Update: func(n int64) {
					if n == tc.interrupt {
						cancel()
					}
				}})
				cancel()
				if !errors.Is(err, ErrInterrupted) {
					t.Fatalf("interrupt: %v", err)
				}
				cfg.Resume = true
			}
			got, err := Run(context.Background(), cfg, streamed, d, out, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if i := synth.SameBits(loadParams(t, LastPath(ref)), loadParams(t, LastPath(out))); i != -1 {
				t.Fatalf("weights differ from the in-memory run's at parameter %d", i)
			}
			if got.Updates != want.Updates || got.FramesForward != want.FramesForward || len(got.Epochs) != len(want.Epochs) {
				t.Fatalf("streamed: %d updates, %d frames, %d epochs; in memory %d, %d, %d",
					got.Updates, got.FramesForward, len(got.Epochs), want.Updates, want.FramesForward, len(want.Epochs))
			}
			for i := range got.Epochs {
				g, w := got.Epochs[i], want.Epochs[i]
				if g.Loss != w.Loss || g.TrainFER != w.TrainFER || !same(g.DevFER61, w.DevFER61) {
					t.Errorf("epoch %d: streamed loss %v FER %v dev %v, in memory %v %v %v", i+1, g.Loss, g.TrainFER, g.DevFER61, w.Loss, w.TrainFER, w.DevFER61)
				}
			}
		})
	}
}

// same is == with NaN equal to NaN (no dev split: dev FER is NaN).
func same(a, b float64) bool { return a == b || (a != a && b != b) }
