package features

import (
	"math"
	"testing"
)

// TestDeltaScales compares with the filters Kaldi's add-deltas prints for its defaults
// (window 2): [-2 -1 0 1 2]/10 and its self-convolution /100. Tolerance 1e-15: exact
// small rationals computed in float64.
func TestDeltaScales(t *testing.T) {
	want := [][]float64{
		{-0.2, -0.1, 0, 0.1, 0.2},
		{0.04, 0.04, 0.01, -0.04, -0.1, -0.04, 0.01, 0.04, 0.04},
	}
	got := deltaScales(2, 2)
	if len(got) != 2 {
		t.Fatalf("%d filters, want 2", len(got))
	}
	for o := range want {
		if len(got[o]) != len(want[o]) {
			t.Fatalf("order %d: %d taps, want %d", o+1, len(got[o]), len(want[o]))
		}
		for i := range want[o] {
			if math.Abs(got[o][i]-want[o][i]) > 1e-15 {
				t.Errorf("order %d tap %d = %g, want %g", o+1, i, got[o][i], want[o][i])
			}
		}
	}
}

// TestDeltasOnRamp: for statics c_t = t·slope + offset, deltas are the slope and
// delta-deltas 0 wherever the filters see no edge; at the edges Kaldi repeats the first
// and last frame, which gives the hand-computed values below. Tolerance 1e-5: float32
// statics of size ≤ 50 summed with weights ≤ 0.2.
func TestDeltasOnRamp(t *testing.T) {
	c := DefaultConfig()
	c.NumCeps = 2
	e, err := NewExtractor(c)
	if err != nil {
		t.Fatal(err)
	}
	const frames = 10
	m := NewMatrix(frames, c.Dim())
	for i := 0; i < frames; i++ {
		m.Row(i)[0] = float32(i)         // slope 1
		m.Row(i)[1] = float32(3*i) - 7.5 // slope 3, offset
	}
	e.addDeltas(m)
	// Slope-1 column, by hand: delta(0) = (−2·0 − 1·0 + 1 + 2·2)/10 = 0.5,
	// delta(1) = (0 + 0 + 2 + 2·3)/10 = 0.8; delta-delta(0) = −.04·1 + .01·2 + .04·3 + .04·4,
	// delta-delta(1) = −.1·1 − .04·2 + .01·3 + .04·4 + .04·5 (frames −3…0 all read frame 0).
	delta := []float64{0.5, 0.8, 1, 1, 1, 1, 1, 1, 0.8, 0.5}
	ddelta := []float64{0.26, 0.21, 0.12, 0.04, 0, 0, -0.04, -0.12, -0.21, -0.26}
	for i := 0; i < frames; i++ {
		r := m.Row(i)
		for _, tc := range []struct {
			col  int
			want float64
		}{
			{0, float64(i)}, {1, 3*float64(i) - 7.5},
			{2, delta[i]}, {3, 3 * delta[i]},
			{4, ddelta[i]}, {5, 3 * ddelta[i]},
		} {
			if math.Abs(float64(r[tc.col])-tc.want) > 1e-5 {
				t.Errorf("frame %d column %d = %g, want %g", i, tc.col, r[tc.col], tc.want)
			}
		}
	}
}

// TestDeltasSingleFrame: with one frame every neighbour is the frame itself, so deltas
// of any order are exactly 0 (the filters sum to 0).
func TestDeltasSingleFrame(t *testing.T) {
	e, err := NewExtractor(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatrix(1, 39)
	for j := 0; j < 13; j++ {
		m.Data[j] = float32(j) - 6.25
	}
	e.addDeltas(m)
	for j := 13; j < 39; j++ {
		if math.Abs(float64(m.Data[j])) > 1e-6 {
			t.Errorf("column %d = %g, want 0", j, m.Data[j])
		}
	}
}
