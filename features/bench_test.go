package features

import (
	"testing"
)

// BenchmarkMFCC computes MFCC + deltas + delta-deltas (default configuration) of one
// 3 s utterance per iteration. It reports speed as multiples of real time per core:
// "x-realtime" from wall time and "x-realtime-cpu" from the process's CPU time, which is
// the fairer figure when other work shares the machine.
func BenchmarkMFCC(b *testing.B) {
	benchmarkCompute(b, DefaultConfig())
}

// BenchmarkMFCCStatic is BenchmarkMFCC without deltas, to show their share.
func BenchmarkMFCCStatic(b *testing.B) {
	c := DefaultConfig()
	c.Deltas = 0
	benchmarkCompute(b, c)
}

func benchmarkCompute(b *testing.B, c Config) {
	x := readS16(b, "testdata/synth.s16")
	x = append(x, x...) // 3 s
	e, err := NewExtractor(c)
	if err != nil {
		b.Fatal(err)
	}
	seconds := float64(len(x)) / float64(c.SampleRate)
	b.ReportAllocs()
	cpu0, cpuOK := cpuTime()
	for b.Loop() {
		if _, err := e.Compute(x); err != nil {
			b.Fatal(err)
		}
	}
	cpu1, _ := cpuTime()
	wall := b.Elapsed().Seconds()
	b.ReportMetric(seconds*float64(b.N)/wall, "x-realtime")
	if cpuOK && cpu1 > cpu0 {
		b.ReportMetric(seconds*float64(b.N)/(cpu1-cpu0).Seconds(), "x-realtime-cpu")
	}
	b.ReportMetric(wall*1e9/float64(b.N*c.NumFrames(len(x))), "ns/frame")
}
