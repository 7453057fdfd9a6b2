package lstm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/phoneme/phoneme/features"
)

// TestStreamMatchesLogProbs: a sequence fed to a Stream in random pieces
// gives LogProbs's outputs exactly (no tolerance: the same arithmetic).
func TestStreamMatchesLogProbs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []Config{
		{Inputs: 39, Hidden: 32, Layers: 1, Outputs: 61},
		{Inputs: 13, Hidden: 16, Layers: 2, Outputs: 7, Peepholes: true},
	} {
		m := testModel(t, c, 5)
		x := features.NewMatrix(211, c.Inputs)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		want := m.LogProbs(x)
		s := m.NewStream()
		var got []float32
		for t0 := 0; t0 < x.Rows; {
			k := min(x.Rows-t0, rng.IntN(9))
			got = s.Step(got, x.Data[t0*c.Inputs:(t0+k)*c.Inputs])
			t0 += k
		}
		if len(got) != len(want.Data) {
			t.Fatalf("%+v: %d outputs, want %d", c, len(got), len(want.Data))
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want.Data[i]) {
				t.Fatalf("%+v: output %d (frame %d) streamed %g, LogProbs %g", c, i, i/c.Outputs, got[i], want.Data[i])
			}
		}
	}
}

func BenchmarkStreamStep(b *testing.B) {
	c := Config{Inputs: 39, Hidden: 128, Layers: 1, Outputs: 61}
	m := testModel(b, c, 1)
	x := make([]float32, c.Inputs)
	s := m.NewStream()
	var out []float32
	for b.Loop() {
		out = s.Step(out[:0], x)
	}
}
