package eval

import (
	"fmt"
	"math"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// StreamSegment is a segment as a Stream closes it: its sample range and
// class (as Segments gives it) and its confidence (as SegmentConfidence).
type StreamSegment struct {
	labels.Segment
	Confidence float64
}

// Stream labels audio as it arrives with a checkpoint, giving exactly the
// segments and confidences Classify gives for the whole recording. Samples
// go through a features.StreamExtractor, the checkpoint's CMVN and an
// lstm.Stream; a segment is handed on as soon as the frame after it is
// decided.
//
// Latency: frame f is decided by output f+D (D the target delay), which
// needs the features of frame f+D, which need the samples of frame
// f+D+L (L = DeltaLookahead, 4 frames by default) up to its end. A segment
// ending at frame b's end, (b+1)·shift, is therefore closed once sample
// (b+1+D+L)·shift + length − 1 is in: Latency() samples after its end
// (D·10 ms + 40 ms + 25 ms with the default features). Memory does not
// grow with the length of the input.
type Stream struct {
	ex        *features.StreamExtractor
	net       *lstm.Stream
	mean, inv []float32
	delay     int
	shift     int
	classes   int
	feats     []float32
	logp      []float32
	outputs   int // network outputs so far
	samples   int
	open      bool // cur is a segment not yet closed
	cur       labels.Segment
	confSum   float64
	confN     int
	latency   int
}

// NewStream returns a Stream for the checkpoint (m, md), checked as
// CheckModel checks it alone. Samples must be at the checkpoint's rate.
func NewStream(m *lstm.Model, md *lstm.Metadata) (*Stream, error) {
	fc, err := checkModel("", m, md, nil)
	if err != nil {
		return nil, err
	}
	ex, err := features.NewExtractor(fc)
	if err != nil {
		return nil, err
	}
	inv := make([]float32, len(md.CMVNStd))
	for j, sd := range md.CMVNStd {
		inv[j] = 1 / sd
	}
	return &Stream{
		ex: ex.NewStream(), net: m.NewStream(), mean: md.CMVNMean, inv: inv,
		delay: md.TargetDelay, shift: fc.FrameShift(), classes: m.Config().Outputs,
		latency: (md.TargetDelay+fc.DeltaLookahead())*fc.FrameShift() + fc.FrameLength(),
	}, nil
}

// Latency is how many samples after a segment's end the Stream has to have
// read before it closes the segment.
func (s *Stream) Latency() int { return s.latency }

// Push takes the next samples and calls emit for every segment they close.
func (s *Stream) Push(samples []int16, emit func(StreamSegment) error) error {
	s.samples += len(samples)
	s.feats = s.ex.Push(s.feats[:0], samples)
	return s.run(emit)
}

// Flush ends the input and emits the last segment, clipped to the
// input's length. A recording too short for one frame is an error.
func (s *Stream) Flush(emit func(StreamSegment) error) error {
	var err error
	if s.feats, err = s.ex.Flush(s.feats[:0]); err != nil {
		return err
	}
	if err := s.run(emit); err != nil {
		return err
	}
	if !s.open {
		return nil
	}
	s.open = false
	s.cur.End = min(s.cur.End, s.samples)
	if s.cur.Start >= s.cur.End {
		return nil
	}
	return emit(s.closed())
}

// run normalises the new feature rows, runs the network over them and
// turns its decisions into segments, as Classify and Segments do.
func (s *Stream) run(emit func(StreamSegment) error) error {
	dim := len(s.mean)
	for i, v := range s.feats {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("non-finite feature value at frame %d", s.outputs+i/dim)
		}
	}
	// As features.Normalize.
	for i := 0; i < len(s.feats); i += dim {
		row := s.feats[i : i+dim]
		for j := range row {
			row[j] = (row[j] - s.mean[j]) * s.inv[j]
		}
	}
	s.logp = s.net.Step(s.logp[:0], s.feats)
	O := s.classes
	for r := 0; r < len(s.logp)/O; r++ {
		lp := s.logp[r*O : (r+1)*O]
		t := s.outputs
		s.outputs++
		f := t - s.delay // the frame output t describes
		if f < 0 {
			continue
		}
		k := argmax(lp)
		// As Classification.Posteriors and SegmentConfidence.
		p := float64(float32(math.Exp(float64(lp[k]))))
		if s.open && s.cur.Phone == k {
			s.cur.End = (f + 1) * s.shift
			s.confSum += p
			s.confN++
			continue
		}
		if s.open {
			if err := emit(s.closed()); err != nil {
				return err
			}
		}
		s.open = true
		s.cur = labels.Segment{Start: f * s.shift, End: (f + 1) * s.shift, Phone: k}
		s.confSum, s.confN = p, 1
	}
	return nil
}

func (s *Stream) closed() StreamSegment {
	return StreamSegment{Segment: s.cur, Confidence: s.confSum / float64(s.confN)}
}

// argmax is Decode's choice for one output: the first largest.
func argmax(lp []float32) int {
	var d [1]int32
	Decode(d[:], lp, len(lp))
	return int(d[0])
}
