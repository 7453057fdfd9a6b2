package train

import (
	"fmt"
	"testing"
	"time"

	"github.com/phoneme/phoneme/lstm"
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

// TestFrameFLOPs: the reference network's count as stated in the doc
// comment, and for one and two layers the identity that holds for the
// products counted: forward = 2 × weights; backward = 2 × weights (their
// gradients) + 2 × every weight matrix but the first layer's input one
// (the products that carry ∂h and ∂x back).
func TestFrameFLOPs(t *testing.T) {
	if f, b := FrameFLOPs(BenchNetwork()); f != 186624 || b != 333312 {
		t.Errorf("reference network: %d + %d FLOPs, want 186624 + 333312", f, b)
	}
	for _, c := range []lstm.Config{
		{Inputs: 39, Hidden: 128, Layers: 1, Outputs: 61},
		{Inputs: 13, Hidden: 40, Layers: 2, Outputs: 7},
		{Inputs: 5, Hidden: 9, Layers: 3, Outputs: 4},
	} {
		H, G := int64(c.Hidden), int64(4*c.Hidden)
		weights := int64(c.Outputs) * H
		for l := range c.Layers {
			n := int64(c.Inputs)
			if l > 0 {
				n = H
			}
			weights += G*n + G*H
		}
		back := weights - G*int64(c.Inputs)
		f, b := FrameFLOPs(c)
		if f != 2*weights || b != 2*weights+2*back {
			t.Errorf("%+v: %d + %d FLOPs, want %d + %d", c, f, b, 2*weights, 2*weights+2*back)
		}
	}
}

// TestPeak: the FMA peak is positive and finite on one thread and on two.
func TestPeak(t *testing.T) {
	for _, n := range []int{1, 2} {
		if p := Peak(n, time.Millisecond); !(p > 0) || p > 1e15 {
			t.Errorf("Peak(%d) = %g FLOP/s", n, p)
		}
	}
}
