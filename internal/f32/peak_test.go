package f32

import (
	"testing"
	"time"
)

// TestFMALoop: every implementation runs the loop and counts 2 FLOPs per
// lane per chain per iteration.
func TestFMALoop(t *testing.T) {
	lanes := map[implementation]int64{implPortable: 1, implAVX2: 8, implAVX512: 16}
	for _, i := range available() {
		t.Run(i.String(), func(t *testing.T) {
			defer useImpl(i)()
			if got := FMALoop(0); got != 0 {
				t.Errorf("FMALoop(0) = %d", got)
			}
			if got, want := FMALoop(1000), 1000*peakChains*2*lanes[i]; got != want {
				t.Errorf("FMALoop(1000) = %d FLOPs, want %d", got, want)
			}
		})
	}
}

// BenchmarkFMALoop reports the float32 peak of one core in GFLOP/s for
// each implementation: the figure the products' GFLOP/s are compared with.
func BenchmarkFMALoop(b *testing.B) {
	for _, i := range available() {
		b.Run(i.String(), func(b *testing.B) {
			defer useImpl(i)()
			var flops int64
			start := time.Now()
			for b.Loop() {
				flops += FMALoop(1 << 16)
			}
			b.ReportMetric(float64(flops)/time.Since(start).Seconds()/1e9, "GFLOP/s")
		})
	}
}
