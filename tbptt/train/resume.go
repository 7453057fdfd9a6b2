package train

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/phoneme/phoneme/internal/atomicfile"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/lstm"
)

// ResumePath returns where Train keeps the resumable state of a run whose
// model is out: parameters, optimizer moments, the shuffle RNG, the
// position in the epoch and the log sizes, written at every epoch end and
// on interruption.
func ResumePath(out string) string { return basePath(out) + ".resume" }

// Resumable reports whether a resumable state exists for out.
func Resumable(out string) bool {
	_, err := os.Stat(ResumePath(out))
	return err == nil
}

const resumeMagic = "phoneme resume v1\n"

// resumeState is the file format (magic line, then gob). gob keeps float32
// and float64 values bit for bit, NaN and Inf included.
type resumeState struct {
	Config         Config
	Model          lstm.Config
	Params         []float32
	Optimizer      []byte
	RNG            []byte
	CMVNMean       []float32
	CMVNStd        []float32
	TrainSentences int
	TrainFrames    int64
	Progress       progressState
}

func (r *run) saveResume() error {
	if !paramsFinite(r.model.Params()) {
		return errors.New("refusing to save non-finite weights")
	}
	opt, err := r.opt.MarshalBinary()
	if err != nil {
		return err
	}
	rng, err := r.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	var frames int64
	for _, s := range r.train {
		frames += int64(s.Feats.Rows)
	}
	st := r.st
	st.Wall = r.wall()
	rs := resumeState{
		Config: r.cfg, Model: r.model.Config(), Params: r.model.Params(),
		Optimizer: opt, RNG: rng, CMVNMean: r.md.CMVNMean, CMVNStd: r.md.CMVNStd,
		TrainSentences: len(r.train), TrainFrames: frames, Progress: st,
	}
	var b bytes.Buffer
	b.WriteString(resumeMagic)
	if err := gob.NewEncoder(&b).Encode(&rs); err != nil {
		return fmt.Errorf("encode resume state: %w", err)
	}
	return atomicfile.WriteBytes(ResumePath(r.out), b.Bytes())
}

// Progress is how far a saved run had got: the part of its state that a
// caller may want to report.
type Progress struct {
	Epoch   int   // 0-based epoch in progress
	Order   []int // that epoch's sentence order (nil before it starts)
	Pos     int   // sentences of Order already trained
	Updates int64
	Forward int64   // frames forward-propagated, re-runs counted
	Wall    float64 // seconds of wall-clock time
	// Stopped is why the run stopped; NotStopped while it can go on.
	Stopped StopReason
	// Params are the network's weights at that point.
	Params []float32
}

// SavedProgress reads the progress recorded in the resumable state of the
// run whose model is out (ResumePath(out)).
func SavedProgress(out string) (Progress, error) {
	rs, err := readResume(ResumePath(out))
	if err != nil {
		return Progress{}, err
	}
	p := rs.Progress
	stopped, err := ParseStopReason(p.Done)
	if err != nil {
		return Progress{}, fmt.Errorf("resume %s: %w", ResumePath(out), err)
	}
	return Progress{Epoch: p.Epoch, Order: p.Order, Pos: p.Pos, Updates: p.Updates, Forward: p.Forward, Wall: p.Wall, Stopped: stopped, Params: rs.Params}, nil
}

func readResume(path string) (*resumeState, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("resume: no saved state at %s (nothing to resume)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic := make([]byte, len(resumeMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != resumeMagic {
		return nil, fmt.Errorf("resume: %s is not a phoneme resume state", path)
	}
	var rs resumeState
	if err := gob.NewDecoder(br).Decode(&rs); err != nil {
		return nil, fmt.Errorf("resume: read %s: %w", path, err)
	}
	return &rs, nil
}

// withLimits returns c with the stopping limits of u: those may change
// when a run is continued; nothing else may.
func (c Config) withLimits(u Config) Config {
	c.Epochs, c.MaxUpdates, c.MaxFrames, c.MaxSeconds, c.Patience = u.Epochs, u.MaxUpdates, u.MaxFrames, u.MaxSeconds, u.Patience
	c.Resume = u.Resume
	return c
}

// compatible checks that cfg and train are those of the saved run, naming
// the first setting that differs.
func (rs *resumeState) compatible(cfg Config, train *data.Split) error {
	saved := rs.Config
	if saved.Init != "" && saved.Init == cfg.Init {
		// The network shape came from the checkpoint.
		cfg.Hidden, cfg.Layers, cfg.Peepholes = saved.Hidden, saved.Layers, saved.Peepholes
	}
	cfg = cfg.withLimits(saved)
	if cfg != saved {
		var a, b map[string]any
		ja, _ := json.Marshal(saved)
		jb, _ := json.Marshal(cfg)
		json.Unmarshal(ja, &a)
		json.Unmarshal(jb, &b)
		for k, v := range a {
			if fmt.Sprint(v) != fmt.Sprint(b[k]) {
				return fmt.Errorf("resume: the saved run used %s=%v, not %v (only the stopping limits may change)", k, v, b[k])
			}
		}
		return errors.New("resume: the configuration differs from the saved run's")
	}
	var frames int64
	for _, s := range train.Sentences {
		frames += int64(s.Feats.Rows)
	}
	if len(train.Sentences) != rs.TrainSentences || frames != rs.TrainFrames {
		return fmt.Errorf("resume: the saved run trained on %d utterances (%d frames), %s has %d (%d frames)",
			rs.TrainSentences, rs.TrainFrames, train.Dir, len(train.Sentences), frames)
	}
	if err := rs.Model.Validate(); err != nil || rs.Model.NumParams() != len(rs.Params) {
		return errors.New("resume: the saved network is inconsistent")
	}
	if d := train.Sentences[0].Feats.Cols; rs.Model.Inputs != d {
		return fmt.Errorf("resume: the saved network takes %d-dimensional features, %s has %d", rs.Model.Inputs, train.Dir, d)
	}
	if len(rs.Params) == 0 || rs.Progress.Pos < 0 || rs.Progress.Pos > len(rs.Progress.Order) {
		return errors.New("resume: the saved state is inconsistent")
	}
	return nil
}

// restore puts the saved optimizer, RNG and position into r (whose model
// already holds the saved parameters).
func (rs *resumeState) restore(r *run) error {
	if len(rs.Params) != len(r.model.Params()) {
		return fmt.Errorf("resume: %d saved parameters, the network has %d", len(rs.Params), len(r.model.Params()))
	}
	if err := r.opt.UnmarshalBinary(rs.Optimizer); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := r.pcg.UnmarshalBinary(rs.RNG); err != nil {
		return fmt.Errorf("resume: random state: %w", err)
	}
	if o := rs.Progress.Order; o != nil && len(o) != len(r.train) {
		return errors.New("resume: the saved epoch order does not match the training data")
	}
	r.st = rs.Progress
	return nil
}
