package labels

import (
	"slices"
	"testing"
)

func TestAlign(t *testing.T) {
	a, b, c := idx("h#"), idx("aa"), idx("b")
	X := Excluded
	// Segments with a gap [20, 25) and nothing from 40 on.
	segs := []Segment{{0, 10, a}, {10, 20, b}, {25, 40, c}}
	every5 := func(t int) int { return 5 * t }
	for _, tc := range []struct {
		name     string
		segs     []Segment
		n        int
		centre   func(int) int
		want     []int32
		excluded int
	}{
		// Centres 0 5 10 15 20 25 30 35 40 45: 10 is on the aa boundary
		// (half-open: the later segment), 20 in the gap, 25 the start of
		// b, 40 the exclusive end of b, so past every segment.
		{"boundaries and gap", segs, 10, every5,
			[]int32{int32(a), int32(a), int32(b), int32(b), X, int32(c), int32(c), int32(c), X, X}, 3},
		{"one before boundary", segs, 3, func(t int) int { return 9 + t },
			[]int32{int32(a), int32(b), int32(b)}, 0},
		{"starts late", []Segment{{10, 20, b}}, 4, every5,
			[]int32{X, X, int32(b), int32(b)}, 2},
		{"negative centre", segs, 2, func(t int) int { return t - 1 },
			[]int32{X, int32(a)}, 1},
		{"no segments", nil, 3, every5, []int32{X, X, X}, 3},
		{"no frames", segs, 0, every5, []int32{}, 0},
		// A centre that goes backwards must still find its segment.
		{"non-monotone", segs, 6, func(t int) int { return []int{30, 5, 12, 0, 39, 22}[t] },
			[]int32{int32(c), int32(a), int32(b), int32(a), int32(c), X}, 1},
		// Kaldi framing: 400-sample window, 160 shift, centre 200+160t.
		{"kaldi frames", []Segment{{0, 520, a}, {520, 680, b}}, 4, func(t int) int { return 200 + 160*t },
			[]int32{int32(a), int32(a), int32(b), X}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ex := Align(tc.segs, tc.n, tc.centre)
			if !slices.Equal(got, tc.want) || ex != tc.excluded {
				t.Fatalf("got %v (%d excluded), want %v (%d)", got, ex, tc.want, tc.excluded)
			}
		})
	}
}

// TestAlignBruteForce compares Align with a direct scan of every segment on
// many small random segmentations.
func TestAlignBruteForce(t *testing.T) {
	state := uint64(1)
	next := func(n int) int { // xorshift: deterministic, no package state
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return int(state % uint64(n))
	}
	for trial := 0; trial < 500; trial++ {
		var segs []Segment
		pos := next(5)
		for k := next(8); k > 0; k-- {
			end := pos + 1 + next(6)
			segs = append(segs, Segment{pos, end, next(NumPhones)})
			pos = end + next(3) // sometimes a gap
		}
		shift, off := 1+next(4), next(4)
		n := next(20)
		centre := func(t int) int { return off + shift*t }
		got, ex := Align(segs, n, centre)
		wantEx := 0
		for f := 0; f < n; f++ {
			want := Excluded
			for _, s := range segs {
				if c := centre(f); s.Start <= c && c < s.End {
					want = int32(s.Phone)
				}
			}
			if want == Excluded {
				wantEx++
			}
			if got[f] != want {
				t.Fatalf("segs %v shift %d off %d frame %d: got %d, want %d", segs, shift, off, f, got[f], want)
			}
		}
		if ex != wantEx {
			t.Fatalf("excluded %d, want %d", ex, wantEx)
		}
	}
}

func BenchmarkAlign(b *testing.B) {
	// A 3 s utterance: 300 frames over 40 phones of ~1200 samples.
	var segs []Segment
	for i := 0; i < 40; i++ {
		segs = append(segs, Segment{i * 1200, (i + 1) * 1200, i % NumPhones})
	}
	centre := func(t int) int { return 200 + 160*t }
	b.ReportAllocs()
	for b.Loop() {
		Align(segs, 300, centre)
	}
}
