package eval

import (
	"bufio"
	"fmt"
	"io"

	"github.com/phoneme/phoneme/labels"
)

// Segments collapses framewise decisions into phone segments in samples,
// as a .PHN file holds them.
//
// hyp[t] is the class chosen by output t (Decode); with target delay
// delay, output t describes frame t−delay, so frame f takes hyp[f+delay]
// and the last delay frames, which no output describes, are left out.
// Frames are cut at multiples of the frame shift: a run of equal decisions
// over frames a…b becomes the segment [a·shift, (b+1)·shift), clipped to
// numSamples. Consecutive segments therefore touch, the first starts at
// sample 0, and the samples after the last frame's shift (the tail a
// frame does not start in) carry no segment. Segment.Phone is the class
// index.
func Segments(hyp []int32, delay, shift, numSamples int) []labels.Segment {
	var segs []labels.Segment
	frames := len(hyp) - delay
	for a := 0; a < frames; {
		b := a
		for b+1 < frames && hyp[b+1+delay] == hyp[a+delay] {
			b++
		}
		start, end := a*shift, min((b+1)*shift, numSamples)
		if start >= end {
			break
		}
		segs = append(segs, labels.Segment{Start: start, End: end, Phone: int(hyp[a+delay])})
		a = b + 1
	}
	return segs
}

// WritePHN writes segs in TIMIT's .PHN format, "start end label" per line,
// naming each segment's class by names. A class outside names is an error.
func WritePHN(w io.Writer, segs []labels.Segment, names []string) error {
	bw := bufio.NewWriter(w)
	for _, s := range segs {
		if s.Phone < 0 || s.Phone >= len(names) {
			return fmt.Errorf("segment %d–%d: class %d has no name (%d classes)", s.Start, s.End, s.Phone, len(names))
		}
		fmt.Fprintf(bw, "%d %d %s\n", s.Start, s.End, names[s.Phone])
	}
	return bw.Flush()
}
