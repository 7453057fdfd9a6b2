package eval

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestStreamMatchesClassify: audio pushed in random pieces gives
// Classify's segments and confidences exactly, for several target delays
// and lengths; and no segment is emitted later than Latency() samples after
// its end, nor earlier (the bound is exact).
func TestStreamMatchesClassify(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, delay := range []int{0, 3} {
		m, md := tinyCheckpoint(t, delay)
		for _, n := range []int{400, 1000, 8000, 40000} {
			x := chirp(n)
			want, err := Classify(m, md, x, 16000)
			if err != nil {
				t.Fatal(err)
			}
			conf := SegmentConfidence(want.Segments, want.Posteriors, want.FrameShift)
			s, err := NewStream(m, md)
			if err != nil {
				t.Fatal(err)
			}
			var got []StreamSegment
			before, pushed := 0, 0 // the piece being pushed: samples [before, pushed)
			flushing := false
			emit := func(seg StreamSegment) error {
				got = append(got, seg)
				// Sample End+Latency()−1 closes it: it must be in this piece.
				if need := seg.End + s.Latency() - 1; !flushing && (need < before || need >= pushed) {
					t.Errorf("delay %d: segment %v emitted with samples [%d, %d), needs sample %d", delay, seg.Segment, before, pushed, need)
				}
				return nil
			}
			for rest := x; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(300))
				before = pushed
				pushed += k
				if err := s.Push(rest[:k], emit); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			flushing = true
			if err := s.Flush(emit); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want.Segments) {
				t.Fatalf("delay %d, %d samples: %d segments streamed, Classify %d", delay, n, len(got), len(want.Segments))
			}
			for i, g := range got {
				if g.Segment != want.Segments[i] || g.Confidence != conf[i] {
					t.Fatalf("delay %d, %d samples: segment %d streamed %+v, Classify %+v (confidence %g)", delay, n, i, g, want.Segments[i], conf[i])
				}
			}
		}
	}
}

// TestStreamMemoryFlat: an hour of audio in 20 ms pieces; the heap after
// the hour is within 1 MB of the heap after the first minute.
func TestStreamMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("an hour of audio")
	}
	m, md := tinyCheckpoint(t, 2)
	s, err := NewStream(m, md)
	if err != nil {
		t.Fatal(err)
	}
	piece := chirp(320)
	segs := 0
	emit := func(StreamSegment) error { segs++; return nil }
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var first uint64
	for i := range 50 * 3600 {
		if err := s.Push(piece, emit); err != nil {
			t.Fatal(err)
		}
		if i == 50*60 {
			first = heap()
		}
	}
	last := heap()
	t.Logf("an hour of audio, %d segments: heap %d bytes after a minute, %d after the hour", segs, first, last)
	if last > first+1<<20 {
		t.Errorf("heap grew from %d to %d bytes over the hour", first, last)
	}
}
