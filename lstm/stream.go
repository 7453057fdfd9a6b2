package lstm

import "fmt"

// Stream runs the network over one sequence that arrives in pieces, as
// live audio does: Step takes the next frames and returns their
// log-posteriors, carrying the state over from the previous call. It keeps
// only the state between calls (two traces sized by the largest piece), so
// its memory does not grow with the length of the sequence.
//
// The result is LogProbs's, bit for bit, however the sequence is cut: each
// piece runs the same Forward and Outputs, whose per-frame arithmetic does
// not depend on how many frames a call holds (TestStreamMatchesLogProbs).
//
// A Stream belongs to one goroutine; the Model must not change meanwhile.
type Stream struct {
	m   *Model
	tr  [2]*Trace
	cur int // tr[cur] ran the last piece; −1 before the first
	x   []float32
}

// NewStream returns a Stream starting from the zero state.
func (m *Model) NewStream() *Stream {
	return &Stream{m: m, tr: [2]*Trace{m.NewTrace(), m.NewTrace()}, cur: -1}
}

// Step runs the frames of x (a multiple of Inputs values, row after row)
// and appends their log-posteriors (Outputs per frame) to dst.
func (s *Stream) Step(dst, x []float32) []float32 {
	c := s.m.cfg
	if len(x)%c.Inputs != 0 {
		panic(fmt.Sprintf("lstm: Stream.Step input of length %d is not a multiple of %d", len(x), c.Inputs))
	}
	n := len(x) / c.Inputs
	if n == 0 {
		return dst
	}
	// The trace reads x during this call only; a copy keeps the caller's
	// slice out of it. Overwriting the previous piece's copy is safe: from
	// gives only its state, held in its own buffers.
	s.x = append(s.x[:0], x...)
	next := 0
	var from *Trace
	after := -1
	if s.cur >= 0 {
		next = 1 - s.cur
		from = s.tr[s.cur]
		after = from.Len() - 1
	}
	tr := s.tr[next]
	tr.Start(s.x, from, after)
	s.m.Forward(tr, n)
	s.m.Outputs(tr, 0, n)
	s.cur = next
	return append(dst, tr.logp[:n*c.Outputs]...)
}
