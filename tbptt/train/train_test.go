package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/internal/synth"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

func smallConfig() Config {
	c := DefaultConfig()
	c.Hidden = 8
	c.Epochs = 3
	c.LR = 1e-2
	c.Seed = 7
	return c
}

func loadParams(t *testing.T, path string) []float32 {
	t.Helper()
	m, _, err := lstm.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return m.Params()
}

// TestTrainLearns trains every named schedule (and each truncation mode) on
// the synthetic task and requires the dev frame error to fall well below
// the majority-class baseline: a network that learned nothing scores at
// that baseline (≈0.6), the task is learnt to well under 0.3 within a few
// epochs, so 0.75×baseline separates the two with a wide margin.
func TestTrainLearns(t *testing.T) {
	train, dev := synth.Split(1, 40, false), synth.Split(2, 15, false)
	base := synth.MajorityFER(dev)
	tests := []struct {
		name     string
		schedule tbptt.Kind
		k1       int
		k2       string
		trunc    string
		opt      OptimizerKind
		lr       float64
		batch    int
	}{
		{name: "sentence", schedule: "sentence"},
		{name: "frame", schedule: "frame", lr: 2e-3},
		{name: "frame-k2=1", schedule: "frame", k2: "1", lr: 2e-3},
		{name: "tbptt-5-10", schedule: "tbptt", k1: 5, k2: "10"},
		{name: "tbptt-5-3-per-error", schedule: "tbptt", k1: 5, k2: "3", trunc: "per-error"},
		{name: "tbptt-4-8-chunk", schedule: "tbptt", k1: 4, k2: "8", trunc: "chunk"},
		{name: "sentence-sgd-batch3", schedule: "sentence", opt: OptSGD, lr: 0.02, batch: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig()
			c.Schedule, c.K1, c.K2, c.Truncation = tc.schedule, tc.k1, tc.k2, tc.trunc
			if tc.opt != "" {
				c.Optimizer = tc.opt
			}
			if tc.lr != 0 {
				c.LR = tc.lr
			}
			if tc.batch != 0 {
				c.Batch = tc.batch
			}
			c.Epochs = 4
			out := filepath.Join(t.TempDir(), "m.safetensors")
			res, err := Run(context.Background(), c, train, dev, out, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if res.BestDevFER61 > 0.75*base {
				t.Errorf("best dev FER %.3f, majority baseline %.3f: did not learn", res.BestDevFER61, base)
			}
			first, last := res.Epochs[0], res.Epochs[len(res.Epochs)-1]
			if !(last.Loss < first.Loss) {
				t.Errorf("training loss did not fall: %.3f → %.3f", first.Loss, last.Loss)
			}
			t.Logf("baseline %.3f; dev FER61 by epoch: %v", base, devFERs(res))
		})
	}
}

func devFERs(r *Result) []float64 {
	var f []float64
	for _, e := range r.Epochs {
		f = append(f, math.Round(1000*e.DevFER61)/1000)
	}
	return f
}

// TestTrainLeavesSplitsAlone checks that Train normalises copies: the
// caller's features are untouched (compare trains many runs on one load).
func TestTrainLeavesSplitsAlone(t *testing.T) {
	train, dev := synth.Split(1, 5, false), synth.Split(2, 3, false)
	before := append([]float32(nil), train.Sentences[0].Feats.Data...)
	c := smallConfig()
	c.Epochs = 1
	if _, err := Run(context.Background(), c, train, dev, filepath.Join(t.TempDir(), "m.safetensors"), Hooks{}); err != nil {
		t.Fatal(err)
	}
	if i := synth.SameBits(before, train.Sentences[0].Feats.Data); i != -1 {
		t.Fatalf("training features changed at %d", i)
	}
}

// TestResumeBitIdentical interrupts runs (via ctx, from the Update hook)
// mid-epoch and at an epoch boundary, resumes them, and requires the final
// weights to equal an uninterrupted run's bit for bit, for both optimizers
// with shuffling, clipping and batches.
func TestResumeBitIdentical(t *testing.T) {
	train, dev := synth.Split(3, 12, false), synth.Split(4, 4, false)
	tests := []struct {
		name      string
		opt       OptimizerKind
		schedule  tbptt.Kind
		k1        int
		batch     int
		interrupt []int64 // cancel after these updates (each resumed)
	}{
		{"adam-tbptt", OptAdam, "tbptt", 4, 1, []int64{7}},
		{"sgd-sentence-batch2-twice", OptSGD, "sentence", 0, 2, []int64{3, 10}},
		{"adam-epoch-boundary", OptAdam, "sentence", 0, 1, []int64{12}}, // 12 sentences: the end of epoch 1
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig()
			c.Optimizer, c.Schedule, c.K1, c.Batch = tc.opt, tc.schedule, tc.k1, tc.batch
			c.Momentum, c.Clip, c.Epochs = 0.9, 1.5, 3
			if tc.opt == OptSGD {
				c.LR = 0.01
			}
			dir := t.TempDir()
			ref := filepath.Join(dir, "ref.safetensors")
			want, err := Run(context.Background(), c, train, dev, ref, Hooks{})
			if err != nil {
				t.Fatal(err)
			}

			out := filepath.Join(dir, "run.safetensors")
			cfg := c
			for _, k := range tc.interrupt {
				ctx, cancel := context.WithCancel(context.Background())
				_, err := Run(ctx, cfg, train, dev, out, Hooks{Update: func(n int64) {
					if n == k {
						cancel()
					}
				}})
				cancel()
				if !errors.Is(err, ErrInterrupted) {
					t.Fatalf("interrupt after %d updates: err = %v", k, err)
				}
				if !strings.Contains(err.Error(), ResumePath(out)) {
					t.Errorf("interrupt message does not say where the state is: %v", err)
				}
				cfg.Resume = true
			}
			got, err := Run(context.Background(), cfg, train, dev, out, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if i := synth.SameBits(loadParams(t, LastPath(ref)), loadParams(t, LastPath(out))); i != -1 {
				t.Fatalf("last weights differ from the uninterrupted run at parameter %d", i)
			}
			if i := synth.SameBits(loadParams(t, ref), loadParams(t, out)); i != -1 {
				t.Fatalf("best weights differ at parameter %d", i)
			}
			if got.Updates != want.Updates || got.FramesForward != want.FramesForward || len(got.Epochs) != len(want.Epochs) {
				t.Errorf("resumed run: %d updates, %d frames, %d epochs; uninterrupted %d, %d, %d",
					got.Updates, got.FramesForward, len(got.Epochs), want.Updates, want.FramesForward, len(want.Epochs))
			}
			for i := range got.Epochs {
				g, w := got.Epochs[i], want.Epochs[i]
				if g.Loss != w.Loss || g.DevFER61 != w.DevFER61 || g.Updates != w.Updates {
					t.Errorf("epoch %d: resumed %+v, uninterrupted %+v", i+1, g, w)
				}
			}
			logs, err := ReadLog(func() string { j, _ := LogPaths(out); return j }())
			if err != nil {
				t.Fatal(err)
			}
			if len(logs) != len(want.Epochs) {
				t.Errorf("log has %d lines, want %d (one per epoch, no duplicates)", len(logs), len(want.Epochs))
			}
		})
	}
}

// TestMaxUpdatesExact stops after exactly N updates, mid-epoch and
// mid-sentence, and the stored weights are those after update N.
func TestMaxUpdatesExact(t *testing.T) {
	train, dev := synth.Split(5, 10, false), synth.Split(6, 3, false)
	for _, n := range []int64{1, 13, 37} {
		c := smallConfig()
		c.Schedule, c.K1 = "tbptt", 3
		c.Epochs, c.MaxUpdates = 0, n
		var calls int64
		var snapshot []float32
		dir := t.TempDir()
		out := filepath.Join(dir, "m.safetensors")
		res, err := Run(context.Background(), c, train, dev, out, Hooks{Update: func(u int64) { calls = u }})
		if err != nil {
			t.Fatal(err)
		}
		if res.Updates != n || calls != n || res.Stopped != StopMaxUpdates {
			t.Errorf("max %d: %d updates (%d hook calls), stopped by %q", n, res.Updates, calls, res.Stopped)
		}
		last := res.Epochs[len(res.Epochs)-1]
		if last.Updates != n {
			t.Errorf("max %d: log says %d updates", n, last.Updates)
		}
		// The same run with a hook that snapshots after update n-1 must
		// differ from the final weights (update n was applied) — and a
		// run capped at n-1 must match that snapshot.
		if n > 1 {
			c2 := c
			c2.MaxUpdates = n - 1
			out2 := filepath.Join(dir, "m2.safetensors")
			if _, err := Run(context.Background(), c2, train, dev, out2, Hooks{}); err != nil {
				t.Fatal(err)
			}
			snapshot = loadParams(t, LastPath(out2))
			if synth.SameBits(snapshot, loadParams(t, LastPath(out))) == -1 {
				t.Errorf("max %d: same weights as after %d updates", n, n-1)
			}
		}
	}
}

// TestPatience trains on dev labels that carry no information: the dev
// error wanders around chance, so patience must stop the run, exactly
// Patience epochs after the best one.
func TestPatience(t *testing.T) {
	train, dev := synth.Split(7, 10, true), synth.Split(8, 10, true)
	c := smallConfig()
	c.Epochs, c.Patience = 40, 2
	res, err := Run(context.Background(), c, train, dev, filepath.Join(t.TempDir(), "m.safetensors"), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != StopPatience {
		t.Fatalf("stopped by %q after %d epochs, want patience", res.Stopped, len(res.Epochs))
	}
	if got := len(res.Epochs); got != res.BestEpoch+c.Patience {
		t.Errorf("stopped after %d epochs, best %d, patience %d", got, res.BestEpoch, c.Patience)
	}
	for _, e := range res.Epochs[res.BestEpoch:] {
		if e.Best || e.DevFER61 < res.BestDevFER61 {
			t.Errorf("epoch %d after the best improved: %+v", e.Epoch, e)
		}
	}
}

// TestTrainErrors checks that each mistake a user can make is one clear
// error naming it.
func TestTrainErrors(t *testing.T) {
	train, dev := synth.Split(9, 4, false), synth.Split(10, 2, false)
	dir := t.TempDir()

	// A checkpoint with 5 inputs for the dimension-mismatch case.
	m5, err := lstm.New(lstm.Config{Inputs: 5, Hidden: 3, Layers: 1, Outputs: labels.NumPhones}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	init5 := filepath.Join(dir, "five.safetensors")
	if err := lstm.Save(init5, m5, &lstm.Metadata{Phones: labels.TIMIT61().Names()}); err != nil {
		t.Fatal(err)
	}
	nanTrain := synth.Split(9, 4, false)
	nanTrain.Sentences[2].Feats.Data[3] = float32(math.NaN())

	tests := []struct {
		name  string
		mod   func(c *Config)
		train *data.Split
		want  string
	}{
		{"k1 < 1", func(c *Config) { c.Schedule, c.K1 = "tbptt", -2 }, train, "k1"},
		{"tbptt without k1", func(c *Config) { c.Schedule = "tbptt" }, train, "k1"},
		{"unknown schedule", func(c *Config) { c.Schedule = "epoch" }, train, `unknown schedule "epoch"`},
		{"bad k2", func(c *Config) { c.Schedule, c.K2 = "frame", "none" }, train, "k2"},
		{"unknown optimizer", func(c *Config) { c.Optimizer = "rmsprop" }, train, `unknown optimizer "rmsprop"`},
		{"never stops", func(c *Config) { c.Epochs = 0 }, train, "never stop"},
		{"empty split", func(c *Config) {}, &data.Split{Dir: "data/train", Manifest: train.Manifest}, "data/train: training split is empty"},
		{"dimension mismatch", func(c *Config) { c.Init = init5 }, train, "takes 5-dimensional features but synthetic has 4"},
		{"NaN loss", func(c *Config) {}, nanTrain, "loss became NaN"},
		{"resume without state", func(c *Config) { c.Resume = true }, train, "nothing to resume"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig()
			tc.mod(&c)
			out := filepath.Join(t.TempDir(), "m.safetensors")
			_, err := Run(context.Background(), c, tc.train, dev, out, Hooks{})
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tc.want)
			}
			if _, serr := os.Stat(out); tc.name == "NaN loss" && serr == nil {
				t.Error("a checkpoint was written for a diverged run")
			}
		})
	}
}

// TestResumeRefusesChangedConfig: only the stopping limits may change.
func TestResumeRefusesChangedConfig(t *testing.T) {
	train, dev := synth.Split(11, 4, false), synth.Split(12, 2, false)
	c := smallConfig()
	c.Epochs = 1
	out := filepath.Join(t.TempDir(), "m.safetensors")
	if _, err := Run(context.Background(), c, train, dev, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	c.Resume = true
	c.LR = 0.5
	_, err := Run(context.Background(), c, train, dev, out, Hooks{})
	if err == nil || !strings.Contains(err.Error(), "lr=0.01") {
		t.Fatalf("changed lr: err = %v", err)
	}
	// More epochs is allowed and continues the run.
	c.LR = smallConfig().LR
	c.Epochs = 2
	res, err := Run(context.Background(), c, train, dev, out, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Epochs) != 2 || res.Epochs[1].Epoch != 2 {
		t.Errorf("extended run has epochs %+v", res.Epochs)
	}
}

// TestLogFiles checks both logs: one line per epoch, the CSV header once,
// null/empty for undefined rates (no dev data), and the reader.
func TestLogFiles(t *testing.T) {
	train := synth.Split(13, 4, false)
	c := smallConfig()
	c.Epochs = 2
	out := filepath.Join(t.TempDir(), "m.safetensors")
	res, err := Run(context.Background(), c, train, nil, out, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	jp, cp := LogPaths(out)
	logs, err := ReadLog(jp)
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 2 || !math.IsNaN(logs[0].DevFER61) || logs[1].Updates != res.Updates {
		t.Errorf("jsonl log %+v", logs)
	}
	csv, err := os.ReadFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 3 || lines[0]+"\n" != csvHeader || !strings.Contains(lines[1], ",,,") {
		t.Errorf("csv log:\n%s", csv)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("without dev data the model is still written: %v", err)
	}
}

// TestInitFromCheckpoint starts from a trained checkpoint (with a learning
// rate too small to change anything measurable) and checks the
// normalisation used: the checkpoint's CMVN when it has one, else the
// data's.
func TestInitFromCheckpoint(t *testing.T) {
	train, dev := synth.Split(14, 30, false), synth.Split(15, 10, false)
	dir := t.TempDir()
	c := smallConfig()
	c.Epochs = 4
	trained := filepath.Join(dir, "trained.safetensors")
	first, err := Run(context.Background(), c, train, dev, trained, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	m, md, err := lstm.Load(trained)
	if err != nil {
		t.Fatal(err)
	}
	noCMVN := filepath.Join(dir, "nocmvn.safetensors")
	md2 := *md
	md2.CMVNMean, md2.CMVNStd = nil, nil
	if err := lstm.Save(noCMVN, m, &md2); err != nil {
		t.Fatal(err)
	}
	badCMVN := filepath.Join(dir, "badcmvn.safetensors")
	md3 := *md
	md3.CMVNMean = []float32{40, -20, 40, 0}
	if err := lstm.Save(badCMVN, m, &md3); err != nil {
		t.Fatal(err)
	}
	// lr 1e-12 moves no weight by more than ~1e-12 (Adam steps are ≤ lr):
	// the dev error is the trained model's up to ties, so 0.02 is generous.
	for _, tc := range []struct {
		init string
		same bool
	}{{trained, true}, {noCMVN, true}, {badCMVN, false}} {
		ci := DefaultConfig()
		ci.Init, ci.Epochs, ci.LR = tc.init, 1, 1e-12
		res, err := Run(context.Background(), ci, train, dev, filepath.Join(dir, "again.safetensors"), Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Model.Hidden != 8 || res.Config.Hidden != 8 {
			t.Errorf("%s: network shape %+v not taken from the checkpoint", tc.init, res.Model)
		}
		d := math.Abs(res.Epochs[0].DevFER61 - first.BestDevFER61)
		if tc.same != (d < 0.02) {
			t.Errorf("%s: dev FER %.3f after init, trained model %.3f", filepath.Base(tc.init), res.Epochs[0].DevFER61, first.BestDevFER61)
		}
	}
}

// FuzzReadResume: the resume-state reader must reject any corruption with
// an error, never panic.
func FuzzReadResume(f *testing.F) {
	train := synth.Split(16, 3, false)
	c := smallConfig()
	c.Epochs = 1
	dir := f.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	if _, err := Run(context.Background(), c, train, nil, out, Hooks{}); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(ResumePath(out))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(resumeMagic))
	f.Add([]byte(resumeMagic + "crc32c:00000000\n"))
	f.Add(append([]byte(resumeMagicV1), good[len(resumeMagic)+len("crc32c:xxxxxxxx\n"):]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "x.resume")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		rs, err := readResume(p)
		if err == nil {
			rs.compatible(c, train, nil, fingerprints(train, nil)) // must not panic either
		}
	})
}

// FuzzReadLog: the epoch-log reader rejects bad lines with an error naming
// the line, never panics, and whatever it accepts re-encodes.
func FuzzReadLog(f *testing.F) {
	f.Add([]byte(`{"epoch":1,"updates":5,"loss":1.5,"train_fer":null,"dev_fer61":0.5,"best":true}` + "\n"))
	f.Add([]byte("{\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "log.jsonl")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		logs, err := ReadLog(p)
		if err != nil {
			return
		}
		for _, e := range logs {
			if _, err := e.MarshalJSON(); err != nil {
				t.Fatalf("accepted %+v does not re-encode: %v", e, err)
			}
		}
	})
}
