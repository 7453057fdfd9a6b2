package main

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/internal/f32"
	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/train"
)

// benchPyTorch is the script that measures PyTorch on the same rows
// (--vs-pytorch); it reads the rows as JSON on stdin.
//
//go:embed bench_pytorch.py
var benchPyTorch string

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure training speed per schedule against this machine's float32 peak, and feature extraction speed",
		Description: `Measures the machine's float32 FMA peak (a register-only loop of fused
multiply-adds in assembly, best of three short runs, on one thread and on
all), then trains the reference network (39 inputs → LSTM 128 → 61 phones,
float32, Adam at every update) on synthetic 250–350-frame sentences under
each schedule of the speed table, at batch 1 (one thread) and batch 32 (all
threads), --runs times for --seconds each, the rows interleaved, and prints
the median run's frames/s, GFLOP/s (train.FrameFLOPs per forward and per
backward frame, re-runs included) and its share of the peak of the threads
it runs on; then the speed of MFCC + deltas on synthetic 16 kHz audio on
every core as a multiple of real time, and of the greedy and Viterbi phone
decoders on one core (eval.BenchDecoders) in frames/s.

--vs-pytorch also runs the same rows in PyTorch (bench_pytorch.py, embedded;
the interpreter is $PHONEME_PYTHON, else the first of python3 and
/usr/bin/python3 that imports torch) with 1 and 2 threads, reporting the
faster; without torch the column is left out and a line says why.
--profile FILE writes a CPU profile (go tool pprof) of the training rows.

--json prints {"peak_gflops": {"one", "all"}, "train": [{"schedule", "k1",
"k2", "batch", "hidden", "inputs", "frames_per_sec", "gflops",
"peak_share"[, "pytorch_frames_per_sec"]}, …], "extract":
{"realtime_factor"}, "decode": {"greedy_frames_per_sec",
"viterbi_frames_per_sec", "frames", "rounds"}}, with k1 = k2 = 0 meaning "all" (to the sentence's end
or start).`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print JSON instead of a table"},
			&cli.FloatFlag{Name: "seconds", Value: 2, Usage: "measuring time per row and run, seconds"},
			&cli.IntFlag{Name: "runs", Value: 3, Usage: "runs per row (interleaved); the median is reported"},
			&cli.StringFlag{Name: "optimizer", Value: string(train.OptAdam), Usage: "optimizer applied at every update: adam or sgd"},
			&cli.BoolFlag{Name: "vs-pytorch", Usage: "also measure PyTorch on the same rows (needs python3 with torch)"},
			&cli.StringFlag{Name: "profile", Usage: "write a CPU profile of the training rows to `FILE`"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return usagef("bench takes no arguments, got %q", cmd.Args().First())
			}
			secs := cmd.Float("seconds")
			if !(secs > 0) || secs > 3600 {
				return usagef("--seconds must be in (0, 3600], got %v", secs)
			}
			runs := cmd.Int("runs")
			if runs < 1 || runs > 100 {
				return usagef("--runs must be in [1, 100], got %d", runs)
			}
			d := time.Duration(secs * float64(time.Second))
			opt, err := train.ParseOptimizer(cmd.String("optimizer"))
			if err != nil {
				return usagef("--optimizer %q: want adam or sgd", cmd.String("optimizer"))
			}
			prof := cmd.String("profile")
			if prof != "" {
				if _, err := os.Lstat(prof); err == nil {
					return usagef("--profile %s: the file exists; remove it or name another", prof)
				}
			}
			rep, err := runBench(ctx, benchOptions{d: d, runs: runs, optimizer: opt, profile: prof, pytorch: cmd.Bool("vs-pytorch")})
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

type benchOptions struct {
	d         time.Duration
	runs      int
	optimizer train.OptimizerKind
	profile   string
	pytorch   bool
}

// benchReport is what `phoneme bench --json` prints.
type benchReport struct {
	Optimizer train.OptimizerKind `json:"-"`
	Runs      int                 `json:"-"`
	Load      string              `json:"-"` // /proc/loadavg before and after, if readable
	PyTorch   string              `json:"-"` // the torch version measured, or why not
	Peak      benchPeak           `json:"peak_gflops"`
	Train     []benchTrainRow     `json:"train"`
	Extract   benchExtractRow     `json:"extract"`
	Decode    eval.DecoderSpeed   `json:"decode"`
}

type benchPeak struct {
	One float64 `json:"one"`
	All float64 `json:"all"`
}

type benchTrainRow struct {
	Schedule     string   `json:"schedule"`
	K1           int      `json:"k1"`
	K2           int      `json:"k2"`
	Batch        int      `json:"batch"`
	Hidden       int      `json:"hidden"`
	Inputs       int      `json:"inputs"`
	FramesPerSec float64  `json:"frames_per_sec"`
	GFLOPs       float64  `json:"gflops"`
	PeakShare    float64  `json:"peak_share"`
	PyTorch      *float64 `json:"pytorch_frames_per_sec,omitempty"`
	threads      int
}

type benchExtractRow struct {
	RealtimeFactor float64 `json:"realtime_factor"`
}

// peakRunTime is the length of one of Peak's three runs: long enough to
// reach the clock's full speed, short beside the rows.
const peakRunTime = 300 * time.Millisecond

func runBench(ctx context.Context, o benchOptions) (*benchReport, error) {
	var err error
	rep := &benchReport{Optimizer: o.optimizer, Runs: o.runs, Load: loadAvg()}
	net := train.BenchNetwork()
	rep.Peak.One = train.Peak(1, peakRunTime) / 1e9
	rep.Peak.All = train.Peak(runtime.GOMAXPROCS(0), peakRunTime) / 1e9
	var prof *atomicfile.File
	if o.profile != "" {
		if prof, err = atomicfile.Create(o.profile); err != nil {
			return nil, err
		}
		defer prof.Close() // discards the profile unless committed below
		if err := pprof.StartCPUProfile(prof); err != nil {
			return nil, fmt.Errorf("--profile %s: %w", o.profile, err)
		}
		defer pprof.StopCPUProfile()
	}
	cases := train.BenchCases()
	results := make([][]train.BenchResult, len(cases))
	// Rows interleaved, so that a burst of load on the shared machine
	// falls on one run of several rows rather than on every run of one.
	for range o.runs {
		for i, bc := range cases {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r, err := train.Bench(bc, o.optimizer, o.d)
			if err != nil {
				return nil, fmt.Errorf("bench %v batch %d: %w", bc.Schedule, bc.Batch, err)
			}
			results[i] = append(results[i], r)
		}
	}
	if prof != nil {
		pprof.StopCPUProfile()
		if err := prof.Commit(); err != nil {
			return nil, err
		}
	}
	for i, bc := range cases {
		rs := results[i]
		slices.SortFunc(rs, func(a, b train.BenchResult) int { return cmp.Compare(a.FramesPerSec, b.FramesPerSec) })
		r := rs[len(rs)/2]
		peak := rep.Peak.All
		if bc.Threads() == 1 {
			peak = rep.Peak.One
		}
		rep.Train = append(rep.Train, benchTrainRow{
			Schedule: string(bc.Schedule.Kind), K1: bc.Schedule.K1, K2: bc.Schedule.K2, Batch: bc.Batch,
			Hidden: net.Hidden, Inputs: net.Inputs, FramesPerSec: r.FramesPerSec,
			GFLOPs: r.FLOPsPerSec / 1e9, PeakShare: r.FLOPsPerSec / 1e9 / peak, threads: bc.Threads(),
		})
	}
	if o.pytorch {
		rep.PyTorch = benchVsPyTorch(ctx, rep.Train, o.d)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rt, err := benchExtract(o.d)
	if err != nil {
		return nil, err
	}
	rep.Extract.RealtimeFactor = rt
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The phone decoders on one core, to set beside the network's rate.
	if rep.Decode, err = eval.BenchDecoders(o.d, rand.New(rand.NewPCG(13, 13))); err != nil {
		return nil, err
	}
	if l := loadAvg(); l != "" {
		rep.Load += " → " + l
	}
	return rep, nil
}

// loadAvg returns the 1-, 5- and 15-minute load averages, or "" where
// /proc/loadavg cannot be read.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// pythonWithTorch returns the first interpreter that imports torch:
// $PHONEME_PYTHON if set (and only it), else python3 on the PATH, else
// /usr/bin/python3 (Debian's python3-torch), or "" and why none did.
func pythonWithTorch(ctx context.Context) (string, string) {
	cands := []string{"python3", "/usr/bin/python3"}
	if p := os.Getenv("PHONEME_PYTHON"); p != "" {
		cands = []string{p}
	}
	for _, p := range cands {
		if exec.CommandContext(ctx, p, "-c", "import torch").Run() == nil {
			return p, ""
		}
	}
	return "", fmt.Sprintf("none of %s imports torch (apt-get install python3-torch, or set PHONEME_PYTHON)", strings.Join(cands, ", "))
}

// benchVsPyTorch measures PyTorch on rows with the embedded script, sets
// each row's PyTorch figure, and returns the torch version measured or
// why nothing was (the column is then left out).
func benchVsPyTorch(ctx context.Context, rows []benchTrainRow, d time.Duration) string {
	py, why := pythonWithTorch(ctx)
	if py == "" {
		return why
	}
	net := train.BenchNetwork()
	type row struct {
		Schedule string `json:"schedule"`
		K1       int    `json:"k1"`
		K2       int    `json:"k2"`
		Batch    int    `json:"batch"`
	}
	spec := struct {
		Seconds float64 `json:"seconds"`
		Threads []int   `json:"threads"`
		Inputs  int     `json:"inputs"`
		Hidden  int     `json:"hidden"`
		Outputs int     `json:"outputs"`
		Rows    []row   `json:"rows"`
	}{d.Seconds(), []int{1, 2}, net.Inputs, net.Hidden, net.Outputs, nil}
	for _, r := range rows {
		spec.Rows = append(spec.Rows, row{r.Schedule, r.K1, r.K2, r.Batch})
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return err.Error()
	}
	cmd := exec.CommandContext(ctx, py, "-c", benchPyTorch)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Sprintf("the PyTorch script failed under %s: %v: %s", py, err, strings.TrimSpace(lastLine(stderr.String())))
	}
	var res struct {
		Version      string    `json:"version"`
		FramesPerSec []float64 `json:"frames_per_sec"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.FramesPerSec) != len(rows) {
		return fmt.Sprintf("the PyTorch script's output is not %d figures: %q", len(rows), out)
	}
	for i := range rows {
		rows[i].PyTorch = &res.FramesPerSec[i]
	}
	return "PyTorch " + res.Version + " (" + py + "), faster of 1 and 2 threads, measured now"
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (r *benchReport) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	withPT := len(r.Train) > 0 && r.Train[0].PyTorch != nil
	head := "schedule\tk1\tk2\tbatch\tthreads\tframes/s\tGFLOP/s\tof peak\t"
	if withPT {
		head += "PyTorch frames/s\t"
	}
	fmt.Fprintln(tw, head)
	for _, row := range r.Train {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.0f\t%.1f\t%.1f %%\t", row.Schedule, tbptt.K1String(row.K1), tbptt.K2String(row.K2),
			row.Batch, row.threads, row.FramesPerSec, row.GFLOPs, 100*row.PeakShare)
		if withPT {
			fmt.Fprintf(tw, "%.0f\t", *row.PyTorch)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	net := train.BenchNetwork()
	fwd, bwd := train.FrameFLOPs(net)
	fmt.Fprintf(w, "\nfloat32 FMA peak (register-only loop, best of 3): %.1f GFLOP/s on one thread, %.1f on all %d\n",
		r.Peak.One, r.Peak.All, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "network %d → LSTM %d → %d, float32, %s at every update; %d + %d FLOPs per forward + backward frame; kernels %s\n",
		net.Inputs, net.Hidden, net.Outputs, r.Optimizer, fwd, bwd, f32.Implementation())
	fmt.Fprintf(w, "median of %d interleaved runs per row; batch-1 rows against the one-thread peak, others against all threads'\n", r.Runs)
	if r.PyTorch != "" {
		fmt.Fprintf(w, "PyTorch: %s\n", r.PyTorch)
	}
	if r.Load != "" {
		fmt.Fprintf(w, "load average (1, 5, 15 min) before → after: %s\n", r.Load)
	}
	fmt.Fprintf(w, "extraction (MFCC + deltas, synthetic audio, all cores): %.0f× real time\n", r.Extract.RealtimeFactor)
	_, err := fmt.Fprintf(w, "phone decoding (one core, median of %d rounds of %d frames): greedy %.0f frames/s, Viterbi phone loop %.0f frames/s\n",
		r.Decode.Rounds, r.Decode.Frames, r.Decode.Greedy, r.Decode.Viterbi)
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
			// At least one utterance each, however late the goroutine
			// starts on a loaded machine: a rate of 0 would be no rate.
			for i := w; ; i++ {
				u := utts[i%len(utts)]
				if _, err := e.Compute(u); err != nil {
					errs[w] = err
					return
				}
				samples.Add(int64(len(u)))
				if time.Since(start) >= d {
					break
				}
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
