package train

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/synth"
)

// cloneSplit returns a deep copy of s.
func cloneSplit(s *data.Split) *data.Split {
	m := *s.Manifest
	m.Phones = slices.Clone(m.Phones)
	m.CMVNMean, m.CMVNStd = slices.Clone(m.CMVNMean), slices.Clone(m.CMVNStd)
	c := &data.Split{Dir: s.Dir, Manifest: &m}
	for _, x := range s.Sentences {
		y := *x
		y.Feats = &features.Matrix{Rows: x.Feats.Rows, Cols: x.Feats.Cols, Data: slices.Clone(x.Feats.Data)}
		y.Labels = slices.Clone(x.Labels)
		c.Sentences = append(c.Sentences, &y)
	}
	return c
}

// TestResumeRefusesChangedData: resuming on training or dev data other
// than the saved run's (re-extracted with another feature configuration,
// relabelled, another utterance list, another dev split, …) is refused
// with ErrDataChanged and a message naming what changed; the same data
// resumes.
func TestResumeRefusesChangedData(t *testing.T) {
	train, dev := synth.Split(21, 6, false), synth.Split(22, 3, false)
	train.Dir, dev.Dir = "feats/train", "feats/dev"
	c := smallConfig()
	c.Epochs = 1
	out := filepath.Join(t.TempDir(), "m.safetensors")
	if _, err := Run(context.Background(), c, train, dev, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(ResumePath(out))
	if err != nil {
		t.Fatal(err)
	}
	both := func(f func(s *data.Split)) func(tr, dv *data.Split) { return func(tr, dv *data.Split) { f(tr); f(dv) } }
	tests := []struct {
		name   string
		change func(tr, dv *data.Split) // may set dv.Dir = "" for no dev split
		want   string                   // the message after "resume: the data differ from the saved run's: "
	}{
		{"feature configuration", both(func(s *data.Split) {
			// Re-extracted with --preemph 0.5: other configuration, other values.
			s.Manifest.Features.PreemphCoeff = 0.5
			for _, x := range s.Sentences {
				x.Feats.Data[0] += 0.25
			}
		}), "training data feats/train: feature configuration (preemphasis_coefficient 0.97 → 0.5); " +
			"dev data feats/dev: feature configuration (preemphasis_coefficient 0.97 → 0.5)"},
		{"labels", func(tr, _ *data.Split) { tr.Sentences[2].Labels[1] = 9 },
			"training data feats/train: labels"},
		{"phone list", both(func(s *data.Split) {
			p := s.Manifest.Phones
			p[0], p[1] = p[1], p[0]
		}), "training data feats/train: phone list; dev data feats/dev: phone list"},
		{"utterance dropped", func(tr, _ *data.Split) { tr.Sentences = tr.Sentences[:5] },
			"training data feats/train: utterance list (6 utterances → 5)"},
		{"utterances reordered", func(tr, _ *data.Split) {
			tr.Sentences[0], tr.Sentences[1] = tr.Sentences[1], tr.Sentences[0]
		}, "training data feats/train: utterance list (6 utterances, other IDs or order)"},
		{"training features", func(tr, _ *data.Split) { tr.Sentences[3].Feats.Data[7] = 1 },
			"training data feats/train: feature values"},
		{"CMVN", both(func(s *data.Split) { s.Manifest.CMVNMean[0] = 11 }),
			"training data feats/train: CMVN statistics; dev data feats/dev: CMVN statistics"},
		{"dev split", func(_, dv *data.Split) { dv.Sentences[0].Labels[0] = 9; dv.Sentences[1].Feats.Data[0] = 2 },
			"dev data feats/dev: labels, feature values"},
		{"dev utterances", func(_, dv *data.Split) { dv.Sentences[0].ID = "other" },
			"dev data feats/dev: utterance list (3 utterances, other IDs or order)"},
		{"no dev split", func(_, dv *data.Split) { dv.Dir = "" },
			"no dev data, the saved run had some"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, dv := cloneSplit(train), cloneSplit(dev)
			tc.change(tr, dv)
			if dv.Dir == "" {
				dv = nil
			}
			rc := c
			rc.Resume, rc.Epochs = true, 2
			_, err := Run(context.Background(), rc, tr, dv, out, Hooks{})
			if !errors.Is(err, ErrDataChanged) {
				t.Fatalf("err = %v, want ErrDataChanged", err)
			}
			want := "resume: the data differ from the saved run's: " + tc.want +
				" (start afresh without --resume, or use the data the run began with)"
			if err.Error() != want {
				t.Errorf("message\n%s\nwant\n%s", err, want)
			}
			if b, _ := os.ReadFile(ResumePath(out)); !bytes.Equal(b, saved) {
				t.Error("a refused resume changed the saved state")
			}
		})
	}
	// Unchanged data (copies, not the same objects) resumes.
	rc := c
	rc.Resume, rc.Epochs = true, 2
	res, err := Run(context.Background(), rc, cloneSplit(train), cloneSplit(dev), out, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Epochs) != 2 {
		t.Errorf("resumed run has %d epochs, want 2", len(res.Epochs))
	}
}

// resumeStateV1 is resumeState as written before the data identity and the
// checksum line (format v1).
type resumeStateV1 struct {
	Config         Config
	Model          lstmConfigV1
	Params         []float32
	Optimizer      []byte
	RNG            []byte
	CMVNMean       []float32
	CMVNStd        []float32
	TrainSentences int
	TrainFrames    int64
	Progress       progressState
}

type lstmConfigV1 struct {
	Inputs, Hidden, Layers, Outputs int
	Peepholes                       bool
}

// toV1 rewrites the resume file at path in format v1.
func toV1(t *testing.T, path string) {
	t.Helper()
	rs, err := readResume(path)
	if err != nil {
		t.Fatal(err)
	}
	old := resumeStateV1{Config: rs.Config, Params: rs.Params, Optimizer: rs.Optimizer, RNG: rs.RNG,
		CMVNMean: rs.CMVNMean, CMVNStd: rs.CMVNStd, TrainSentences: rs.TrainSentences, TrainFrames: rs.TrainFrames, Progress: rs.Progress}
	m := rs.Model
	old.Model = lstmConfigV1{m.Inputs, m.Hidden, m.Layers, m.Outputs, m.Peepholes}
	var b bytes.Buffer
	b.WriteString(resumeMagicV1)
	if err := gob.NewEncoder(&b).Encode(&old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestResumeV1: a resume file written before data identities and checksums
// (v1) is still accepted without a data check, and reaches the
// uninterrupted run's weights bit for bit.
func TestResumeV1(t *testing.T) {
	train, dev := synth.Split(23, 8, false), synth.Split(24, 3, false)
	c := smallConfig()
	c.Epochs = 2
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.safetensors")
	if _, err := Run(context.Background(), c, train, dev, ref, Hooks{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, c, train, dev, out, Hooks{Update: func(n int64) {
		if n == 5 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, ErrInterrupted) {
		t.Fatal(err)
	}
	toV1(t, ResumePath(out))
	if b, _ := os.ReadFile(ResumePath(out)); !bytes.HasPrefix(b, []byte(resumeMagicV1)) {
		t.Fatal("not a v1 file")
	}
	if rs, err := readResume(ResumePath(out)); err != nil || rs.Data != nil {
		t.Fatalf("v1 file: %v, data %v", err, rs.Data)
	}
	if p, err := SavedProgress(out); err != nil || p.Updates != 5 {
		t.Fatalf("v1 progress: %+v, %v", p, err)
	}
	c.Resume = true
	if _, err := Run(context.Background(), c, train, dev, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if i := synth.SameBits(loadParams(t, LastPath(ref)), loadParams(t, LastPath(out))); i != -1 {
		t.Fatalf("weights resumed from a v1 file differ from the uninterrupted run's at parameter %d", i)
	}
	// The state saved by the resumed run is v2 and carries the identity.
	if rs, err := readResume(ResumePath(out)); err != nil || rs.Data == nil {
		t.Fatalf("state after resuming a v1 file: %v", err)
	}
}

// TestResumeChecksum: a flipped bit anywhere in a resume file's payload is
// refused naming the file and the checksum.
func TestResumeChecksum(t *testing.T) {
	train := synth.Split(25, 4, false)
	c := smallConfig()
	c.Epochs = 1
	out := filepath.Join(t.TempDir(), "m.safetensors")
	if _, err := Run(context.Background(), c, train, nil, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	path := ResumePath(out)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(good, []byte(resumeMagic+"crc32c:")) {
		t.Fatalf("resume file starts %q", good[:40])
	}
	payload := len(resumeMagic) + len("crc32c:xxxxxxxx\n")
	for _, i := range []int{payload, payload + (len(good)-payload)/2, len(good) - 1} {
		b := slices.Clone(good)
		b[i] ^= 0x10
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		rc := c
		rc.Resume, rc.Epochs = true, 2
		_, err := Run(context.Background(), rc, train, nil, out, Hooks{})
		if err == nil || !strings.Contains(err.Error(), path+" is corrupt: checksum crc32c:") {
			t.Errorf("byte %d flipped: err = %v", i, err)
		}
		if _, err := SavedProgress(out); err == nil {
			t.Errorf("byte %d flipped: SavedProgress accepted it", i)
		}
	}
	// A damaged checksum line.
	b := slices.Clone(good)
	copy(b[len(resumeMagic):], "crc32c:zz")
	os.WriteFile(path, b, 0o644)
	if _, err := readResume(path); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("bad checksum line: err = %v", err)
	}
}
