package tbptt

import (
	"math/rand/v2"
	"testing"

	"github.com/phoneme/phoneme/internal/f32"
	"github.com/phoneme/phoneme/lstm"
)

// BenchmarkTrain measures training frames/s of the reference network
// (39 → LSTM 128 → 61, batch 1, and batch 32 per sentence) on random 300-frame sentences, plain SGD
// applied at every update. PyTorch 1.13 on the reference machine: 9.8 k
// (sentence), 9.7 k (tbptt 20/20), 4.7 k (frame k2=1), 0.54 k (frame
// k2=20) frames/s.
func BenchmarkTrain(b *testing.B) {
	c := lstm.Config{Inputs: 39, Hidden: 128, Layers: 1, Outputs: 61}
	for _, bc := range []struct {
		name  string
		s     Schedule
		batch int
	}{
		{"sentence", Sentence(), 1},
		{"tbptt-20-20", Schedule{Kind: KindTBPTT, K1: 20, K2: 20}, 1},
		{"frame-k2=1", Schedule{Kind: KindFrame, K1: 1, K2: 1}, 1},
		{"frame-k2=20", Schedule{Kind: KindFrame, K1: 1, K2: 20}, 1},
		{"sentence-batch32", Sentence(), 32}, // PyTorch: 62 k frames/s on both cores
		{"tbptt-20-20-batch32", Schedule{Kind: KindTBPTT, K1: 20, K2: 20}, 32},
		{"frame-k2=1-batch32", Schedule{Kind: KindFrame, K1: 1, K2: 1}, 32},
		{"frame-k2=20-batch32", Schedule{Kind: KindFrame, K1: 1, K2: 20}, 32},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m, err := lstm.New(c, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				b.Fatal(err)
			}
			lengths := make([]int, 4*bc.batch)
			for i := range lengths {
				lengths[i] = 300
			}
			sents := allScored(rand.New(rand.NewPCG(2, 2)), c, lengths...)
			e, err := NewEngine(m, bc.s, 0, bc.batch)
			if err != nil {
				b.Fatal(err)
			}
			step := func(g *lstm.Grads) error {
				f32.Axpy(m.Params(), -1e-5, g.Data)
				return nil
			}
			frames := 0
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				j := i % 4 * bc.batch
				group := sents[j : j+bc.batch]
				if _, err := e.Train(group, step); err != nil {
					b.Fatal(err)
				}
				frames += 300 * bc.batch
			}
			b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(frames)/cpu.Seconds(), "frames/cpu-s")
			}
		})
	}
}
