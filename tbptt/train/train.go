package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/lock"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

// The training loop (Train) around the engine:
//
//   - The network comes from cfg.Seed (its own PCG stream), from cfg.Init,
//     or from the saved state when resuming. Features are normalised, in
//     copies, with the training CMVN (or the one stored in the checkpoint).
//   - Each epoch orders the training sentences (shuffled with a second PCG
//     stream unless cfg.Shuffle is false) and feeds them to Engine.Train in
//     groups of cfg.Batch; the step callback clips (ClipGradNorm) and applies
//     the Optimizer, and counts updates, stopping the engine after exactly
//     cfg.MaxUpdates.
//   - Group boundaries are the points where the run's state is exact: there
//     Train checks for cancellation and the frame and time budgets. At every
//     epoch end it scores dev (eval.Evaluate), appends to the logs, writes the
//     best-dev and last checkpoints and saves the resumable state (resume.go:
//     parameters, optimizer state, RNG, order, position, counters, log
//     sizes), so a resumed run repeats the uninterrupted one bit for bit.

// Config is everything that determines a training run. Two runs with
// equal configurations on the same data reach bit-identical weights.
type Config struct {
	// Schedule is "sentence", "frame" or "tbptt"; K1 (0 = unset), K2 (a
	// number, "all" or "" = unset) and Truncation ("window", "per-error",
	// "chunk") refine it as ParseSchedule documents. SetSchedule fills them
	// from a Schedule.
	Schedule   tbptt.Kind `json:"schedule"`
	K1         int        `json:"k1,omitempty"`
	K2         string     `json:"k2,omitempty"`
	Truncation string     `json:"truncation,omitempty"`
	// K2Schedule, if set, changes k2 with the epoch (ParseK2Schedule:
	// "1@0,5@2,20@4,all@8" or the ramp "1-20@0-8"); it overrides K2 and
	// needs the frame or tbptt schedule. The log records the k2 in force.
	K2Schedule string `json:"k2_schedule,omitempty"`

	// Network (ignored when Init names a checkpoint, whose shape wins).
	Hidden    int  `json:"hidden"`
	Layers    int  `json:"layers"`
	Peepholes bool `json:"peepholes"`

	Batch       int           `json:"batch"`
	Optimizer   OptimizerKind `json:"optimizer"`
	LR          float64       `json:"lr"`
	Momentum    float64       `json:"momentum"` // sgd only
	Clip        float64       `json:"clip"`     // global gradient norm; 0 = off
	TargetDelay int           `json:"target_delay"`

	// Seed drives the initial weights and the epoch shuffles (separate
	// PCG streams, so the data order does not depend on the network size).
	Seed    uint64 `json:"seed"`
	Init    string `json:"init,omitempty"` // start from this checkpoint
	Shuffle bool   `json:"shuffle"`
	// Bucket > 0 sorts each epoch's order by sentence length within runs
	// of Bucket groups (then shuffles those groups among themselves), so
	// that a group's sentences are of similar length and its streams idle
	// less; 0 = off. It only matters with Batch > 1.
	Bucket int `json:"bucket,omitempty"`

	// Stopping: Epochs (0 = no limit, then a Max* must be set), MaxUpdates
	// (exactly that many weight updates), MaxFrames (at the first sentence
	// group boundary after that many frames forward), MaxSeconds (wall
	// clock, at a group boundary; not reproducible), Patience (epochs
	// without a better dev FER61; 0 = off).
	Epochs     int     `json:"epochs"`
	MaxUpdates int64   `json:"max_updates,omitempty"`
	MaxFrames  int64   `json:"max_frames,omitempty"`
	MaxSeconds float64 `json:"max_seconds,omitempty"`
	Patience   int     `json:"patience,omitempty"`

	// LogHorizon > 0 measures the gradient horizon (Horizon, on the first
	// dev sentences) every that many updates and appends its summary to
	// HorizonLogPath(out). It does not change the weights.
	LogHorizon int64 `json:"log_horizon,omitempty"`

	// Resume continues from the state saved beside the output by an
	// interrupted (or finished) run instead of starting afresh.
	Resume bool `json:"-"`
}

// DefaultConfig returns the defaults of phoneme train: a 128-cell
// single-layer LSTM trained per sentence with Adam (lr 1e-3) for 20 epochs.
func DefaultConfig() Config {
	return Config{
		Schedule:  tbptt.KindSentence,
		Hidden:    128,
		Layers:    1,
		Batch:     1,
		Optimizer: OptAdam,
		LR:        DefaultLR(OptAdam),
		Momentum:  0.9,
		Seed:      1,
		Shuffle:   true,
		Epochs:    20,
	}
}

// ParsedSchedule returns the schedule that the schedule fields describe.
func (c Config) ParsedSchedule() (tbptt.Schedule, error) {
	return tbptt.ParseSchedule(c.Schedule, c.K1, c.K2, c.Truncation)
}

// SetSchedule sets the schedule fields of c to s.
func (c *Config) SetSchedule(s tbptt.Schedule) {
	c.Schedule, c.K1, c.K2, c.Truncation = s.Kind, 0, "", ""
	if s.Kind == tbptt.KindTBPTT {
		c.K1 = s.K1
	}
	if s.Kind != tbptt.KindSentence {
		c.K2 = tbptt.K2String(s.K2)
	}
	if s.Truncation != tbptt.Window {
		c.Truncation = s.Truncation.String()
	}
}

// Validate reports the first configuration mistake as one clear line.
func (c Config) Validate() error {
	if _, err := c.ParsedSchedule(); err != nil {
		return err
	}
	if err := c.validateK2Schedule(); err != nil {
		return err
	}
	switch {
	case c.Batch < 1:
		return fmt.Errorf("batch must be at least 1, not %d", c.Batch)
	case c.Batch > MaxBatch:
		return fmt.Errorf("batch must be at most %d, not %d", MaxBatch, c.Batch)
	case c.Bucket < 0 || c.Bucket > MaxBucket:
		return fmt.Errorf("bucket must be in 0 … %d, not %d", MaxBucket, c.Bucket)
	case c.Init == "" && (c.Hidden < 1 || c.Hidden > MaxHidden):
		return fmt.Errorf("hidden must be in 1 … %d, not %d", MaxHidden, c.Hidden)
	case c.Init == "" && (c.Layers < 1 || c.Layers > MaxLayers):
		return fmt.Errorf("layers must be in 1 … %d, not %d", MaxLayers, c.Layers)
	case c.TargetDelay > MaxTargetDelay:
		return fmt.Errorf("target delay must be at most %d, not %d", MaxTargetDelay, c.TargetDelay)
	case c.TargetDelay < 0:
		return fmt.Errorf("target delay must not be negative, not %d", c.TargetDelay)
	case c.Clip < 0 || math.IsNaN(c.Clip) || math.IsInf(c.Clip, 0):
		return fmt.Errorf("clip must be 0 (off) or a positive number, not %v", c.Clip)
	case c.Epochs < 0, c.MaxUpdates < 0, c.MaxFrames < 0, c.MaxSeconds < 0, c.Patience < 0, c.LogHorizon < 0:
		return errors.New("epochs, max updates, max frames, max seconds and patience must not be negative")
	case c.Epochs == 0 && c.MaxUpdates == 0 && c.MaxFrames == 0 && c.MaxSeconds == 0:
		return errors.New("epochs is 0 and no other limit is set: training would never stop")
	}
	if _, err := NewOptimizer(c.Optimizer, 1, c.LR, c.Momentum); err != nil {
		return err
	}
	return nil
}

// EpochLog is one line of the training log (<model>.log.jsonl and .csv).
// Counters are cumulative over the run; loss and error rates are of this
// epoch.
type EpochLog struct {
	Epoch           int     `json:"epoch"`
	Updates         int64   `json:"updates"`
	FramesForward   int64   `json:"frames_forward"`
	FramesBackward  int64   `json:"frames_backward"`
	Loss            float64 `json:"loss"`      // mean cross-entropy per scored frame (nats)
	TrainFER        float64 `json:"train_fer"` // while training, 61 classes
	DevFER61        float64 `json:"dev_fer61"` // NaN (empty in CSV, null in JSON) without dev data
	DevFER39        float64 `json:"dev_fer39"`
	Seconds         float64 `json:"seconds"`      // this epoch's training time
	WallSeconds     float64 `json:"wall_seconds"` // since the run began, dev scoring included
	FramesPerSecond float64 `json:"frames_per_second"`
	LR              float64 `json:"lr"`
	K2              string  `json:"k2,omitempty"` // k2 in force, with Config.K2Schedule
	Best            bool    `json:"best"`         // the best-dev checkpoint was updated
	Partial         bool    `json:"partial"`      // stopped before the epoch's end
}

// Hooks let a caller follow a run; every field may be nil. They are called
// from Train's goroutine.
type Hooks struct {
	// EpochStart is called before each epoch (1-based) with the number of
	// training frames it will stream (when resumed mid-epoch, the rest).
	EpochStart func(epoch int, frames int64)
	// Progress is called after each group of Batch sentences with the
	// number of their frames.
	Progress func(frames int64)
	// Update is called after each weight update with the total so far.
	Update func(updates int64)
	// EpochEnd is called after an epoch's log line and checkpoints are
	// written.
	EpochEnd func(EpochLog)
}

// A StopReason says why a run stopped. Its text form ("epochs",
// "max-updates", …) is what logs and result files record.
type StopReason int

const (
	NotStopped     StopReason = iota // still running, or interrupted
	StopEpochs                       // Config.Epochs done
	StopMaxUpdates                   // Config.MaxUpdates reached
	StopMaxFrames                    // Config.MaxFrames reached
	StopTime                         // Config.MaxSeconds reached
	StopPatience                     // Config.Patience epochs without a better dev FER
)

var stopNames = [...]string{NotStopped: "", StopEpochs: "epochs", StopMaxUpdates: "max-updates",
	StopMaxFrames: "max-frames", StopTime: "max-seconds", StopPatience: "patience"}

// String returns the text form ("" for NotStopped).
func (s StopReason) String() string {
	if s < 0 || int(s) >= len(stopNames) {
		return fmt.Sprintf("StopReason(%d)", int(s))
	}
	return stopNames[s]
}

// ParseStopReason parses the text form of a StopReason.
func ParseStopReason(text string) (StopReason, error) {
	for i, n := range stopNames {
		if n == text {
			return StopReason(i), nil
		}
	}
	return NotStopped, fmt.Errorf("unknown stop reason %q", text)
}

// MarshalText implements encoding.TextMarshaler.
func (s StopReason) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *StopReason) UnmarshalText(b []byte) error {
	r, err := ParseStopReason(string(b))
	*s = r
	return err
}

// Result summarises a finished run.
type Result struct {
	Config         Config // as run (network shape from Init)
	Schedule       tbptt.Schedule
	Model          lstm.Config
	Epochs         []EpochLog // every epoch of the run, resumed ones included
	Updates        int64
	FramesForward  int64
	FramesBackward int64
	WallSeconds    float64
	BestEpoch      int     // 1-based; 0 when no epoch finished
	BestDevFER61   float64 // NaN without dev data
	BestDevFER39   float64
	Stopped        StopReason
	Path, LastPath string // best-dev and last checkpoints
}

// ErrInterrupted is returned (wrapped) when ctx is cancelled: the state to
// continue with Resume has been saved.
var ErrInterrupted = errors.New("interrupted")

// ErrDiverged is returned (wrapped) when the loss or the weights stop being
// finite; the checkpoints of earlier epochs are kept, no non-finite one is
// written. A smaller learning rate or gradient clipping usually helps.
var ErrDiverged = errors.New("training diverged")

// errStop aborts the engine after the last allowed update.
var errStop = errors.New("update limit reached")

// Seeds of the PCG streams: one for the initial weights, one for shuffles.
const (
	initStream    = 0x696e6974 // "init"
	shuffleStream = 0x73687566 // "shuf"
)

// InitialModel returns the network a training run with this seed starts
// from: the weights come from their own PCG stream, so they do not depend on
// the data order and other tools (horizon) can rebuild them exactly.
func InitialModel(c lstm.Config, seed uint64) (*lstm.Model, error) {
	return lstm.New(c, rand.New(rand.NewPCG(seed, initStream)))
}

// Paths of the files a run writes beside its model: base is the model
// path without ".safetensors".
func basePath(out string) string { return strings.TrimSuffix(out, ".safetensors") }

// LockPath returns the lock file that Run holds while it writes the run
// whose best-dev checkpoint is out.
func LockPath(out string) string { return basePath(out) + ".lock" }

// LastPath returns where Train keeps the last checkpoint of a run whose
// best-dev checkpoint is out.
func LastPath(out string) string { return basePath(out) + ".last.safetensors" }

// LogPaths returns the JSON-lines and CSV epoch logs of a run.
func LogPaths(out string) (jsonl, csv string) {
	b := basePath(out)
	return b + ".log.jsonl", b + ".log.csv"
}

// run is the mutable state of a training run; the resumable part of it is
// saved by resume.go.
type run struct {
	cfg   Config
	out   string
	hooks Hooks

	model *lstm.Model
	md    *lstm.Metadata
	opt   Optimizer
	eng   *tbptt.Engine
	sched tbptt.Schedule
	pcg   *rand.PCG // shuffle stream
	rng   *rand.Rand

	train, dev []*data.Sentence
	trainDir   string
	devSplit   *data.Split
	data       *runData // identity of the raw splits, saved with the state

	// A streamed training split (data.OpenSplit): train holds shapes
	// only, the features and labels are read group by group.
	trainArk  *data.Archives
	mean, std []float32 // the CMVN applied to the training features

	st    progressState
	start time.Time // of this process's part of the run
	logs  *epochLogger
	hz    *horizonLogger // Config.LogHorizon
}

// progressState is the position of a run: everything needed, beside
// parameters and optimizer state, to continue it exactly.
type progressState struct {
	Epoch     int   // 0-based epoch in progress
	Order     []int // this epoch's sentence order (nil before it starts)
	Pos       int   // sentences of Order already trained
	Updates   int64
	Forward   int64
	Backward  int64
	Acc       epochAcc // this epoch so far
	Best      float64  // best dev FER61 (+Inf before any)
	Best39    float64
	BestEpoch int
	SinceBest int
	Epochs    []EpochLog
	Wall      float64 // seconds before this process's part
	LogJSONL  int64   // log sizes matching this state
	LogCSV    int64
	Done      string // StopReason.String() once the run finished (a string: resume files are gob)
}

type epochAcc struct {
	Updates, Forward, Backward, Scored, Errors int64
	Loss                                       float64
	Seconds                                    float64
}

// Train trains a network on train, scoring dev (which may be nil) after
// every epoch, and writes beside out (a .safetensors path): the best-dev
// checkpoint at out, the last one at LastPath(out), the epoch logs at
// LogPaths(out) and the resumable state at ResumePath(out). train and dev
// are not modified: Train normalises copies with the training split's CMVN
// (or the one stored in cfg.Init).
//
// A training split opened with data.OpenSplit is streamed: each epoch's
// groups are read from feats.ark by offset on a goroutine ahead of the
// engine (three groups in memory at most) and normalised as read, so
// memory does not grow with the corpus; the result is the in-memory
// path's, bit for bit.
//
// When ctx is cancelled Train saves its state at the next sentence-group
// boundary and returns an error wrapping ErrInterrupted; the same call with
// cfg.Resume set continues to bit-identical weights.
func Run(ctx context.Context, cfg Config, train, dev *data.Split, out string, hooks Hooks) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if out == "" {
		return nil, errors.New("no output path")
	}
	// One process owns a run's files: a second one on the same output
	// would splice its logs and checkpoints into this one's.
	lk, err := lock.Acquire(LockPath(out))
	if err != nil {
		return nil, err
	}
	defer lk.Release()
	r := &run{cfg: cfg, out: out, hooks: hooks, start: time.Now()}
	if err := r.setup(train, dev); err != nil {
		return nil, err
	}
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	return r.result(), nil
}

// checkSplit rejects splits training cannot use, naming the folder.
func checkSplit(what string, s *data.Split) (dim int, err error) {
	if s == nil {
		return 0, fmt.Errorf("no %s split", what)
	}
	name := s.Dir
	if name == "" {
		name = what + " split"
	}
	if len(s.Sentences) == 0 {
		return 0, fmt.Errorf("%s: %s split is empty", name, what)
	}
	if s.Manifest == nil {
		return 0, fmt.Errorf("%s: no manifest", name)
	}
	if s.Sentences[0] == nil || s.Sentences[0].Feats == nil {
		return 0, fmt.Errorf("%s: sentence 0 has no features", name)
	}
	// Every sentence as wide as the first, every label a phone.
	dim = s.Sentences[0].Feats.Cols
	if s.Archives != nil {
		// data.OpenSplit made these checks against the manifest while
		// reading every matrix; the values are checked again as read.
		return dim, nil
	}
	if err := data.CheckSentences(s.Sentences, dim, labels.NumPhones); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return dim, nil
}

// checkable returns s as the model/data check can take it: a streamed
// split's sentences have no feature values to check (OpenSplit checked
// them), so only its folder and manifest are passed.
func checkable(s *data.Split) *data.Split {
	if s.Archives == nil {
		return s
	}
	return &data.Split{Dir: s.Dir, Manifest: s.Manifest}
}

// normalized returns a copy of s with every feature matrix normalised.
func normalized(s *data.Split, mean, std []float32) *data.Split {
	c := &data.Split{Dir: s.Dir, Manifest: s.Manifest, Sentences: make([]*data.Sentence, len(s.Sentences))}
	for i, x := range s.Sentences {
		y := *x
		y.Feats = &features.Matrix{Rows: x.Feats.Rows, Cols: x.Feats.Cols, Data: append([]float32(nil), x.Feats.Data...)}
		c.Sentences[i] = &y
	}
	c.Normalize(mean, std)
	return c
}

func (r *run) setup(train, dev *data.Split) error {
	dim, err := checkSplit("training", train)
	if err != nil {
		return err
	}
	r.trainDir = train.Dir
	if dev != nil {
		ddim, err := checkSplit("dev", dev)
		if err != nil {
			return err
		}
		if ddim != dim {
			return fmt.Errorf("%s: dev features are %d-dimensional, training features %d", dev.Dir, ddim, dim)
		}
		if dev.Manifest.Features != train.Manifest.Features {
			return fmt.Errorf("%s: dev features were extracted with another configuration than %s", dev.Dir, train.Dir)
		}
	}
	mean, std := train.Manifest.CMVNMean, train.Manifest.CMVNStd
	r.data = fingerprints(train, dev)

	var rs *resumeState
	switch {
	case r.cfg.Resume:
		rs, err = readResume(ResumePath(r.out))
		if err != nil {
			return err
		}
		if err := rs.compatible(r.cfg, train, dev, r.data); err != nil {
			return err
		}
		r.model, err = lstm.New(rs.Model, rand.New(rand.NewPCG(0, 0)))
		if err != nil {
			return fmt.Errorf("resume %s: %w", ResumePath(r.out), err)
		}
		copy(r.model.Params(), rs.Params)
		mean, std = rs.CMVNMean, rs.CMVNStd
		r.cfg = rs.Config.withLimits(r.cfg)
	case r.cfg.Init != "":
		m, md, err := lstm.Load(r.cfg.Init)
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		// One check for every verb: shape, phones, feature configuration,
		// CMVN, target delay, sentences. A checkpoint without CMVN is still
		// accepted (the training split's statistics are used then).
		if err := eval.CheckModel(r.cfg.Init, m, md, checkable(train)); err != nil && !errors.Is(err, eval.ErrNoCMVN) {
			return fmt.Errorf("init: %w", err)
		}
		if len(md.CMVNMean) > 0 {
			mean, std = md.CMVNMean, md.CMVNStd
		}
		mc := m.Config()
		r.model = m
		r.cfg.Hidden, r.cfg.Layers, r.cfg.Peepholes = mc.Hidden, mc.Layers, mc.Peepholes
	default:
		r.model, err = InitialModel(lstm.Config{Inputs: dim, Hidden: r.cfg.Hidden, Layers: r.cfg.Layers,
			Outputs: labels.NumPhones, Peepholes: r.cfg.Peepholes}, r.cfg.Seed)
		if err != nil {
			return err
		}
	}

	r.sched, _ = r.cfg.ParsedSchedule()
	r.eng, err = tbptt.NewEngine(r.model, r.sched, r.cfg.TargetDelay, r.cfg.Batch)
	if err != nil {
		return err
	}
	r.opt, err = NewOptimizer(r.cfg.Optimizer, len(r.model.Params()), r.cfg.LR, r.cfg.Momentum)
	if err != nil {
		return err
	}
	r.useEngineCores()
	r.pcg = rand.NewPCG(r.cfg.Seed, shuffleStream)
	r.rng = rand.New(r.pcg)

	r.mean, r.std = mean, std
	if train.Archives != nil {
		r.trainArk, r.train = train.Archives, train.Sentences
	} else {
		r.train = normalized(train, mean, std).Sentences
	}
	if dev != nil {
		r.devSplit = normalized(dev, mean, std)
		r.dev = r.devSplit.Sentences
	}
	training, _ := json.Marshal(r.cfg)
	feats, _ := json.Marshal(train.Manifest.Features)
	r.md = &lstm.Metadata{Phones: labels.TIMIT61().Names(), Features: feats, Training: training,
		TargetDelay: r.cfg.TargetDelay, CMVNMean: mean, CMVNStd: std}

	r.st = progressState{Best: math.Inf(1), Best39: math.NaN()}
	jsonl, csv := LogPaths(r.out)
	if rs != nil {
		if err := rs.restore(r); err != nil {
			return err
		}
		r.logs, err = openLogs(jsonl, csv, r.st.LogJSONL, r.st.LogCSV)
	} else {
		r.logs, err = openLogs(jsonl, csv, 0, 0)
	}
	return err
}

// loop runs epochs until a limit, patience, an error or cancellation.
func (r *run) loop(ctx context.Context) error {
	defer r.logs.Close()
	var frames int64
	for _, s := range r.train {
		frames += int64(s.Feats.Rows)
	}
	for {
		if stop := r.limitReached(); stop != NotStopped {
			// The run is complete at an exact position: record it so that
			// resuming with higher limits continues from here.
			r.st.Done = stop.String()
			return r.saveResume()
		}
		r.st.Done = ""
		if r.st.Order == nil {
			r.st.Order = make([]int, len(r.train))
			for i := range r.st.Order {
				r.st.Order[i] = i
			}
			if r.cfg.Shuffle {
				r.rng.Shuffle(len(r.st.Order), func(i, j int) {
					r.st.Order[i], r.st.Order[j] = r.st.Order[j], r.st.Order[i]
				})
			}
			if r.cfg.Bucket > 0 && r.cfg.Batch > 1 {
				var rng *rand.Rand
				if r.cfg.Shuffle {
					rng = r.rng
				}
				BucketOrder(r.st.Order, func(i int) int { return r.train[i].Feats.Rows }, r.cfg.Batch, r.cfg.Bucket, rng)
			}
			r.st.Pos, r.st.Acc = 0, epochAcc{}
		}
		if r.hooks.EpochStart != nil {
			rest := frames
			for _, i := range r.st.Order[:r.st.Pos] {
				rest -= int64(r.train[i].Feats.Rows)
			}
			r.hooks.EpochStart(r.st.Epoch+1, rest)
		}
		if err := r.applyK2Schedule(); err != nil {
			return err
		}
		stop, err := r.epoch(ctx)
		if err != nil {
			return err
		}
		if err := r.endEpoch(stop != NotStopped); err != nil {
			return err
		}
		switch stop {
		case NotStopped:
			r.st.Epoch++
			r.st.Order, r.st.Pos = nil, 0
			if err := r.saveResume(); err != nil {
				return err
			}
		case StopMaxUpdates:
			// The engine stopped mid-sentence after the last allowed update,
			// so this is no exact resume point: the last epoch-end state
			// stays the one to continue from.
			r.st.Done = stop.String()
			return nil
		default:
			// Stopped at a sentence-group boundary: an exact position.
			r.st.Done = stop.String()
			return r.saveResume()
		}
	}
}

// limitReached returns why the run must not go on from its position, or "".
func (r *run) limitReached() StopReason {
	c := &r.cfg
	switch {
	case c.MaxUpdates > 0 && r.st.Updates >= c.MaxUpdates:
		return StopMaxUpdates
	case c.MaxFrames > 0 && r.st.Forward >= c.MaxFrames:
		return StopMaxFrames
	case c.MaxSeconds > 0 && r.wall() >= c.MaxSeconds:
		return StopTime
	case c.Patience > 0 && r.st.SinceBest >= c.Patience && r.st.Order == nil:
		return StopPatience
	case c.Epochs > 0 && r.st.Epoch >= c.Epochs:
		return StopEpochs
	}
	return NotStopped
}

// epoch trains the rest of the current epoch's order. It returns a Stop*
// reason when a limit ended it early.
func (r *run) epoch(ctx context.Context) (StopReason, error) {
	c := &r.cfg
	step := func(g *lstm.Grads) error {
		if c.Clip > 0 {
			ClipGradNorm(g.Data, c.Clip)
		}
		r.opt.Step(r.model.Params(), g.Data)
		r.st.Updates++
		r.st.Acc.Updates++
		if r.hooks.Update != nil {
			r.hooks.Update(r.st.Updates)
		}
		if c.LogHorizon > 0 && r.st.Updates%c.LogHorizon == 0 {
			if err := r.logHorizon(); err != nil {
				return err
			}
		}
		if c.MaxUpdates > 0 && r.st.Updates >= c.MaxUpdates {
			return errStop
		}
		return nil
	}
	group := make([]*data.Sentence, 0, c.Batch)
	var pf *prefetcher
	if r.trainArk != nil {
		pf = startPrefetch(r.trainArk, r.train, r.mean, r.std, r.st.Order, r.st.Pos, c.Batch)
		defer pf.close()
	}
	for r.st.Pos < len(r.st.Order) {
		if ctx.Err() != nil {
			if err := r.saveResume(); err != nil {
				return NotStopped, fmt.Errorf("interrupted, and saving the state failed: %w", err)
			}
			return NotStopped, fmt.Errorf("%w in epoch %d after %d updates; state saved in %s",
				ErrInterrupted, r.st.Epoch+1, r.st.Updates, ResumePath(r.out))
		}
		if c.MaxFrames > 0 && r.st.Forward >= c.MaxFrames {
			return StopMaxFrames, nil
		}
		if c.MaxSeconds > 0 && r.wall() >= c.MaxSeconds {
			return StopTime, nil
		}
		end := min(r.st.Pos+c.Batch, len(r.st.Order))
		var frames int64
		var buf *groupBuf
		if pf != nil {
			buf = pf.next()
			if buf.err != nil {
				return NotStopped, buf.err
			}
			group, frames = buf.sents, buf.frames
		} else {
			group = group[:0]
			for _, i := range r.st.Order[r.st.Pos:end] {
				group = append(group, r.train[i])
				frames += int64(r.train[i].Feats.Rows)
			}
		}
		t0 := time.Now()
		stats, err := r.eng.Train(group, step)
		r.st.Acc.Seconds += time.Since(t0).Seconds()
		if buf != nil {
			pf.release(buf)
		}
		r.st.Acc.Forward += stats.FramesForward
		r.st.Acc.Backward += stats.FramesBackward
		r.st.Acc.Scored += stats.Scored
		r.st.Acc.Errors += stats.Errors
		r.st.Acc.Loss += stats.Loss
		r.st.Forward += stats.FramesForward
		r.st.Backward += stats.FramesBackward
		if math.IsNaN(stats.Loss) || math.IsInf(stats.Loss, 0) {
			return NotStopped, fmt.Errorf("%w: the loss became %v in epoch %d after %d updates; checkpoints of earlier epochs are kept",
				ErrDiverged, stats.Loss, r.st.Epoch+1, r.st.Updates)
		}
		if errors.Is(err, errStop) {
			return StopMaxUpdates, nil
		}
		if err != nil {
			return NotStopped, err
		}
		r.st.Pos = end
		if r.hooks.Progress != nil {
			r.hooks.Progress(frames)
		}
	}
	return NotStopped, nil
}

func (r *run) wall() float64 { return r.st.Wall + time.Since(r.start).Seconds() }

// endEpoch scores dev, appends the log line and writes the checkpoints.
func (r *run) endEpoch(partial bool) error {
	if !paramsFinite(r.model.Params()) {
		return fmt.Errorf("%w: non-finite weights in epoch %d; checkpoints of earlier epochs are kept", ErrDiverged, r.st.Epoch+1)
	}
	a := r.st.Acc
	e := EpochLog{
		Epoch: r.st.Epoch + 1, Updates: r.st.Updates,
		FramesForward: r.st.Forward, FramesBackward: r.st.Backward,
		Loss: ratio(a.Loss, a.Scored), TrainFER: ratio(float64(a.Errors), a.Scored),
		DevFER61: math.NaN(), DevFER39: math.NaN(),
		Seconds: a.Seconds, LR: r.opt.LearningRate(), Partial: partial,
	}
	if r.cfg.K2Schedule != "" {
		e.K2 = tbptt.K2String(r.eng.Schedule().K2)
	}
	// A run can explode without reaching NaN (Adam at lr 1e9: a loss of
	// 1e10 nats, FER ≈ 90 %). Guessing uniformly costs ln 61 ≈ 4.1 nats a
	// frame and training only lowers the loss, so a mean loss over ten times
	// both that and the first epoch's is divergence, not learning.
	if limit := 10 * math.Max(math.Log(labels.NumPhones), r.firstLoss()); e.Loss > limit {
		return fmt.Errorf("%w: the mean loss %.3g nats per frame in epoch %d is over ten times that of guessing (%.2f) and of the first epoch; checkpoints of earlier epochs are kept",
			ErrDiverged, e.Loss, e.Epoch, math.Log(labels.NumPhones))
	}
	if a.Seconds > 0 {
		e.FramesPerSecond = float64(a.Forward) / a.Seconds
	}
	if r.devSplit != nil {
		var err error
		e.DevFER61, e.DevFER39, err = scoreDev(r.model, r.devSplit, r.cfg.TargetDelay)
		if err != nil {
			return fmt.Errorf("score dev: %w", err)
		}
	}
	// Without dev data every epoch is the best so far: out is then the last.
	if r.devSplit == nil || e.DevFER61 < r.st.Best {
		e.Best = true
		r.st.Best, r.st.Best39, r.st.BestEpoch, r.st.SinceBest = e.DevFER61, e.DevFER39, e.Epoch, 0
		if r.devSplit == nil {
			r.st.Best = math.Inf(1)
		}
		if err := lstm.Save(r.out, r.model, r.md); err != nil {
			return err
		}
	} else {
		r.st.SinceBest++
	}
	if err := lstm.Save(LastPath(r.out), r.model, r.md); err != nil {
		return err
	}
	e.WallSeconds = r.wall()
	if err := r.logs.Append(e); err != nil {
		return err
	}
	r.st.LogJSONL, r.st.LogCSV = r.logs.Sizes()
	r.st.Epochs = append(r.st.Epochs, e)
	if r.hooks.EpochEnd != nil {
		r.hooks.EpochEnd(e)
	}
	return nil
}

// firstLoss is the mean loss of the run's first epoch, 0 before it ends.
func (r *run) firstLoss() float64 {
	if len(r.st.Epochs) > 0 && !math.IsNaN(r.st.Epochs[0].Loss) {
		return r.st.Epochs[0].Loss
	}
	return 0
}

func ratio(a float64, n int64) float64 {
	if n == 0 {
		return math.NaN()
	}
	return a / float64(n)
}

func paramsFinite(p []float32) bool {
	for _, x := range p {
		if x-x != 0 { // NaN or ±Inf
			return false
		}
	}
	return true
}

func (r *run) result() *Result {
	res := &Result{
		Config: r.cfg, Schedule: r.sched, Model: r.model.Config(), Epochs: r.st.Epochs,
		Updates: r.st.Updates, FramesForward: r.st.Forward, FramesBackward: r.st.Backward,
		WallSeconds: r.wall(), BestEpoch: r.st.BestEpoch,
		BestDevFER61: r.st.Best, BestDevFER39: r.st.Best39,
		Path: r.out, LastPath: LastPath(r.out),
	}
	res.Stopped, _ = ParseStopReason(r.st.Done)
	if math.IsInf(res.BestDevFER61, 1) {
		res.BestDevFER61 = math.NaN()
	}
	res.Config.Resume = false
	return res
}

// scoreDev returns the frame error rates of m on the (normalised) dev split.
func scoreDev(m *lstm.Model, dev *data.Split, delay int) (fer61, fer39 float64, err error) {
	rep, err := eval.Evaluate(m, dev, delay)
	if err != nil {
		return 0, 0, err
	}
	return rep.FER61, rep.FER39, nil
}

// useEngineCores has the optimiser split its step over the engine's
// goroutines (Adam; the others step on the caller's): call it whenever
// r.eng changes.
func (r *run) useEngineCores() {
	if a, ok := r.opt.(*Adam); ok {
		a.Split = r.eng.ParallelRange
	}
}
