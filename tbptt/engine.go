package tbptt

import (
	"fmt"

	"github.com/phoneme/phoneme/data"
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
	m       *lstm.Model
	s       Schedule
	delay   int
	streams []stream
	g       *lstm.Grads

	rerunFrames int64 // frames re-run since group last collected them
}

// stream is one of the side-by-side sentence streams.
type stream struct {
	n       int         // frames of the current sentence
	x       []float32   // its features, n×I
	tr      *lstm.Trace // the streaming run: every frame once, weights current at the time
	rr      *lstm.Trace // scratch for windows re-run with the current weights
	targets []int32     // per frame: label of frame t−delay, or −1 if unscored
}

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
	for b := range e.streams {
		e.streams[b].tr = m.NewTrace()
		e.streams[b].rr = m.NewTrace()
	}
	return e, nil
}

// Model returns the model being trained.
func (e *Engine) Model() *lstm.Model { return e.m }

// Schedule returns the engine's schedule.
func (e *Engine) Schedule() Schedule { return e.s }

// Batch returns the number of side-by-side streams.
func (e *Engine) Batch() int { return len(e.streams) }

// Check reports the first sentence that the engine cannot train on: its
// features do not match the network's inputs, its labels do not match its
// frames, or a label is not an output class or labels.Excluded.
func (e *Engine) Check(sents []*data.Sentence) error {
	c := e.m.Config()
	for i, s := range sents {
		if s == nil || s.Feats == nil {
			return fmt.Errorf("sentence %d: no features", i)
		}
		if s.Feats.Cols != c.Inputs || len(s.Feats.Data) < s.Feats.Rows*s.Feats.Cols {
			return fmt.Errorf("sentence %s: %d features per frame, the network takes %d", s.ID, s.Feats.Cols, c.Inputs)
		}
		if len(s.Labels) != s.Feats.Rows {
			return fmt.Errorf("sentence %s: %d labels for %d frames", s.ID, len(s.Labels), s.Feats.Rows)
		}
		for t, y := range s.Labels {
			if y != labels.Excluded && (y < 0 || int(y) >= c.Outputs) {
				return fmt.Errorf("sentence %s: frame %d: label %d is not one of %d classes", s.ID, t, y, c.Outputs)
			}
		}
	}
	return nil
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
		str.tr.Start(str.x, nil, -1)
		T = max(T, str.n)
	}
	k1 := e.s.K1
	if k1 == All {
		k1 = T
	}
	for t0 := 0; t0 < T; t0 += k1 {
		t1 := min(t0+k1, T)
		active := 0
		for b := range sents {
			str := &e.streams[b]
			if str.n <= t0 {
				continue
			}
			active++
			end := min(t1, str.n)
			e.m.Forward(str.tr, end-t0)
			e.m.Outputs(str.tr, t0, end)
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
		}
		e.g.Zero()
		scale := 1 / float32(active)
		for b := range sents {
			str := &e.streams[b]
			if str.n > t0 {
				st.FramesBackward += int64(e.contribute(str, t0-1, min(t1, str.n)-1, scale))
			}
		}
		st.FramesForward += e.rerunFrames
		e.rerunFrames = 0
		st.Updates++
		if err := step(e.g); err != nil {
			return err
		}
	}
	return nil
}

// contribute adds to e.g the gradient of scale·Σ L_τ over the scored frames
// p < τ ≤ t of stream str for an update at its frame t whose previous
// update was at frame p (−1: none in this sentence), and returns the number
// of frames back-propagated.
func (e *Engine) contribute(str *stream, p, t int, scale float32) int {
	m, g, k2 := e.m, e.g, e.s.K2
	if e.s.Truncation == PerError && k2 != All {
		// Errors whose window reaches the sentence start share it (every
		// one starts from the zero state); one pass serves them all.
		back := 0
		τ0 := min(t, k2-1)
		if τ0 > p {
			back += e.window(str, 0, p, τ0, scale)
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
	return back + e.window(str, w, p, t, scale)
}

// window adds the gradient of scale·Σ L_τ over the scored frames
// max(p+1, w) ≤ τ ≤ t, all back-propagated to frame w, and returns the
// number of frames back-propagated.
func (e *Engine) window(str *stream, w, p, t int, scale float32) int {
	if w > p {
		// The streaming activations of frames after p were computed with
		// the current weights: nothing to re-run.
		return e.m.Backward(e.g, str.tr, w, t+1, str.targets, w, scale)
	}
	e.rerun(str, w, t)
	e.m.Outputs(str.rr, p+1-w, t+1-w)
	return e.m.Backward(e.g, str.rr, 0, t+1-w, str.targets[w:], p+1-w, scale)
}

// rerun runs frames s…t of str with the current weights from the streaming
// state after frame s−1, into str.rr.
func (e *Engine) rerun(str *stream, s, t int) {
	I := e.m.Config().Inputs
	str.rr.Start(str.x[s*I:(t+1)*I], str.tr, s-1)
	e.m.Forward(str.rr, t-s+1)
	e.rerunFrames += int64(t - s + 1)
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
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
