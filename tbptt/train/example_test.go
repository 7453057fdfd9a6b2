package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/train"
)

// toySplit is a tiny split whose labels follow the sign of the first
// feature (a real program loads one with data.LoadSplit).
func toySplit(seed uint64, n int) *data.Split {
	rng := rand.New(rand.NewPCG(seed, 0))
	s := &data.Split{Dir: "toy", Manifest: &data.Manifest{
		Features: features.DefaultConfig(), Dim: 2, Phones: labels.TIMIT61().Names(),
		CMVNMean: []float32{0, 0}, CMVNStd: []float32{1, 1},
	}}
	for range n {
		x := features.NewMatrix(10, 2)
		y := make([]int32, 10)
		for t := range 10 {
			x.Row(t)[0], x.Row(t)[1] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			if x.Row(t)[0] > 0 {
				y[t] = 1
			}
		}
		s.Sentences = append(s.Sentences, &data.Sentence{ID: "u", Feats: x, Labels: y})
	}
	return s
}

func ExampleRun() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	cfg := train.DefaultConfig()
	cfg.Schedule, cfg.K1, cfg.K2 = "tbptt", 4, "8" // TBPTT(4, 8)
	cfg.Hidden, cfg.Epochs, cfg.MaxUpdates = 8, 0, 50
	res, err := train.Run(context.Background(), cfg, toySplit(1, 20), toySplit(2, 5),
		filepath.Join(dir, "toy.safetensors"), train.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Schedule, res.Updates, "updates, stopped by", res.Stopped)
	// Output: tbptt:k1=4:k2=8 50 updates, stopped by max-updates
}

func ExampleParseK2Schedule() {
	k, err := train.ParseK2Schedule("ramp:1-20@0-8")
	if err != nil {
		fmt.Println(err)
		return
	}
	var byEpoch []int
	for e := range 10 {
		byEpoch = append(byEpoch, k.K2At(e))
	}
	fmt.Println(byEpoch)
	steps, _ := train.ParseK2Schedule("1@0/5@2/all@4")
	fmt.Println(steps, steps.K2At(3), steps.K2At(4) == tbptt.All)
	// Output:
	// [1 3 6 8 11 13 15 18 20 20]
	// 1@0,5@2,all@4 5 true
}
