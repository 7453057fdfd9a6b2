package train

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/phoneme/phoneme/features"
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

// A resume file is a magic line, then (since v2) a line "crc32c:xxxxxxxx"
// holding the CRC-32C (Castagnoli) of the rest, then the gob encoding of a
// resumeState. v1 files (no checksum line, no Data) are still read: their
// payload is not checked and neither is their data's identity (nothing is
// printed; the utterance and frame counts are checked as before).
const (
	resumeMagic   = "phoneme resume v2\n"
	resumeMagicV1 = "phoneme resume v1\n"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrDataChanged is returned (wrapped) when a run is resumed on training or
// dev data other than the saved run's; the message names what changed.
var ErrDataChanged = errors.New("the data differ from the saved run's")

// resumeState is the file format's payload. gob keeps float32 and float64
// values bit for bit, NaN and Inf included.
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
	// Data identifies the training and dev data the run uses (nil in v1
	// files: not checked).
	Data *runData
}

// runData identifies the splits of a run.
type runData struct {
	Train DataIdentity
	Dev   *DataIdentity // nil: no dev split
}

// DataIdentity identifies the contents of a split: everything in it that
// training or scoring reads. Two splits with equal identities give the same
// run. Fingerprint computes it; Changes names the differences.
type DataIdentity struct {
	Features   string // the manifest's feature configuration, as JSON
	Phones     string // SHA-256 of the manifest's phone list
	Utterances int
	Frames     int64
	IDs        string // SHA-256 of the utterance IDs, in order
	Labels     string // SHA-256 of every frame label, in order
	Values     string // SHA-256 of every feature matrix (shape and raw values)
	CMVN       string // SHA-256 of the manifest's CMVN mean and std
}

// Fingerprint returns the identity of s (raw, not normalised, features).
func Fingerprint(s *data.Split) DataIdentity {
	var id DataIdentity
	sum := func(write func(h io.Writer)) string {
		h := sha256.New()
		write(h)
		return hex.EncodeToString(h.Sum(nil))
	}
	// Each variable-length item is preceded by its length, so that no two
	// different contents hash the same bytes.
	var buf []byte
	u32 := func(v uint32) { buf = binary.LittleEndian.AppendUint32(buf, v) }
	str := func(x string) { u32(uint32(len(x))); buf = append(buf, x...) }
	if m := s.Manifest; m != nil {
		fj, _ := json.Marshal(m.Features)
		id.Features = string(fj)
		id.Phones = sum(func(h io.Writer) {
			buf = buf[:0]
			u32(uint32(len(m.Phones)))
			for _, p := range m.Phones {
				str(p)
			}
			h.Write(buf)
		})
		id.CMVN = sum(func(h io.Writer) {
			buf = buf[:0]
			for _, v := range [][]float32{m.CMVNMean, m.CMVNStd} {
				u32(uint32(len(v)))
				for _, x := range v {
					u32(math.Float32bits(x))
				}
			}
			h.Write(buf)
		})
	}
	id.Utterances = len(s.Sentences)
	id.IDs = sum(func(h io.Writer) {
		for _, x := range s.Sentences {
			buf = buf[:0]
			str(x.ID)
			h.Write(buf)
		}
	})
	var lab []int32 // a streamed split's labels, read in turn
	id.Labels = sum(func(h io.Writer) {
		for i := range s.Sentences {
			buf = buf[:0]
			lab = s.Labels(i, lab)
			u32(uint32(len(lab)))
			for _, l := range lab {
				u32(uint32(l))
			}
			h.Write(buf)
		}
	})
	var m features.Matrix // a streamed split's sentence, read in turn
	id.Values = sum(func(h io.Writer) {
		for i, x := range s.Sentences {
			buf = buf[:0]
			if s.Archives != nil && x.Feats != nil {
				if err := s.Archives.Read(i, &m); err != nil {
					// OpenSplit read the same bytes a moment ago; a failure now
					// is a changed archive, which training reports when it
					// reaches that sentence. The error text goes into the
					// hash, so the identity is no good data's.
					h.Write([]byte("unreadable: " + err.Error()))
					return
				}
				x = &data.Sentence{Feats: &m}
			}
			if x.Feats == nil {
				u32(0)
				u32(0)
			} else {
				id.Frames += int64(x.Feats.Rows)
				u32(uint32(x.Feats.Rows))
				u32(uint32(x.Feats.Cols))
				for _, v := range x.Feats.Data {
					u32(math.Float32bits(v))
				}
			}
			h.Write(buf)
		}
	})
	return id
}

// Changes names what differs from was to id, most fundamental first,
// leaving out what that already explains (the feature values of a new
// feature configuration, the labels of another utterance list); nil when
// they are equal.
func (id DataIdentity) Changes(was DataIdentity) []string {
	var out []string
	config := id.Features != was.Features
	if config {
		out = append(out, "feature configuration"+featureDiff(was.Features, id.Features))
	}
	if id.Phones != was.Phones {
		out = append(out, "phone list")
	}
	list := id.IDs != was.IDs || id.Utterances != was.Utterances
	if list {
		if id.Utterances != was.Utterances {
			out = append(out, fmt.Sprintf("utterance list (%d utterances → %d)", was.Utterances, id.Utterances))
		} else {
			out = append(out, fmt.Sprintf("utterance list (%d utterances, other IDs or order)", id.Utterances))
		}
	}
	if !list && id.Labels != was.Labels {
		out = append(out, "labels")
	}
	values := id.Values != was.Values || id.Frames != was.Frames
	if !config && !list && values {
		out = append(out, "feature values")
	}
	if !config && !list && !values && id.CMVN != was.CMVN {
		out = append(out, "CMVN statistics")
	}
	return out
}

// featureDiff returns " (key old → new, …)", keys in alphabetical order,
// for the settings that differ between two feature configurations (as
// JSON), or "".
func featureDiff(was, now string) string {
	var a, b features.Config
	if json.Unmarshal([]byte(was), &a) != nil || json.Unmarshal([]byte(now), &b) != nil {
		return ""
	}
	diffs := a.Differences(b)
	slices.SortFunc(diffs, func(x, y features.Difference) int { return strings.Compare(x.Name, y.Name) })
	var d []string
	for _, x := range diffs {
		d = append(d, fmt.Sprintf("%s %v → %v", x.Name, x.A, x.B))
	}
	if len(d) == 0 {
		return ""
	}
	return " (" + strings.Join(d, ", ") + ")"
}

// fingerprints returns the identity of a run's splits.
func fingerprints(train, dev *data.Split) *runData {
	d := &runData{Train: Fingerprint(train)}
	if dev != nil {
		id := Fingerprint(dev)
		d.Dev = &id
	}
	return d
}

// checkData compares the saved data identity with now's, naming every
// split that changed and how (wrapping ErrDataChanged).
func (rs *resumeState) checkData(now *runData, train, dev *data.Split) error {
	was := rs.Data
	if was == nil {
		return nil // written before identities were recorded
	}
	name := func(s *data.Split, what string) string {
		if s != nil && s.Dir != "" {
			return s.Dir
		}
		return what + " split"
	}
	var parts []string
	if c := now.Train.Changes(was.Train); len(c) > 0 {
		parts = append(parts, "training data "+name(train, "training")+": "+strings.Join(c, ", "))
	}
	switch {
	case was.Dev == nil && now.Dev != nil:
		parts = append(parts, "dev data "+name(dev, "dev")+" given, the saved run had none")
	case was.Dev != nil && now.Dev == nil:
		parts = append(parts, "no dev data, the saved run had some")
	case was.Dev != nil:
		if c := now.Dev.Changes(*was.Dev); len(c) > 0 {
			parts = append(parts, "dev data "+name(dev, "dev")+": "+strings.Join(c, ", "))
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("resume: %w: %s (start afresh without --resume, or use the data the run began with)", ErrDataChanged, strings.Join(parts, "; "))
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
		TrainSentences: len(r.train), TrainFrames: frames, Progress: st, Data: r.data,
	}
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(&rs); err != nil {
		return fmt.Errorf("encode resume state: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(resumeMagic) + 16 + payload.Len())
	b.WriteString(resumeMagic)
	fmt.Fprintf(&b, "crc32c:%08x\n", crc32.Checksum(payload.Bytes(), castagnoli))
	b.Write(payload.Bytes())
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
	if _, err := io.ReadFull(br, magic); err != nil || (string(magic) != resumeMagic && string(magic) != resumeMagicV1) {
		return nil, fmt.Errorf("resume: %s is not a phoneme resume state", path)
	}
	var payload io.Reader = br
	if string(magic) == resumeMagic {
		line, err := br.ReadString('\n')
		var want uint32
		if err != nil || len(line) != len("crc32c:xxxxxxxx\n") || !strings.HasPrefix(line, "crc32c:") {
			return nil, fmt.Errorf("resume: %s: no checksum line after the first", path)
		}
		if _, err := fmt.Sscanf(line, "crc32c:%08x\n", &want); err != nil {
			return nil, fmt.Errorf("resume: %s: checksum line %q", path, strings.TrimSpace(line))
		}
		b, err := io.ReadAll(br)
		if err != nil {
			return nil, fmt.Errorf("resume: read %s: %w", path, err)
		}
		if got := crc32.Checksum(b, castagnoli); got != want {
			return nil, fmt.Errorf("resume: %s is corrupt: checksum crc32c:%08x stored, the contents give crc32c:%08x", path, want, got)
		}
		payload = bytes.NewReader(b)
	}
	var rs resumeState
	if err := gob.NewDecoder(payload).Decode(&rs); err != nil {
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

// compatible checks that cfg, train and dev (whose identities are now) are
// those of the saved run, naming the first setting that differs or every
// change to the data.
func (rs *resumeState) compatible(cfg Config, train, dev *data.Split, now *runData) error {
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
	if err := rs.checkData(now, train, dev); err != nil {
		return err
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
