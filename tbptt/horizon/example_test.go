package horizon_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/horizon"
)

// Measure how far back the error signal of an (untrained) network reaches
// on one sentence, and write the tables and plots.
func ExampleMeasure() {
	rng := rand.New(rand.NewPCG(1, 2))
	m, _ := lstm.New(lstm.Config{Inputs: 13, Hidden: 32, Layers: 1, Outputs: 61}, rng)
	x := features.NewMatrix(200, 13)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	lab := make([]int32, 200)
	for t := range lab {
		lab[t] = int32(t / 10 % 61)
	}
	rep, err := horizon.Measure(context.Background(), m, []*data.Sentence{{ID: "s1", Feats: x, Labels: lab}},
		horizon.Config{Lags: 50, K2: []int{1, 5, 20, tbptt.All}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Frames, "scored frames,", len(rep.Top()), "lags measured")
	dir, _ := os.MkdirTemp("", "horizon")
	defer os.RemoveAll(dir)
	files, err := rep.WriteFiles(dir, "untrained network")
	fmt.Println(len(files), "files written,", err)
	// Output:
	// 200 scored frames, 51 lags measured
	// 7 files written, <nil>
}
