package features

import "fmt"

// StreamExtractor computes an Extractor's features over a signal that
// arrives in pieces: Push takes samples and returns every feature row that
// no later sample can change; Flush ends the signal and returns the rest.
// The rows are those Compute returns for the whole signal, bit for bit.
//
// A row is final once the samples of its own frame are in (the frame
// length) and, for deltas, once the frames its delta window reaches have
// been computed: DeltaLookahead frames after it. Kaldi's treatment of the
// edges is kept: before Flush, frames at the end of the signal are held
// back (they repeat the last frame in the deltas and, without snip-edges,
// reflect the signal at its end). Memory holds one frame's samples and the
// delta window's rows, whatever the length of the signal.
//
// A StreamExtractor uses its Extractor's buffers: use neither from another
// goroutine meanwhile.
type StreamExtractor struct {
	e       *Extractor
	buf     []int16 // samples from index base on
	base    int
	n       int       // samples received
	statics []float32 // static rows from frame sbase on, NumCeps each
	sbase   int
	nstatic int // static frames computed
	next    int // next row to return
	done    bool
}

// NewStream returns a StreamExtractor using e.
func (e *Extractor) NewStream() *StreamExtractor { return &StreamExtractor{e: e} }

// DeltaLookahead is how many frames after a frame its features need (the
// half width of the widest delta filter: Deltas × DeltaWindow).
func (c Config) DeltaLookahead() int { return c.Deltas * c.DeltaWindow }

// Push appends samples and returns dst extended by the feature rows (Dim
// values each) that became final. It panics after Flush.
func (s *StreamExtractor) Push(dst []float32, samples []int16) []float32 {
	if s.done {
		panic("features: StreamExtractor.Push after Flush")
	}
	s.buf = append(s.buf, samples...)
	s.n += len(samples)
	c := &s.e.cfg
	length := s.e.length
	// Frames wholly inside the samples so far are final (and counted by
	// NumFrames of any longer signal).
	for c.firstSample(s.nstatic)+length <= s.n {
		s.addStatic(s.buf, c.firstSample(s.nstatic)-s.base)
	}
	dst = s.emit(dst, s.nstatic-1-c.DeltaLookahead(), -1)
	s.trim()
	return dst
}

// Flush ends the signal and returns dst extended by the remaining rows.
// A signal too short for one frame is an error wrapping ErrTooShort, as
// Compute's.
func (s *StreamExtractor) Flush(dst []float32) ([]float32, error) {
	if s.done {
		return dst, nil
	}
	s.done = true
	c := &s.e.cfg
	total := c.NumFrames(s.n)
	if total == 0 {
		return dst, fmt.Errorf("%w (%d samples, frame length %d)", ErrTooShort, s.n, s.e.length)
	}
	for s.nstatic < total {
		// The frame may reach past the end: static reflects at the end of
		// buf, which is the end of the signal.
		s.addStatic(s.buf, c.firstSample(s.nstatic)-s.base)
	}
	return s.emit(dst, total-1, total-1), nil
}

// addStatic computes the next frame's static cepstra from buf[start:].
func (s *StreamExtractor) addStatic(buf []int16, start int) {
	nc := s.e.cfg.NumCeps
	s.statics = append(s.statics, make([]float32, nc)...)
	row := s.statics[len(s.statics)-nc:]
	s.e.static(buf, start, row)
	s.nstatic++
}

// emit appends rows next … upTo; last is the signal's last frame (−1: not
// known yet, and no row needs it).
func (s *StreamExtractor) emit(dst []float32, upTo, last int) []float32 {
	c := &s.e.cfg
	nc, dim := c.NumCeps, c.Dim()
	for ; s.next <= upTo; s.next++ {
		t := s.next
		dst = append(dst, make([]float32, dim)...)
		out := dst[len(dst)-dim:]
		copy(out, s.staticRow(t))
		// As Extractor.addDeltas, term by term in the same order.
		for o, sc := range s.e.scales {
			acc := s.e.acc[:nc]
			clear(acc)
			off := (len(sc) - 1) / 2
			for j, w := range sc {
				if w == 0 {
					continue
				}
				r := max(0, t+j-off)
				if last >= 0 {
					r = min(r, last)
				}
				for k, x := range s.staticRow(r) {
					acc[k] += w * float64(x)
				}
			}
			d := out[(o+1)*nc : (o+2)*nc]
			for k, v := range acc {
				d[k] = float32(v)
			}
		}
	}
	return dst
}

func (s *StreamExtractor) staticRow(t int) []float32 {
	nc := s.e.cfg.NumCeps
	i := t - s.sbase
	return s.statics[i*nc : (i+1)*nc]
}

// trim drops the samples no frame still to be computed reads and the
// static rows no row still to be returned reads.
func (s *StreamExtractor) trim() {
	c := &s.e.cfg
	if keep := max(0, c.firstSample(s.nstatic)); keep > s.base {
		drop := min(keep-s.base, len(s.buf))
		s.buf = s.buf[:copy(s.buf, s.buf[drop:])]
		s.base += drop
	}
	if keep := max(0, s.next-c.DeltaLookahead()); keep > s.sbase {
		nc := c.NumCeps
		drop := min(keep-s.sbase, len(s.statics)/nc)
		s.statics = s.statics[:copy(s.statics, s.statics[drop*nc:])]
		s.sbase += drop
	}
}
