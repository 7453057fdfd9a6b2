package features_test

import (
	"fmt"
	"log"
	"math"

	"github.com/phoneme/phoneme/features"
)

func ExampleExtractor_Compute() {
	cfg := features.DefaultConfig()
	e, err := features.NewExtractor(cfg)
	if err != nil {
		log.Fatal(err)
	}
	// One second of a 440 Hz tone at 16 kHz.
	samples := make([]int16, cfg.SampleRate)
	for i := range samples {
		samples[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(cfg.SampleRate)))
	}
	m, err := e.Compute(samples)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d frames × %d (13 MFCCs, deltas, delta-deltas)\n", m.Rows, m.Cols)
	fmt.Printf("frame 10 is centred on sample %d\n", cfg.FrameCentre(10))
	// C0 is the raw log energy: ln(400 samples × 8000²/2) = 23.27.
	fmt.Printf("log energy of frame 10: %.2f\n", m.Row(10)[0])
	// Output:
	// 98 frames × 39 (13 MFCCs, deltas, delta-deltas)
	// frame 10 is centred on sample 1800
	// log energy of frame 10: 23.27
}

func ExampleStats() {
	// Global statistics over a training split, applied to every split when read.
	train := []*features.Matrix{
		{Rows: 2, Cols: 2, Data: []float32{1, 10, 3, 10}},
		{Rows: 2, Cols: 2, Data: []float32{5, 20, 7, 20}},
	}
	stats := features.NewStats(2)
	for _, m := range train {
		stats.Add(m)
	}
	mean, std, err := stats.MeanStd()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("frames:", stats.Count(), "mean:", mean, "std:", std)
	features.Normalize(train[0], mean, std)
	fmt.Println("first utterance normalised:", train[0].Data)
	// Output:
	// frames: 4 mean: [4 15] std: [2.236068 5]
	// first utterance normalised: [-1.3416407 -1 -0.4472136 -1]
}
