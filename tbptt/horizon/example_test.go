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

func ExampleParseK2Schedule() {
	k, err := tbptt.ParseK2Schedule("ramp:1-20@0-8")
	if err != nil {
		fmt.Println(err)
		return
	}
	var byEpoch []int
	for e := range 10 {
		byEpoch = append(byEpoch, k.K2At(e))
	}
	fmt.Println(byEpoch)
	steps, _ := tbptt.ParseK2Schedule("1@0/5@2/all@4")
	fmt.Println(steps, steps.K2At(3), steps.K2At(4) == tbptt.All)
	// Output:
	// [1 3 6 8 11 13 15 18 20 20]
	// 1@0,5@2,all@4 5 true
}

// Measure how far back the error signal of an (untrained) network reaches
// on one sentence, and write the tables and plots.
func ExampleHorizon() {
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
	rep, err := tbptt.Horizon(context.Background(), m, []*data.Sentence{{ID: "s1", Feats: x, Labels: lab}},
		horizon.Config{Lags: 50, K2: []int{1, 5, 20, tbptt.All}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Recommendation())
	dir, _ := os.MkdirTemp("", "horizon")
	defer os.RemoveAll(dir)
	files, err := rep.WriteFiles(dir, "untrained network")
	fmt.Println(len(files), err)
}
