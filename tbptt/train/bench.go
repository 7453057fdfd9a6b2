package train

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

// BenchCase is one row of the training speed table: a schedule and a
// batch size for the reference network.
type BenchCase struct {
	Schedule tbptt.Schedule
	Batch    int
}

// BenchCases are the schedules of the speed table (issue 5), with
// PyTorch 1.13's best figures on the reference machine for comparison:
// sentence 9.8 k, TBPTT(20,20) 9.7 k, frame k2=1 4.7 k, frame k2=20
// 0.54 k frames/s at batch 1, sentence at batch 32 on both cores 62 k.
func BenchCases() []BenchCase {
	return []BenchCase{
		{tbptt.Sentence(), 1},
		{tbptt.Schedule{Kind: tbptt.KindTBPTT, K1: 20, K2: 20}, 1},
		{tbptt.Schedule{Kind: tbptt.KindFrame, K1: 1, K2: 1}, 1},
		{tbptt.Schedule{Kind: tbptt.KindFrame, K1: 1, K2: 20}, 1},
		{tbptt.Sentence(), 32},
	}
}

// BenchNetwork returns the reference network: 39 MFCC+Δ+ΔΔ inputs, one
// LSTM layer of 128 cells, the 61 TIMIT phones.
func BenchNetwork() lstm.Config {
	return lstm.Config{Inputs: 39, Hidden: 128, Layers: 1, Outputs: 61}
}

// BenchResult is the measured training speed of one BenchCase.
type BenchResult struct {
	Case         BenchCase
	Frames       int64         // sentence frames trained (each counted once)
	Elapsed      time.Duration // wall time
	FramesPerSec float64
}

// BenchSentences returns n synthetic sentences for network c: lengths
// uniform in 250…350 frames (TIMIT's are about 300), inputs drawn from
// N(0, 1) like normalised features, and labels in runs of 5–15 frames
// like phones.
func BenchSentences(rng *rand.Rand, c lstm.Config, n int) []*data.Sentence {
	sents := make([]*data.Sentence, n)
	for i := range sents {
		T := 250 + rng.IntN(101)
		x := features.NewMatrix(T, c.Inputs)
		for j := range x.Data {
			x.Data[j] = float32(rng.NormFloat64())
		}
		labels := make([]int32, T)
		for t := 0; t < T; {
			y, run := int32(rng.IntN(c.Outputs)), 5+rng.IntN(11)
			for ; run > 0 && t < T; run, t = run-1, t+1 {
				labels[t] = y
			}
		}
		sents[i] = &data.Sentence{ID: fmt.Sprintf("bench%03d", i), Speaker: "bench", Feats: x, Labels: labels}
	}
	return sents
}

// Bench trains a fresh reference network (seed 1) under bc with the named
// optimizer (OptAdam or OptSGD, at its default learning rate) applied at
// every update, as real training does, for at least d of wall time after
// one warm-up group, and reports frames per second of wall time. Batch > 1
// uses all cores (GOMAXPROCS). The optimizer matters for per-frame
// updates: an Adam step streams four parameter-sized vectors through
// memory, several times the work of the network's own frame.
func Bench(bc BenchCase, optimizer OptimizerKind, d time.Duration) (BenchResult, error) {
	r := BenchResult{Case: bc}
	net := BenchNetwork()
	m, err := lstm.New(net, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		return r, err
	}
	e, err := tbptt.NewEngine(m, bc.Schedule, 0, bc.Batch)
	if err != nil {
		return r, err
	}
	lr := DefaultLR(optimizer)
	opt, err := NewOptimizer(optimizer, len(m.Params()), lr, 0.9)
	if err != nil {
		return r, err
	}
	step := func(g *lstm.Grads) error {
		opt.Step(m.Params(), g.Data)
		return nil
	}
	// Enough sentences that buffers reach their final size during the
	// warm-up and the groups vary.
	sents := BenchSentences(rand.New(rand.NewPCG(2, 2)), net, 4*bc.Batch)
	group := func(i int) []*data.Sentence {
		j := i % 4 * bc.Batch
		return sents[j : j+bc.Batch]
	}
	if _, err := e.Train(group(0), step); err != nil {
		return r, err
	}
	start := time.Now()
	for i := 1; ; i++ {
		g := group(i)
		if _, err := e.Train(g, step); err != nil {
			return r, err
		}
		for _, s := range g {
			r.Frames += int64(s.Feats.Rows)
		}
		if r.Elapsed = time.Since(start); r.Elapsed >= d {
			break
		}
	}
	r.FramesPerSec = float64(r.Frames) / r.Elapsed.Seconds()
	return r, nil
}
