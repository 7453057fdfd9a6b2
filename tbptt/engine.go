package tbptt

import (
	"fmt"
	"runtime"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/internal/f32"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// Stats counts what one call of Engine.Train did.
type Stats struct {
	Updates        int64   // weight updates (calls of step)
	FramesForward  int64   // frames forward-propagated, summed over streams, re-runs included
	FramesBackward int64   // frames back-propagated, summed over every backward pass
	Scored         int64   // frames with a target
	Errors         int64   // scored frames whose streaming output's argmax is not the target
	Loss           float64 // summed cross-entropy (nats) of the scored frames' streaming outputs
}

// Add accumulates o into s.
func (s *Stats) Add(o Stats) {
	s.Updates += o.Updates
	s.FramesForward += o.FramesForward
	s.FramesBackward += o.FramesBackward
	s.Scored += o.Scored
	s.Errors += o.Errors
	s.Loss += o.Loss
}

// Engine trains a model under one schedule: it streams sentences through
// the network, decides when to update and computes each update's exact
// gradient (see the package documentation). It owns buffers that grow to
// the longest sentence seen and are then reused: training allocates nothing
// in steady state. An Engine is not safe for concurrent use.
type Engine struct {
	m        *lstm.Model
	s        Schedule
	delay    int
	streams  []stream
	g        *lstm.Grads      // the update's gradient, handed to step
	pool     *pool            // goroutines advancing streams when batch > 1
	subs     []subBatch       // lockstep sub-batches for one update per group
	wins     []window         // lockstepUpdate's sub-batches of windows
	mode     int              // what the pool's jobs are: modeStreams, modeSubs, modeWindows or modeRange
	rangeFn  func(lo, hi int) // ParallelRange's function,
	rangeN   int              // its number of elements
	parts    int              // and of ranges
	shares   [][]float32      // gradients being summed into shares[0] (sumShares)
	sumRange func(lo, hi int) // e.addShares, made once: no allocation per update
	noWindow bool             // tests: never lockstepUpdate (the stream-by-stream reference)
	tw       lstm.Transposes  // the update's transposed weights, shared by its sub-batches
	run      []int            // lockstepUpdate's scratch lists of streams
	reruns   []int
	ws       []int

	// The update being computed: frames t0 ≤ t < t1 of the group, each
	// stream's gradient scaled by scale.
	t0, t1 int
	scale  float32
}

// stream is one of the side-by-side sentence streams.
type stream struct {
	n       int         // frames of the current sentence
	x       []float32   // its features, n×I
	tr      *lstm.Trace // the streaming run: every frame once, weights current at the time
	rr      *lstm.Trace // scratch for windows re-run with the current weights
	targets []int32     // per frame: label of frame t−delay, or −1 if unscored
	g       *lstm.Grads // the stream's share of the update (batch > 1)
	st      Stats       // work done since the last update

	// Windowed lockstep (lockstepUpdate): the streaming state after each
	// of the last len(hist)/(2·Layers·Hidden) frames, h then c, in a ring
	// by frame; targets with the frames of an update's re-run window
	// before its first scored frame masked out; a zero state.
	hist   []float32
	masked []int32
	none   []int32
	rerun  bool // this update's gradient comes from a re-run window
}

// subBatch is a run of consecutive streams trained in lockstep through one
// lstm.Batch: with one update per group and no re-runs, every stream's
// share of the update is its whole sentence, so the streams' recurrent
// products become matrix–matrix products.
type subBatch struct {
	lo, hi  int // streams lo ≤ b < hi
	bt      *lstm.Batch
	g       *lstm.Grads
	xs      [][]float32
	targets [][]int32
}

// window is one lockstep sub-batch of lockstepUpdate: either streaming
// windows (each stream's frames since the previous update, run once from
// its streaming state, whose outputs give the statistics and whose
// states are kept) or re-run windows (frames w…t from the streaming state
// after w−1, for windows reaching back before the previous update).
type window struct {
	bt        *lstm.Batch
	g         *lstm.Grads
	streaming bool
	streams   []int // stream of each row
	t0s       []int // first frame of each row's window
	xs        [][]float32
	h0, c0    [][]float32
	targets   [][]int32
	st        Stats
}

// Pool job kinds.
const (
	modeStreams = iota // stream by stream (advance)
	modeSubs           // one update per group (runSub)
	modeWindows        // windowed lockstep (runWindow)
	modeRange          // ParallelRange's function
)

// maxSub is the most streams per lockstep sub-batch. The split depends on
// the group size only, never on the number of cores, so the gradient (the
// sub-batches' shares summed in order) is the same on any machine; two
// sub-batches keep both cores of the reference machine busy, and 16
// streams already reuse each weight matrix 16 times per load.
const maxSub = 16

// NewEngine returns an engine that trains m under schedule s with the given
// target delay (output t is scored against label t−targetDelay) and number
// of side-by-side streams.
func NewEngine(m *lstm.Model, s Schedule, targetDelay, batch int) (*Engine, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if targetDelay < 0 {
		return nil, fmt.Errorf("target delay %d: must not be negative", targetDelay)
	}
	if batch < 1 {
		return nil, fmt.Errorf("batch %d: must be at least 1", batch)
	}
	e := &Engine{m: m, s: s, delay: targetDelay, streams: make([]stream, batch), g: m.NewGrads()}
	e.sumRange = e.addShares
	for b := range e.streams {
		e.streams[b].tr = m.NewTrace()
		e.streams[b].rr = m.NewTrace()
		if batch > 1 {
			e.streams[b].g = m.NewGrads()
		}
	}
	return e, nil
}

// Model returns the model being trained.
func (e *Engine) Model() *lstm.Model { return e.m }

// Schedule returns the engine's schedule.
func (e *Engine) Schedule() Schedule { return e.s }

// SetSchedule makes later Train calls use s (a k2 curriculum changes it
// between epochs); each call's updates follow the rules for the schedule in
// force.
func (e *Engine) SetSchedule(s Schedule) error {
	if err := s.Validate(); err != nil {
		return err
	}
	e.s = s
	return nil
}

// Batch returns the number of side-by-side streams.
func (e *Engine) Batch() int { return len(e.streams) }

// Check reports the first sentence that the engine cannot train on: its
// features do not match the network's inputs, its labels do not match its
// frames, or a label is not an output class or labels.Excluded.
func (e *Engine) Check(sents []*data.Sentence) error { return CheckSentences(e.m.Config(), sents) }

// CheckSentences reports the first sentence that a network of shape c
// cannot be trained or scored on: its features do not match the network's
// inputs, its labels do not match its frames, or a label is not an output
// class or labels.Excluded.
func CheckSentences(c lstm.Config, sents []*data.Sentence) error {
	return data.CheckSentences(sents, c.Inputs, c.Outputs)
}

// Train streams sents through the model in groups of Batch() side by side
// and calls step at every weight update with that update's exact gradient
// (the sum over its scored frames of the cross-entropy's gradient, averaged
// over the streams taking part); step applies it to the model's parameters.
// If step returns an error, Train stops and returns it with the statistics
// so far. Train checks every sentence before training on any (see Check).
func (e *Engine) Train(sents []*data.Sentence, step func(g *lstm.Grads) error) (Stats, error) {
	var st Stats
	if err := e.Check(sents); err != nil {
		return st, err
	}
	B := len(e.streams)
	if B > 1 {
		e.pool = startPool(min(B, runtime.GOMAXPROCS(0))-1, e.work) // and the caller
		defer func() {
			e.pool.stop()
			e.pool = nil
		}()
	}
	for i := 0; i < len(sents); i += B {
		if err := e.group(sents[i:min(i+B, len(sents))], step, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// group trains on up to B sentences side by side. All streams start
// together; updates come every k1 frames of the group and at its longest
// sentence's last frame. A stream whose sentence ends between two updates
// contributes its last frames at the next one: the weights have not
// changed since, so its gradient is the one it would have had at its own
// last frame.
func (e *Engine) group(sents []*data.Sentence, step func(*lstm.Grads) error, st *Stats) error {
	I := e.m.Config().Inputs
	T := 0
	for _, s := range sents {
		T = max(T, s.Feats.Rows)
	}
	lockstep := e.canLockstep(len(sents), T)
	for b, s := range sents {
		str := &e.streams[b]
		str.n = s.Feats.Rows
		str.x = s.Feats.Data[:str.n*I]
		str.targets = growInt32(str.targets, str.n)
		for t := range str.n {
			str.targets[t] = -1
			if t >= e.delay && s.Labels[t-e.delay] != labels.Excluded {
				str.targets[t] = s.Labels[t-e.delay]
			}
		}
		if !lockstep {
			// The lockstep path keeps its activations in lstm.Batch: the
			// streams' own traces would only take memory (a sentence of
			// activations each).
			str.tr.Retain(e.retain())
			str.tr.Start(str.x, nil, -1)
		}
	}
	k1 := e.s.K1
	if k1 == All {
		k1 = T
	}
	if lockstep {
		return e.lockstepGroup(sents, step, st)
	}
	if e.canWindowLockstep(len(sents)) {
		e.mode = modeWindows
		for t0 := 0; t0 < T; t0 += k1 {
			if err := e.lockstepUpdate(len(sents), t0, min(t0+k1, T), step, st); err != nil {
				return err
			}
		}
		return nil
	}
	e.mode = modeStreams
	for t0 := 0; t0 < T; t0 += k1 {
		active := 0
		for b := range sents {
			if e.streams[b].n > t0 {
				active++
			}
		}
		e.t0, e.t1, e.scale = t0, min(t0+k1, T), 1/float32(active)
		g := e.g
		if len(e.streams) == 1 {
			e.advance(0)
		} else {
			e.pool.run(len(sents))
			// Sum the streams' gradients in stream order, whichever
			// goroutine computed them: results do not depend on the
			// number of cores.
			g = e.streams[0].g
			e.shares = e.shares[:0]
			for b := range sents {
				e.shares = append(e.shares, e.streams[b].g.Data)
			}
			e.sumShares()
		}
		for b := range sents {
			st.Add(e.streams[b].st)
			e.streams[b].st = Stats{}
		}
		st.Updates++
		if err := step(g); err != nil {
			return err
		}
	}
	return nil
}

// retain is how many frames of activations a streaming trace must keep:
// an update at frame t back-propagates through frames after t−k1−k2 at
// most, and re-runs start from the state after such a frame, so k1+k2+1
// frames suffice and memory grows with k1+k2, not with the sentence.
// With k1 or k2 = all, everything is kept.
func (e *Engine) retain() int {
	if e.s.K1 == All || e.s.K2 == All {
		return 0
	}
	return e.s.K1 + e.s.K2 + 1
}

// canLockstep reports whether a group of n sentences, the longest T frames,
// can run as lockstep sub-batches: one update per group whose windows
// reach every sentence's start (so nothing is re-run and every truncation
// mode agrees), and no peepholes (lstm.Batch has none). A single stream
// qualifies too: lstm.Batch computes its input projection and weight
// gradients over the whole sentence as matrix products (10 % faster than
// a Trace on the reference network at batch 1).
func (e *Engine) canLockstep(n, T int) bool {
	return n >= 1 && e.s.K1 == All && (e.s.K2 == All || e.s.K2 >= T) && !e.m.Config().Peepholes
}

// lockstepGroup is group for one update per group through lstm.Batch: the
// streams are split into sub-batches by canLockstep's rule, run on the
// pool, and their gradients summed in sub-batch order.
func (e *Engine) lockstepGroup(sents []*data.Sentence, step func(*lstm.Grads) error, st *Stats) error {
	n := len(sents)
	nsub := max(2, (n+maxSub-1)/maxSub)
	if n == 1 {
		nsub = 1 // on the calling goroutine, as batch 1 runs
	}
	for len(e.subs) < nsub {
		e.subs = append(e.subs, subBatch{bt: e.m.NewBatch(), g: e.m.NewGrads()})
	}
	active := 0
	for b := range n {
		if e.streams[b].n > 0 {
			active++
		}
	}
	e.scale = 1 / float32(max(active, 1))
	for j := range nsub {
		sb := &e.subs[j]
		sb.lo, sb.hi = j*n/nsub, (j+1)*n/nsub
		sb.xs, sb.targets = sb.xs[:0], sb.targets[:0]
		for b := sb.lo; b < sb.hi; b++ {
			sb.xs = append(sb.xs, e.streams[b].x)
			sb.targets = append(sb.targets, e.streams[b].targets)
		}
	}
	e.mode = modeSubs
	if nsub == 1 {
		e.runSub(0)
	} else {
		e.pool.run(nsub)
	}
	// The shares are summed into the first one, in place: one pass over
	// the parameters fewer than summing into a gradient of its own.
	g := e.subs[0].g
	e.shares = e.shares[:0]
	for j := range nsub {
		e.shares = append(e.shares, e.subs[j].g.Data)
	}
	e.sumShares()
	for b := range sents {
		st.Add(e.streams[b].st)
		e.streams[b].st = Stats{}
	}
	st.Updates++
	return step(g)
}

// work is the pool's job j: a sub-batch or a stream, as e.mode says.
func (e *Engine) work(j int) {
	switch e.mode {
	case modeRange:
		e.runRange(j)
	case modeSubs:
		e.runSub(j)
	case modeWindows:
		e.runWindow(j)
	default:
		e.advance(j)
	}
}

// ParallelRange calls f on consecutive ranges [lo, hi) that together
// cover [0, n), and returns when all calls have returned: one range per
// goroutine of the batch when Train runs it on several and n is large
// enough to share (minShare elements a range at least), else [0, n) on
// the calling goroutine. It is meant for element-wise work between
// updates, such as an optimiser's step: the pool's goroutines are awake
// then, so a range starts at once, without starting or waking a
// goroutine. Range boundaries fall on multiples of 64 elements (four
// cache lines).
func (e *Engine) ParallelRange(n int, f func(lo, hi int)) {
	parts := 1
	if e.pool != nil {
		parts = max(1, min(e.workers(), n/minShare))
	}
	if parts == 1 {
		f(0, n)
		return
	}
	mode := e.mode
	e.mode, e.rangeFn, e.rangeN, e.parts = modeRange, f, n, parts
	e.pool.run(parts)
	e.mode, e.rangeFn = mode, nil
}

// runRange is the pool's job j under ParallelRange.
func (e *Engine) runRange(j int) {
	lo, hi := j*e.rangeN/e.parts&^63, (j+1)*e.rangeN/e.parts&^63
	if j == e.parts-1 {
		hi = e.rangeN
	}
	e.rangeFn(lo, hi)
}

// minShare is the fewest elements worth a range of ParallelRange: 16 k
// additions or Adam updates take 2–3 µs on Zen 5, what a hand-over costs.
const minShare = 16 << 10

// sumShares adds e.shares[1:] into e.shares[0], each element in share
// order (so the bits do not depend on the number of cores), its ranges of
// parameters on the pool's goroutines.
func (e *Engine) sumShares() {
	if len(e.shares) < 2 {
		return
	}
	e.ParallelRange(len(e.shares[0]), e.sumRange)
}

// addShares is sumShares over the parameters lo ≤ i < hi.
func (e *Engine) addShares(lo, hi int) {
	dst := e.shares[0][lo:hi]
	for _, s := range e.shares[1:] {
		f32.Axpy(dst, 1, s[lo:hi])
	}
}

// workers returns how many goroutines run a batch during Train: 1 at
// batch 1, else the pool's plus the caller (at most GOMAXPROCS).
func (e *Engine) workers() int {
	if len(e.streams) == 1 {
		return 1
	}
	return min(len(e.streams), runtime.GOMAXPROCS(0))
}

// canWindowLockstep reports whether a group of n sentences can run its
// updates as lockstep windows (lockstepUpdate): several streams, no
// peepholes, a finite k1, and one back-propagation window per stream and
// update that starts at or before the frame after the previous update —
// windows (or chunks) with k2 ≥ k1, and per-error truncation where it
// equals the window rule (k1 = 1 or k2 = all). With k2 < k1 under window
// or per-error truncation, errors reach back along windows of their own
// (TBPTT(5, 2) back-propagates L_0 through frame 0 only), and the engine
// goes stream by stream.
func (e *Engine) canWindowLockstep(n int) bool {
	s := e.s
	if n < 2 || e.m.Config().Peepholes || s.K1 == All || e.noWindow {
		return false
	}
	if s.K2 != All && s.K2 < s.K1 {
		return false
	}
	return s.Truncation != PerError || s.K1 == 1 || s.K2 == All
}

// histFrames is how many frames of streaming state lockstepUpdate keeps
// per stream: a window starts after frame w−1 ≥ t−k2 for an update at t ≤
// p+k1, p being the previous one, so states back to k1+k2 frames before
// the newest suffice (with k2 = all every window starts from zero, and
// only the state at p is needed).
func (e *Engine) histFrames() int {
	if e.s.K2 == All {
		return e.s.K1 + 1
	}
	return e.s.K1 + e.s.K2 + 1
}

// state returns stream str's streaming state after frame f (h and c,
// Layers×Hidden each), nil for f < 0 (the zero state).
func (e *Engine) state(str *stream, f int) (h, c []float32) {
	if f < 0 {
		return nil, nil
	}
	c0 := e.m.Config()
	n := c0.Layers * c0.Hidden
	slot := f % e.histFrames()
	return str.hist[2*slot*n : (2*slot+1)*n], str.hist[(2*slot+1)*n : (2*slot+2)*n]
}

// lockstepUpdate is one update of a group in windowed lockstep: frames
// t0 ≤ t < t1 of every stream still running, as rules 1–3 and the batch
// rule define it. Each stream's frames since the previous update run once,
// side by side, from its streaming state (the streaming windows, whose
// outputs are the statistics' and whose states are kept); a stream whose
// window starts at the frame after the previous update back-propagates
// that run as it is, and one whose window reaches further back (window
// truncation with k2 > k1, the last shorter update, k2 = all) re-runs
// frames w…t with the current weights from its streaming state after
// w−1, side by side with the other re-runs, scoring only the frames after
// the previous update. The gradient is the sub-batches' shares summed in
// a fixed order: it does not depend on the number of cores.
func (e *Engine) lockstepUpdate(n, t0, t1 int, step func(*lstm.Grads) error, st *Stats) error {
	c := e.m.Config()
	I, S := c.Inputs, c.Layers*c.Hidden
	hist := e.histFrames()
	run, rerun, ws := e.run[:0], e.reruns[:0], e.ws[:0] // streams with a streaming window; with a re-run window; its start
	for b := range n {
		str := &e.streams[b]
		if str.n <= t0 {
			continue
		}
		if t0 == 0 {
			str.hist = growFloat32(str.hist, 2*hist*S)
		}
		run = append(run, b)
		p, t := t0-1, min(t1, str.n)-1
		w := 0
		if e.s.K2 != All {
			w = max(t-e.s.K2+1, 0)
		}
		if e.s.Truncation == Chunk {
			w = max(w, p+1)
		}
		// Per-error truncation with k1 = 1 gives an unscored frame past the
		// first k2 no window at all (the stream-by-stream path skips it).
		skip := e.s.Truncation == PerError && e.s.K2 != All && min(t, e.s.K2-1) <= p && str.targets[t] < 0
		str.rerun = w <= p && !skip
		if str.rerun {
			rerun = append(rerun, b)
			ws = append(ws, w)
		}
	}
	e.run, e.reruns, e.ws = run, rerun, ws
	e.scale = 1 / float32(len(run))
	// Sub-batches by the lockstep rule (maxSub streams at most, two at
	// least), streaming windows first.
	nRun := max(2, (len(run)+maxSub-1)/maxSub)
	nRe := 0
	if len(rerun) > 0 {
		nRe = max(2, (len(rerun)+maxSub-1)/maxSub)
	}
	for len(e.wins) < nRun+nRe {
		e.wins = append(e.wins, window{bt: e.m.NewBatch(), g: e.m.NewGrads()})
	}
	for j := range nRun {
		wd := &e.wins[j]
		wd.streaming = true
		wd.streams, wd.t0s = wd.streams[:0], wd.t0s[:0]
		wd.xs, wd.h0, wd.c0, wd.targets = wd.xs[:0], wd.h0[:0], wd.c0[:0], wd.targets[:0]
		for _, b := range run[j*len(run)/nRun : (j+1)*len(run)/nRun] {
			str := &e.streams[b]
			t := min(t1, str.n) - 1
			h, cs := e.state(str, t0-1)
			tg := str.targets[t0 : t+1]
			if str.rerun {
				// Its gradient comes from the re-run: nothing scored here.
				str.none = growInt32(str.none, t+1-t0)
				for i := range str.none {
					str.none[i] = -1
				}
				tg = str.none
			}
			wd.streams, wd.t0s = append(wd.streams, b), append(wd.t0s, t0)
			wd.xs = append(wd.xs, str.x[t0*I:(t+1)*I])
			wd.h0, wd.c0 = append(wd.h0, h), append(wd.c0, cs)
			wd.targets = append(wd.targets, tg)
		}
	}
	for j := range nRe {
		wd := &e.wins[nRun+j]
		wd.streaming = false
		wd.streams, wd.t0s = wd.streams[:0], wd.t0s[:0]
		wd.xs, wd.h0, wd.c0, wd.targets = wd.xs[:0], wd.h0[:0], wd.c0[:0], wd.targets[:0]
		lo, hi := j*len(rerun)/nRe, (j+1)*len(rerun)/nRe
		for i, b := range rerun[lo:hi] {
			str := &e.streams[b]
			w, t := ws[lo+i], min(t1, str.n)-1
			h, cs := e.state(str, w-1)
			str.masked = growInt32(str.masked, t+1-w)
			copy(str.masked, str.targets[w:t+1])
			for k := range t0 - w {
				str.masked[k] = -1 // frames up to the previous update: not scored now
			}
			wd.streams, wd.t0s = append(wd.streams, b), append(wd.t0s, w)
			wd.xs = append(wd.xs, str.x[w*I:(t+1)*I])
			wd.h0, wd.c0 = append(wd.h0, h), append(wd.c0, cs)
			wd.targets = append(wd.targets, str.masked)
		}
	}
	// One set of transposed weights for the update's sub-batches: the
	// input weights always (their 39-long dot products are slow), the
	// recurrent ones when there are rows enough to pay for it (lstm's
	// rule).
	rows := 0
	for j := range nRun + nRe {
		for _, x := range e.wins[j].xs {
			rows += len(x) / I
		}
	}
	e.m.Transpose(&e.tw, rows >= 64)
	tw := &e.tw
	for j := range nRun + nRe {
		e.wins[j].bt.UseTransposes(tw)
	}
	e.pool.run(nRun + nRe)
	g := e.wins[0].g
	e.shares = e.shares[:0]
	for j := range nRun + nRe {
		e.shares = append(e.shares, e.wins[j].g.Data)
	}
	e.sumShares()
	for j := range nRun + nRe {
		st.Add(e.wins[j].st)
		e.wins[j].st = Stats{}
	}
	st.Updates++
	return step(g)
}

// runWindow runs lockstep sub-batch j of lockstepUpdate: forward from the
// stored states, back-propagation of its scored frames into its gradient,
// and for streaming windows the statistics and the states kept.
func (e *Engine) runWindow(j int) {
	wd := &e.wins[j]
	if len(wd.xs) == 0 {
		wd.g.Zero()
		return
	}
	wd.g.ZeroDeferred() // BackwardBatch overwrites it
	e.m.ForwardBatchFrom(wd.bt, wd.xs, wd.h0, wd.c0)
	wd.st.FramesBackward += int64(e.m.BackwardBatch(wd.g, wd.bt, wd.targets, e.scale))
	for k, b := range wd.streams {
		str := &e.streams[b]
		n := wd.bt.Frames(k)
		wd.st.FramesForward += int64(n)
		if !wd.streaming {
			continue
		}
		t0 := wd.t0s[k]
		for i := range n {
			h, c := e.state(str, t0+i)
			wd.bt.StateAt(k, i, h, c)
			y := str.targets[t0+i]
			if y < 0 {
				continue
			}
			lp := wd.bt.LogProbs(k, i)
			wd.st.Scored++
			wd.st.Loss -= float64(lp[y])
			if argmax(lp) != int(y) {
				wd.st.Errors++
			}
		}
	}
}

func growFloat32(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}

// runSub trains sub-batch j's streams through their whole sentences and
// leaves its share of the update in its gradient and each stream's stats.
func (e *Engine) runSub(j int) {
	sb := &e.subs[j]
	if sb.hi == sb.lo {
		sb.g.Zero()
		return
	}
	sb.g.ZeroDeferred() // BackwardBatch overwrites it
	e.m.ForwardBatch(sb.bt, sb.xs)
	e.m.BackwardBatch(sb.g, sb.bt, sb.targets, e.scale)
	for k, b := 0, sb.lo; b < sb.hi; k, b = k+1, b+1 {
		str := &e.streams[b]
		st := &str.st
		st.FramesForward += int64(str.n)
		scored := false
		for t := range str.n {
			y := str.targets[t]
			if y < 0 {
				continue
			}
			scored = true
			lp := sb.bt.LogProbs(k, t)
			st.Scored++
			st.Loss -= float64(lp[y])
			if argmax(lp) != int(y) {
				st.Errors++
			}
		}
		if scored {
			st.FramesBackward += int64(str.n)
		}
	}
}

// advance runs stream b's frames e.t0 ≤ t < e.t1 and computes its share of
// the update after them (with e.scale) into its gradient.
func (e *Engine) advance(b int) {
	str := &e.streams[b]
	g := e.g
	if str.g != nil {
		g = str.g
	}
	// The first Backward clears g tensor by tensor as it reaches them,
	// not in a pass of its own ahead of the forward pass.
	g.ZeroDeferred()
	if str.n <= e.t0 {
		g.Settle()
		return
	}
	t0, end := e.t0, min(e.t1, str.n)
	e.m.Forward(str.tr, end-t0)
	e.m.Outputs(str.tr, t0, end)
	st := &str.st
	st.FramesForward += int64(end - t0)
	for t := t0; t < end; t++ {
		y := str.targets[t]
		if y < 0 {
			continue
		}
		lp := str.tr.LogProbs(t)
		st.Scored++
		st.Loss -= float64(lp[y])
		if argmax(lp) != int(y) {
			st.Errors++
		}
	}
	st.FramesBackward += int64(e.contribute(str, g, t0-1, end-1, e.scale))
	g.Settle()
}

// contribute adds to g the gradient of scale·Σ L_τ over the scored frames
// p < τ ≤ t of stream str for an update at its frame t whose previous
// update was at frame p (−1: none in this sentence), and returns the number
// of frames back-propagated.
func (e *Engine) contribute(str *stream, g *lstm.Grads, p, t int, scale float32) int {
	m, k2 := e.m, e.s.K2
	if e.s.Truncation == PerError && k2 != All {
		// Errors whose window reaches the sentence start share it (every
		// one starts from the zero state); one pass serves them all.
		back := 0
		τ0 := min(t, k2-1)
		if τ0 > p {
			back += e.window(str, g, 0, p, τ0, scale)
		}
		for τ := max(p, τ0) + 1; τ <= t; τ++ {
			if str.targets[τ] < 0 {
				continue
			}
			s := τ - k2 + 1
			if s > p {
				back += m.Backward(g, str.tr, s, τ+1, str.targets, τ, scale)
				continue
			}
			e.rerun(str, s, τ)
			m.Outputs(str.rr, τ-s, τ-s+1)
			back += m.Backward(g, str.rr, 0, τ-s+1, str.targets[s:], τ-s, scale)
		}
		return back
	}
	// Window, Chunk, and PerError with k2 = all (every error's window is
	// the sentence so far: one shared window).
	w := 0
	if k2 != All {
		w = max(t-k2+1, 0)
	}
	if e.s.Truncation == Chunk {
		w = max(w, p+1)
	}
	back := 0
	if w > p {
		// Errors before the window reach only their own frame.
		for τ := p + 1; τ < w; τ++ {
			back += m.Backward(g, str.tr, τ, τ+1, str.targets, τ, scale)
		}
	}
	return back + e.window(str, g, w, p, t, scale)
}

// window adds to g the gradient of scale·Σ L_τ over the scored frames
// max(p+1, w) ≤ τ ≤ t, all back-propagated to frame w, and returns the
// number of frames back-propagated.
func (e *Engine) window(str *stream, g *lstm.Grads, w, p, t int, scale float32) int {
	if w > p {
		// The streaming activations of frames after p were computed with
		// the current weights: nothing to re-run.
		return e.m.Backward(g, str.tr, w, t+1, str.targets, w, scale)
	}
	e.rerun(str, w, t)
	e.m.Outputs(str.rr, p+1-w, t+1-w)
	return e.m.Backward(g, str.rr, 0, t+1-w, str.targets[w:], p+1-w, scale)
}

// rerun runs frames s…t of str with the current weights from the streaming
// state after frame s−1, into str.rr.
func (e *Engine) rerun(str *stream, s, t int) {
	I := e.m.Config().Inputs
	str.rr.Start(str.x[s*I:(t+1)*I], str.tr, s-1)
	e.m.Forward(str.rr, t-s+1)
	str.st.FramesForward += int64(t - s + 1)
}

// argmax returns the index of the first largest element of v (NaNs are
// passed over unless v[0] is one; 0 for an empty v). It finds the maximum
// first, in four independent branch-free chains, then its first index:
// one data-dependent branch per element mispredicted often enough to take
// 3 % of batched training.
func argmax(v []float32) int {
	if len(v) == 0 {
		return 0
	}
	m0, m1, m2, m3 := v[0], v[0], v[0], v[0]
	i := 0
	for ; i+4 <= len(v); i += 4 {
		m0, m1, m2, m3 = max(m0, v[i]), max(m1, v[i+1]), max(m2, v[i+2]), max(m3, v[i+3])
	}
	for ; i < len(v); i++ {
		m0 = max(m0, v[i])
	}
	mx := max(max(m0, m1), max(m2, m3))
	if mx == mx { // no NaN
		for j, x := range v {
			if x == mx {
				return j
			}
		}
	}
	best := 0
	for j, x := range v {
		if x > v[best] {
			best = j
		}
	}
	return best
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]int32, n, n+n/4)
}
