package features

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestStreamExtractor: a signal pushed in random pieces gives Compute's
// rows exactly, with and without snip-edges and deltas, for lengths from
// shorter than a frame to several seconds.
func TestStreamExtractor(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	snip := DefaultConfig()
	noSnip := DefaultConfig()
	noSnip.SnipEdges = false
	noDeltas := DefaultConfig()
	noDeltas.Deltas = 0
	wide := DefaultConfig()
	wide.DeltaWindow = 3
	for _, c := range []Config{snip, noSnip, noDeltas, wide} {
		e, err := NewExtractor(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 100, 399, 400, 401, 560, 1000, 1234, 16000, 50003} {
			x := make([]int16, n)
			for i := range x {
				x[i] = int16(3000 * math.Sin(float64(i)*0.05) * (1 + rng.NormFloat64()*0.3))
			}
			want, werr := e.Compute(x)
			s := e.NewStream()
			var got []float32
			for rest := x; len(rest) > 0; {
				k := min(len(rest), rng.IntN(700))
				got = s.Push(got, rest[:k])
				rest = rest[k:]
			}
			got, gerr := s.Flush(got)
			if werr != nil || gerr != nil {
				if !errors.Is(gerr, ErrTooShort) || !errors.Is(werr, ErrTooShort) {
					t.Errorf("n=%d snip=%v: Compute error %v, stream error %v", n, c.SnipEdges, werr, gerr)
				}
				continue
			}
			if len(got) != len(want.Data) {
				t.Fatalf("n=%d snip=%v deltas=%d: %d values, want %d", n, c.SnipEdges, c.Deltas, len(got), len(want.Data))
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want.Data[i]) {
					t.Fatalf("n=%d snip=%v deltas=%d window=%d: frame %d dim %d streamed %g, Compute %g",
						n, c.SnipEdges, c.Deltas, c.DeltaWindow, i/c.Dim(), i%c.Dim(), got[i], want.Data[i])
				}
			}
		}
	}
}

// TestStreamExtractorMemory: an hour of audio in 10 ms pieces keeps the
// buffers at a frame's samples and the delta window's rows.
func TestStreamExtractorMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("an hour of audio")
	}
	e, err := NewExtractor(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	s := e.NewStream()
	piece := make([]int16, 160)
	var out []float32
	maxBuf, maxStatics := 0, 0
	for i := range 3600 * 100 {
		for k := range piece {
			piece[k] = int16((i*160 + k) % 2000)
		}
		out = s.Push(out[:0], piece)
		maxBuf = max(maxBuf, cap(s.buf))
		maxStatics = max(maxStatics, cap(s.statics))
	}
	if maxBuf > 2*400+160 || maxStatics > 2*(2*DefaultConfig().DeltaLookahead()+2)*13 {
		t.Errorf("after an hour: sample buffer cap %d, static rows cap %d values", maxBuf, maxStatics)
	}
	t.Logf("an hour in 10 ms pieces: sample buffer ≤ %d, static rows ≤ %d values", maxBuf, maxStatics)
}

func BenchmarkStreamExtractor(b *testing.B) {
	e, err := NewExtractor(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	x := make([]int16, 16000)
	for i := range x {
		x[i] = int16(3000 * math.Sin(float64(i)*0.05))
	}
	b.SetBytes(int64(2 * len(x)))
	var out []float32
	for b.Loop() {
		s := e.NewStream()
		out = out[:0]
		for i := 0; i < len(x); i += 160 {
			out = s.Push(out, x[i:i+160])
		}
		out, _ = s.Flush(out)
	}
}
