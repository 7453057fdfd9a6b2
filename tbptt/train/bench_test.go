package train

import (
	"fmt"
	"testing"
	"time"

	"github.com/phoneme/phoneme/tbptt"
)

// BenchmarkBench runs each row of `phoneme bench` (Adam included) for the
// benchmark's time budget and reports frames/s of wall time.
func BenchmarkBench(b *testing.B) {
	for _, bc := range BenchCases() {
		b.Run(fmt.Sprintf("%s-k1=%d-k2=%d-batch%d", bc.Schedule.Kind, bc.Schedule.K1, bc.Schedule.K2, bc.Batch), func(b *testing.B) {
			var frames int64
			var elapsed time.Duration
			for b.Loop() {
				r, err := Bench(bc, OptAdam, 200*time.Millisecond)
				if err != nil {
					b.Fatal(err)
				}
				frames += r.Frames
				elapsed += r.Elapsed
			}
			b.ReportMetric(float64(frames)/elapsed.Seconds(), "frames/s")
		})
	}
}

// TestBenchSentences: synthetic sentences have TIMIT-like lengths and
// labels that are all output classes.
func TestBenchSentences(t *testing.T) {
	r, err := Bench(BenchCase{tbptt.Schedule{Kind: tbptt.KindTBPTT, K1: 20, K2: 20}, 2}, OptSGD, time.Millisecond)
	if err != nil || r.Frames < 250 || !(r.FramesPerSec > 0) {
		t.Fatalf("Bench: %+v, %v", r, err)
	}
}

// BenchmarkAdamStep: one Adam step over the reference network's
// parameters (split across two cores when there are two).
func BenchmarkAdamStep(b *testing.B) {
	n := BenchNetwork().NumParams()
	p, g := make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(i%7) - 3
	}
	a := NewAdam(n, 1e-3)
	for b.Loop() {
		a.Step(p, g)
	}
}
