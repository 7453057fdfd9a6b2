package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/f32"
	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/train"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure training frames/s per schedule and feature extraction speed on this machine",
		Description: `Trains the reference network (39 inputs → LSTM 128 → 61 phones, float32,
Adam at every update) on synthetic 250–350-frame sentences under each schedule
of the speed table for --seconds each, then computes MFCC + deltas of
synthetic 16 kHz audio on every core, and prints frames/s and the extraction
speed as a multiple of real time (audio seconds per wall second), beside
PyTorch 1.13's figures on the reference machine.

--json prints {"train": [{"schedule", "k1", "k2", "batch", "hidden",
"inputs", "frames_per_sec"}, …], "extract": {"realtime_factor"}}, with
k1 = k2 = 0 meaning "all" (to the sentence's end or start).`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print JSON instead of a table"},
			&cli.FloatFlag{Name: "seconds", Value: 5, Usage: "measuring time per row, seconds"},
			&cli.StringFlag{Name: "optimizer", Value: string(train.OptAdam), Usage: "optimizer applied at every update: adam or sgd"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return usagef("bench takes no arguments, got %q", cmd.Args().First())
			}
			secs := cmd.Float("seconds")
			if !(secs > 0) || secs > 3600 {
				return usagef("--seconds must be in (0, 3600], got %v", secs)
			}
			d := time.Duration(secs * float64(time.Second))
			opt, err := train.ParseOptimizer(cmd.String("optimizer"))
			if err != nil {
				return usagef("--optimizer %q: want adam or sgd", cmd.String("optimizer"))
			}
			rep, err := runBench(ctx, d, opt)
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				return rep.writeJSON(cmd.Root().Writer)
			}
			return rep.writeTable(cmd.Root().Writer)
		},
	}
}

// benchReport is what `phoneme bench --json` prints.
type benchReport struct {
	Optimizer train.OptimizerKind `json:"-"`
	Train     []benchTrainRow     `json:"train"`
	Extract   benchExtractRow     `json:"extract"`
}

type benchTrainRow struct {
	Schedule     string  `json:"schedule"`
	K1           int     `json:"k1"`
	K2           int     `json:"k2"`
	Batch        int     `json:"batch"`
	Hidden       int     `json:"hidden"`
	Inputs       int     `json:"inputs"`
	FramesPerSec float64 `json:"frames_per_sec"`
}

type benchExtractRow struct {
	RealtimeFactor float64 `json:"realtime_factor"`
}

func runBench(ctx context.Context, d time.Duration, optimizer train.OptimizerKind) (*benchReport, error) {
	rep := &benchReport{Optimizer: optimizer}
	net := train.BenchNetwork()
	for _, bc := range train.BenchCases() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := train.Bench(bc, optimizer, d)
		if err != nil {
			return nil, fmt.Errorf("bench %v batch %d: %w", bc.Schedule, bc.Batch, err)
		}
		rep.Train = append(rep.Train, benchTrainRow{
			Schedule: string(bc.Schedule.Kind), K1: bc.Schedule.K1, K2: bc.Schedule.K2, Batch: bc.Batch,
			Hidden: net.Hidden, Inputs: net.Inputs, FramesPerSec: r.FramesPerSec,
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rt, err := benchExtract(d)
	if err != nil {
		return nil, err
	}
	rep.Extract.RealtimeFactor = rt
	return rep, nil
}

// pytorchFramesPerSec are PyTorch 1.13's best figures on the reference
// machine (issue 5), in the order of train.BenchCases.
var pytorchFramesPerSec = []float64{9.8e3, 9.7e3, 4.7e3, 0.54e3, 62e3}

func (r *benchReport) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "schedule\tk1\tk2\tbatch\tframes/s\tPyTorch 1.13 (ref. machine)\t\n")
	for i, row := range r.Train {
		pt := "–"
		if i < len(pytorchFramesPerSec) {
			pt = fmt.Sprintf("%.0f", pytorchFramesPerSec[i])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%s\t\n", row.Schedule, tbptt.K1String(row.K1), tbptt.K2String(row.K2), row.Batch, row.FramesPerSec, pt)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	net := train.BenchNetwork()
	_, err := fmt.Fprintf(w, "\nnetwork %d → LSTM %d → %d, float32, %s at every update; kernels %s, %d cores\nextraction (MFCC + deltas, synthetic audio, all cores): %.0f× real time\n",
		net.Inputs, net.Hidden, net.Outputs, r.Optimizer, f32.Implementation(), runtime.GOMAXPROCS(0), r.Extract.RealtimeFactor)
	return err
}

func (r *benchReport) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// benchAudio returns n seconds of synthetic 16 kHz speech-like audio: a
// harmonic source whose pitch and formant-like emphasis drift, plus noise.
func benchAudio(rng *rand.Rand, seconds float64) []int16 {
	n := int(seconds * 16000)
	x := make([]int16, n)
	phase := 0.0
	for i := range x {
		t := float64(i) / 16000
		f0 := 120 + 40*math.Sin(2*math.Pi*0.7*t)
		phase += 2 * math.Pi * f0 / 16000
		var v float64
		for h := 1; h <= 12; h++ {
			v += math.Sin(float64(h)*phase) / float64(h) * (1 + math.Sin(2*math.Pi*(0.3*float64(h)+t)))
		}
		x[i] = int16(2000*v + 300*rng.NormFloat64())
	}
	return x
}

// benchExtract computes features of synthetic utterances on every core for
// at least d and returns audio seconds per wall second. Each worker has its
// own Extractor, as `phoneme extract` does.
func benchExtract(d time.Duration) (float64, error) {
	cfg := features.DefaultConfig()
	rng := rand.New(rand.NewPCG(3, 3))
	var utts [][]int16
	for range 8 {
		utts = append(utts, benchAudio(rng, 2+rng.Float64()*2))
	}
	workers := runtime.GOMAXPROCS(0)
	var (
		samples atomic.Int64
		wg      sync.WaitGroup
		errs    = make([]error, workers)
	)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := features.NewExtractor(cfg)
			if err != nil {
				errs[w] = err
				return
			}
			for i := w; time.Since(start) < d; i++ {
				u := utts[i%len(utts)]
				if _, err := e.Compute(u); err != nil {
					errs[w] = err
					return
				}
				samples.Add(int64(len(u)))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("bench extract: %w", err)
		}
	}
	return float64(samples.Load()) / float64(cfg.SampleRate) / elapsed.Seconds(), nil
}
