package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/internal/progress"
	"github.com/phoneme/phoneme/tbptt/compare"
	"github.com/phoneme/phoneme/tbptt/train"
)

func compareCommand() *cli.Command {
	def := train.DefaultConfig()
	return &cli.Command{
		Name:      "compare",
		Usage:     "train one network per update schedule and seed, and compare them on test",
		ArgsUsage: " ",
		Description: `Trains a run for every schedule of --schedules and every seed of --seeds on
DIR/train (DIR as written by phoneme extract), keeps each run's best-dev
checkpoint, scores it on DIR/test and writes into --out:

  results.md, results.csv   per schedule, mean ± sd over seeds: k1, k2,
                            truncation, updates, frames forward and backward
                            (re-runs counted), wall time, frames/s, best
                            epoch, dev FER, test FER-61 and FER-39, test
                            PER-39 (--decode; when DIR/test has its text
                            file); best marked
  dev_fer_epoch, dev_fer_time, loss_updates (.png, .svg)   learning curves
  per_utterance.csv         every table run's errors per test and dev utterance
  phone_errors.csv          with PER: every table run's edits per test utterance
  tuning.csv, tuning (.png, .svg)   with --tune: dev FER per schedule and grid
                            point, the chosen point, and edges of the grid
  command.txt, environment.json, compare.json   how to reproduce it
  runs/<schedule>-seed<N>-<hash>/   config.json, model.safetensors (best dev),
                            model.last.safetensors, model.resume, epoch log
                            (model.log.jsonl, .csv) and result.json

For a given seed every run starts from the same weights and sees the data in
the same order; network and optimizer are shared, so the schedule is the only
difference. The hash names the run's resolved configuration and data: a
changed configuration gets a new folder. Running the same command again skips
finished runs and resumes interrupted ones (Ctrl-C saves them).

Schedule list: entries separated by commas, each a schedule followed by
colon-separated options:
  sentence                      one update per sentence, full BPTT
  frame[:k2=K]                  an update every frame, K frames back (all)
  tbptt:k1=K1[:k2=K2]           an update every K1 frames, K2 back (K1)
  :per-error, :chunk, :window   truncation (or :truncation=per-error)
These options may be overridden for one entry as key=value (bare peepholes,
no-peepholes, shuffle, no-shuffle too):
` + perEntryOptions() + `
k2-schedule's steps are joined by "/"
(frame:k2-schedule=1@0/5@2/20@4) or a linear ramp (tbptt:k1=20:k2-schedule=1-20@0-8).
Example:
  sentence,frame:k2=1,frame:k2=20,tbptt:k1=20:k2=20,tbptt:k1=5:k2=20,tbptt:k1=20:k2=5:per-error

--tune lr=1e-4,3e-4,1e-3,3e-3 (repeat for a grid) trains every schedule at every
value and seed and keeps, per schedule, the value with the lowest mean dev FER;
a value at the edge of the grid is flagged with the next one to try. Each
schedule is compared with the best (lowest test FER-39) by a paired bootstrap
over test utterances (--bootstrap speakers: over speakers): the difference, its
95 % interval and the probability of improvement.

Budget, the same for every run: --epochs N (default), --frames-budget F
(frames forward-propagated, re-runs counted, e.g. 5e6 or 5M) or
--time-budget D (wall clock per run, e.g. 10m; not reproducible).` + compareTasksHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "folder with train/, dev/ and test/ from phoneme extract", Required: true},
			&cli.StringFlag{Name: "schedules", Usage: "comma-separated schedule list (see above)", Required: true},
			&cli.StringFlag{Name: "out", Usage: "output folder", Required: true},
			&cli.StringFlag{Name: "seeds", Value: "1", Usage: "comma-separated seeds, e.g. 1,2,3"},
			&cli.IntFlag{Name: "epochs", Value: def.Epochs, Usage: "budget: passes over the training data"},
			&cli.StringFlag{Name: "frames-budget", Usage: "budget: frames forward-propagated per run (re-runs counted), e.g. 5e6 or 5M"},
			&cli.DurationFlag{Name: "time-budget", Usage: "budget: wall-clock time per run, e.g. 10m"},
			&cli.IntFlag{Name: "jobs", Usage: "runs trained at once (default: number of CPUs)"},
			&cli.StringSliceFlag{Name: "tune", Usage: "tune an option per schedule on dev: key=v1,v2,… (repeat for a grid), e.g. lr=1e-4,3e-4,1e-3,3e-3"},
			&cli.StringFlag{Name: "bootstrap", Value: "utterances", Usage: "what the significance test resamples: utterances or speakers of the test set"},
			&cli.StringFlag{Name: "decode", Value: "greedy", Usage: "decoder of the test PER-39 column: greedy, or viterbi (statistics of DIR/train, weights tuned on dev per run; slower)"},
		}, append(optionFlags(train.Shared), compareTaskFlags()...)...),
		Action: runCompare,
		// --tune values are comma-separated lists themselves: one --tune per key.
		DisableSliceFlagSeparator: true,
	}
}

func runCompare(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Present() {
		return usagef("compare takes no arguments, got %q", cmd.Args().First())
	}
	specs, err := compare.ParseSpecs(cmd.String("schedules"))
	if err != nil {
		return usagef("--schedules: %w", err)
	}
	seeds, err := parseSeeds(cmd.String("seeds"))
	if err != nil {
		return usagef("--seeds: %v", err)
	}
	base := train.DefaultConfig()
	base.LR = 0 // each optimizer's default, chosen per run
	if err := readOptionFlags(cmd, &base, train.Shared); err != nil {
		return err
	}
	base.Epochs = cmd.Int("epochs")
	budgets := 0
	for _, f := range []string{"epochs", "frames-budget", "time-budget"} {
		if cmd.IsSet(f) {
			budgets++
		}
	}
	if budgets > 1 {
		return usagef("give one budget: --epochs, --frames-budget or --time-budget")
	}
	if cmd.IsSet("frames-budget") {
		f, err := parseCount(cmd.String("frames-budget"))
		if err != nil {
			return usagef("--frames-budget: %v", err)
		}
		base.Epochs, base.MaxFrames = 0, f
	}
	if cmd.IsSet("time-budget") {
		d := cmd.Duration("time-budget")
		if d <= 0 {
			return usagef("--time-budget %v: must be positive", d)
		}
		base.Epochs, base.MaxSeconds = 0, d.Seconds()
	}
	if base.Epochs < 0 {
		return usagef("--epochs %d: must not be negative", base.Epochs)
	}
	if cmd.IsSet("max-updates") && !cmd.IsSet("epochs") && budgets == 0 {
		base.Epochs = 0 // --max-updates alone is the budget
	}
	if cmd.Int("jobs") < 0 {
		return usagef("--jobs %d: must not be negative", cmd.Int("jobs"))
	}

	dir := cmd.String("data")
	splits, err := loadSplits(dir, data.Train, data.Dev, data.Test)
	if err != nil {
		return err
	}

	var tune []compare.TuneKey
	for _, t := range cmd.StringSlice("tune") {
		k, err := compare.ParseTune(t)
		if err != nil {
			return usagef("--tune: %v", err)
		}
		for _, prev := range tune {
			if prev.Name == k.Name {
				return usagef("--tune: %s given twice", k.Name)
			}
		}
		tune = append(tune, k)
	}
	unit, err := compare.ParseBootstrapUnit(cmd.String("bootstrap"))
	if err != nil {
		return usagef("--bootstrap: %v", err)
	}
	decode, err := eval.ParseDecoderKind(cmd.String("decode"))
	if err != nil {
		return usagef("--decode: %v", err)
	}
	cfg := compare.Config{
		Train: splits[data.Train], Dev: splits[data.Dev], Test: splits[data.Test], Data: dir,
		Schedules: specs, Seeds: seeds, Base: base, Tune: tune, Bootstrap: unit, Decode: decode,
		Out: cmd.String("out"), Jobs: cmd.Int("jobs"), Command: os.Args,
	}
	return runCompareMode(ctx, cmd, cfg)
}

// runComparison runs cfg with a progress bar and prints the table and the
// files written; demo shares it.
func runComparison(ctx context.Context, cmd *cli.Command, cfg compare.Config) error {
	w := cmd.Root().Writer
	errw := errWriter(cmd)
	tty := progress.IsTerminal(errw)
	var bar *progress.Bar
	hooks := compare.Hooks{
		Start: func(p compare.Plan) {
			states := map[compare.RunState]int{}
			for _, r := range p.Runs {
				states[r.State]++
			}
			fmt.Fprintf(w, "compare: %d schedules × %d seeds = %d runs (%d done, %d to resume, %d new) on %d utterances; output in %s\n",
				len(cfg.Schedules), len(cfg.Seeds), len(p.Runs), states[compare.RunDone], states[compare.RunResume], states[compare.RunNew],
				len(cfg.Train.Sentences), cfg.Out)
			bar = progress.New(errw, "compare", p.Total-p.Done, p.Unit.String())
		},
		Progress: func(n int64) { bar.Add(n) },
		RunEnd: func(r compare.RunResult) {
			if tty || r.Err != nil {
				return // the bar owns the terminal; errors come at the end
			}
			fmt.Fprintf(w, "run %s seed %d: %d updates, best epoch %d, dev FER %s, test FER61 %s FER39 %s (%s)\n",
				r.Spec, r.Seed, r.Run.Updates, r.Run.BestEpoch, pct(r.Run.DevFER), pct(r.Run.TestFER61), pct(r.Run.TestFER39), filepath.Base(r.Dir))
		},
	}
	res, err := compare.Run(ctx, cfg, hooks)
	if bar != nil {
		bar.Done()
	}
	if werr := printResult(w, res); werr != nil {
		return werr
	}
	return err
}

// printResult prints the table of res, its notes and the files written.
func printResult(w io.Writer, res *compare.Result) error {
	if res == nil || res.Table == nil {
		return nil
	}
	fmt.Fprintln(w)
	if err := res.Table.WriteText(w); err != nil {
		return err
	}
	for _, n := range res.Table.Notes {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintln(w)
	for _, f := range res.Files {
		fmt.Fprintln(w, "wrote", f)
	}
	return nil
}

// parseSeeds parses a comma-separated list of distinct seeds.
func parseSeeds(s string) ([]uint64, error) {
	var seeds []uint64
	seen := map[uint64]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a seed (a non-negative integer)", f)
		}
		if seen[n] {
			return nil, fmt.Errorf("seed %d given twice", n)
		}
		seen[n] = true
		seeds = append(seeds, n)
	}
	return seeds, nil
}

// parseCount parses a positive count such as 5000000, 5e6 or 5M (k, M, G).
func parseCount(s string) (int64, error) {
	mult := 1.0
	t := strings.TrimSpace(s)
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1e3, strings.TrimSuffix(t, "k")
	case strings.HasSuffix(t, "M"):
		mult, t = 1e6, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"):
		mult, t = 1e9, strings.TrimSuffix(t, "G")
	}
	x, err := strconv.ParseFloat(t, 64)
	x *= mult
	if err != nil || !(x >= 1) || x > math.MaxInt64/2 || x != math.Trunc(x) {
		return 0, fmt.Errorf("%q: want a positive whole number of frames, e.g. 5000000, 5e6 or 5M", s)
	}
	return int64(x), nil
}

// perEntryOptions lists the options a schedule entry may override, from
// their one description.
func perEntryOptions() string {
	var names []string
	for _, o := range train.Options() {
		if o.PerEntry && o.Name != "k1" && o.Name != "k2" && o.Name != "truncation" {
			names = append(names, o.Name)
		}
	}
	// Wrapped at 80 columns like the rest of the help.
	var b strings.Builder
	line := 0
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
			line++
			if line+1+len(n) > 80 {
				b.WriteString("\n")
				line = 0
			} else {
				b.WriteString(" ")
				line++
			}
		}
		b.WriteString(n)
		line += len(n)
	}
	return b.String()
}
