package train

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/f32"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

// BenchCase is one row of the training speed table: a schedule and a
// batch size for the reference network.
type BenchCase struct {
	Schedule tbptt.Schedule
	Batch    int
}

// BenchCases are the rows of the speed table: the sentence, TBPTT(20, 20),
// frame k2 = 1 and frame k2 = 20 schedules, each at batch 1 (one thread)
// and at batch 32 (all threads).
func BenchCases() []BenchCase {
	scheds := []tbptt.Schedule{
		tbptt.Sentence(),
		{Kind: tbptt.KindTBPTT, K1: 20, K2: 20},
		{Kind: tbptt.KindFrame, K1: 1, K2: 1},
		{Kind: tbptt.KindFrame, K1: 1, K2: 20},
	}
	var cs []BenchCase
	for _, b := range []int{1, 32} {
		for _, s := range scheds {
			cs = append(cs, BenchCase{s, b})
		}
	}
	return cs
}

// FrameFLOPs returns the floating-point operations of one frame of network
// c in the forward pass and in the backward pass, weight gradients
// included, counting a multiply–add as two: per layer of input width n
// (Inputs, then Hidden) the input projection 2·n·4H and the recurrent
// product 2·H·4H forward; backward the weight gradients of both
// (2·4H·n + 2·4H·H), ∂h_{t−1} (2·4H·H) and, above the first layer, ∂x
// (2·4H·n); the output layer 2·H·O forward, 2·H·O for its weight gradient
// and 2·H·O for ∂h backward. The element-wise work (gate non-linearities,
// cell update, softmax, biases, peepholes: about 1 % for the reference
// network) is not counted, nor is the optimiser step. For the reference
// network: 186 624 forward + 333 312 backward = 519 936 FLOPs per frame.
//
// Every frame of a backward pass is counted as a whole backward frame,
// including frames of a per-error window where only the last one carries
// an output error (an overcount of the output layer's 2·H·O there).
func FrameFLOPs(c lstm.Config) (forward, backward int64) {
	H, G, O := int64(c.Hidden), int64(4*c.Hidden), int64(c.Outputs)
	for l := range c.Layers {
		n := int64(c.Inputs)
		if l > 0 {
			n = H
		}
		forward += 2*n*G + 2*H*G
		backward += 2*G*n + 2*G*H + 2*G*H
		if l > 0 {
			backward += 2 * G * n
		}
	}
	forward += 2 * H * O
	backward += 4 * H * O
	return forward, backward
}

// Threads is how many threads a bench case runs on: one at batch 1 (the
// engine advances one stream on the calling goroutine), all of GOMAXPROCS
// otherwise. Its peak share is taken against the peak of that many.
func (bc BenchCase) Threads() int {
	if bc.Batch == 1 {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// Peak measures the machine's float32 arithmetic peak in FLOP/s with
// threads goroutines running f32.FMALoop (register-only fused
// multiply-adds, no memory traffic) at once for about d: the best of
// three runs, as single runs on a shared machine vary by up to 2×.
func Peak(threads int, d time.Duration) float64 {
	best := 0.0
	for range 3 {
		var (
			wg    sync.WaitGroup
			flops = make([]int64, threads)
		)
		start := time.Now()
		for w := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for { // at least one loop, however late the goroutine starts
					flops[w] += f32.FMALoop(1 << 14)
					if time.Since(start) >= d {
						break
					}
				}
			}()
		}
		wg.Wait()
		var sum int64
		for _, f := range flops {
			sum += f
		}
		best = max(best, float64(sum)/time.Since(start).Seconds())
	}
	return best
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
	Work         tbptt.Stats   // what the engine did in those frames (re-runs included)
	FLOPs        float64       // by FrameFLOPs: forward frames and backward frames of Work
	Elapsed      time.Duration // wall time
	FramesPerSec float64
	FLOPsPerSec  float64
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
	if a, ok := opt.(*Adam); ok {
		a.Split = e.ParallelRange
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
		st, err := e.Train(g, step)
		if err != nil {
			return r, err
		}
		r.Work.Add(st)
		for _, s := range g {
			r.Frames += int64(s.Feats.Rows)
		}
		if r.Elapsed = time.Since(start); r.Elapsed >= d {
			break
		}
	}
	fwd, bwd := FrameFLOPs(net)
	r.FLOPs = float64(r.Work.FramesForward)*float64(fwd) + float64(r.Work.FramesBackward)*float64(bwd)
	r.FramesPerSec = float64(r.Frames) / r.Elapsed.Seconds()
	r.FLOPsPerSec = r.FLOPs / r.Elapsed.Seconds()
	return r, nil
}
