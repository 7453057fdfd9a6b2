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
	"github.com/phoneme/phoneme/internal/progress"
	"github.com/phoneme/phoneme/tbptt/train"
)

func trainCommand() *cli.Command {
	return &cli.Command{
		Name:      "train",
		Usage:     "train an LSTM frame classifier under an update schedule",
		ArgsUsage: " ",
		Description: `Trains a unidirectional LSTM (softmax over the 61 TIMIT phones per frame) on
DIR/train and scores DIR/dev after every epoch (DIR as written by phoneme
extract). Writes the best-dev checkpoint to --out, the last one beside it
(NAME.last.safetensors), one line per epoch to NAME.log.jsonl and NAME.log.csv,
and a resumable state NAME.resume at every epoch end and on Ctrl-C/SIGTERM;
--resume continues it to the same weights an uninterrupted run reaches.

Schedules (TBPTT(k1, k2): an update every k1 frames and at each sentence's
end, errors back-propagated through at most k2 frames):
  sentence            TBPTT(n, n): one update per sentence, full BPTT
  frame [--k2 K]      TBPTT(1, K): an update every frame; K = all by default
  tbptt --k1 K1 [--k2 K2] [--truncation window|per-error|chunk]

Losses are summed over an update's frames (not averaged), so an SGD learning
rate means the same under every schedule; an Adam step is about lr per update,
so with Adam a schedule with more updates moves further per epoch (tune lr per
schedule: phoneme compare --tune lr=...). Default: Adam with lr 1e-3 (on the 64-utterance TIMIT
sample, dev FER61 ≈ 55% after 10 epochs per sentence). Graves & Schmidhuber
(2005) used --optimizer sgd --lr 1e-5 --momentum 0.9 with summed losses on the
full corpus, so that is the SGD default; on small data SGD needs about 1e-4.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "folder with train/ and dev/ from phoneme extract", Required: true},
			&cli.StringFlag{Name: "out", Usage: "model checkpoint to write (.safetensors)", Required: true},
			&cli.BoolFlag{Name: "resume", Usage: "continue the run saved beside --out"},
			&cli.BoolFlag{Name: "force", Usage: "replace an earlier run at --out (its files are kept until the new run's first epoch ends)"},
		}, optionFlags(train.TrainOnly, train.Shared)...),
		Action: runTrain,
	}
}

func runTrain(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Present() {
		return usagef("train takes no arguments, got %q", cmd.Args().First())
	}
	cfg := train.DefaultConfig()
	cfg.LR = 0 // unless --lr: the default of the optimizer chosen
	if err := readOptionFlags(cmd, &cfg, train.TrainOnly, train.Shared); err != nil {
		return err
	}
	if cfg.LR == 0 {
		cfg.LR = train.DefaultLR(cfg.Optimizer)
	}
	if cfg.MaxUpdates > 0 && !cmd.IsSet("epochs") {
		cfg.Epochs = 0 // --max-updates alone: as many epochs as it takes
	}
	cfg.Resume = cmd.Bool("resume")
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if err := checkInitShape(cmd, cfg); err != nil {
		return err
	}

	out := cmd.String("out")
	if filepath.Ext(out) != ".safetensors" {
		return usagef("--out %s: the model file must end in .safetensors", out)
	}
	if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
		return usagef("--out %s: folder %s does not exist", out, filepath.Dir(out))
	}
	if cfg.Resume && !train.Resumable(out) {
		return usagef("--resume: no saved run at %s", train.ResumePath(out))
	}
	if !cfg.Resume && !cmd.Bool("force") {
		// Nothing the user made is replaced without asking.
		jsonl, csv := train.LogPaths(out)
		for _, p := range []string{out, train.LastPath(out), train.ResumePath(out), jsonl, csv} {
			if _, err := os.Stat(p); err == nil {
				return usagef("--out %s: a run is already there (%s); continue it with --resume or replace it with --force", out, filepath.Base(p))
			}
		}
	}
	// The training split is streamed from feats.ark (memory bounded by a
	// few batches, not the corpus); dev stays in memory for scoring.
	splits, err := loadSplitsWith(func(s string) bool { return s == data.Train }, cmd.String("data"), data.Train, data.Dev)
	if err != nil {
		return err
	}
	trainSplit, dev := splits[data.Train], splits[data.Dev]
	defer trainSplit.Archives.Close()

	w := cmd.Root().Writer
	errw := errWriter(cmd)
	fmt.Fprintf(w, "train %s: %d utterances (%d frames), dev %d utterances; %s, %s lr %g\n",
		out, len(trainSplit.Sentences), trainSplit.Frames(), len(dev.Sentences), scheduleName(cfg), cfg.Optimizer, cfg.LR)
	var bar *progress.Bar
	hooks := train.Hooks{
		EpochStart: func(epoch int, frames int64) {
			label := "epoch " + strconv.Itoa(epoch)
			if cfg.Epochs > 0 {
				label += "/" + strconv.Itoa(cfg.Epochs)
			}
			bar = progress.New(errw, label, frames, "frames")
		},
		Progress: func(frames int64) { bar.Add(frames) },
		EpochEnd: func(e train.EpochLog) {
			if bar != nil {
				bar.Done()
				bar = nil
			}
			printEpoch(w, e)
		},
	}
	res, err := train.Run(ctx, cfg, trainSplit, dev, out, hooks)
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return err
	}
	if res.BestEpoch > 0 {
		fmt.Fprintf(w, "done (%s): %d updates; best dev FER61 %s FER39 %s at epoch %d -> %s (last: %s)\n",
			res.Stopped, res.Updates, pct(res.BestDevFER61), pct(res.BestDevFER39), res.BestEpoch, res.Path, res.LastPath)
		// The phone decoder's statistics come from the data the model
		// learnt from; a split extracted before text files existed has none.
		if err := trainSplit.CheckText(); err != nil {
			fmt.Fprintf(w, "no Viterbi decoder statistics: %v\n", err)
		} else {
			path, err := saveDecoderStats(res.Path, trainSplit)
			if err != nil {
				return fmt.Errorf("decoder statistics for %s: %w", res.Path, err)
			}
			fmt.Fprintf(w, "decoder statistics (default weights) -> %s; tune them with phoneme eval --model %s --data DIR/dev --tune-decoder\n", path, res.Path)
		}
	}
	return nil
}

// checkInitShape refuses shape flags given explicitly beside --init that
// differ from the checkpoint's network, which would otherwise be ignored:
// the shape comes from the checkpoint.
func checkInitShape(cmd *cli.Command, cfg train.Config) error {
	conflicts, err := train.InitShapeConflicts(cfg, cmd.IsSet)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	var diffs []string
	for _, c := range conflicts {
		switch c.Option {
		case "hidden":
			diffs = append(diffs, fmt.Sprintf("%d cells per layer, not --hidden %d", c.Checkpoint.Hidden, c.Given.Hidden))
		case "layers":
			layers := "layers"
			if c.Checkpoint.Layers == 1 {
				layers = "layer"
			}
			diffs = append(diffs, fmt.Sprintf("%d %s, not --layers %d", c.Checkpoint.Layers, layers, c.Given.Layers))
		case "peepholes":
			has := "no peepholes"
			if c.Checkpoint.Peepholes {
				has = "peepholes"
			}
			diffs = append(diffs, fmt.Sprintf("%s, not --peepholes=%t", has, c.Given.Peepholes))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return usagef("--init %s: the checkpoint's network has %s (the shape comes from --init: leave out --hidden, --layers and --peepholes or give its values)",
		cfg.Init, strings.Join(diffs, " and "))
}

func scheduleName(c train.Config) string {
	var b strings.Builder
	b.WriteString(string(c.Schedule))
	if c.K1 != 0 {
		fmt.Fprintf(&b, " k1=%d", c.K1)
	}
	if c.K2 != "" {
		fmt.Fprintf(&b, " k2=%s", c.K2)
	}
	if c.Truncation != "" && c.Truncation != "window" {
		fmt.Fprintf(&b, " %s", c.Truncation)
	}
	if c.K2Schedule != "" {
		fmt.Fprintf(&b, " k2-schedule=%s", c.K2Schedule)
	}
	return b.String()
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return strconv.FormatFloat(100*x, 'f', 2, 64) + "%"
}

// printEpoch writes the one-line summary of an epoch.
func printEpoch(w io.Writer, e train.EpochLog) {
	mark := ""
	if e.Best {
		mark = "  *"
	}
	if e.Partial {
		mark += "  (partial)"
	}
	if e.K2 != "" {
		mark = "  k2 " + e.K2 + mark
	}
	fmt.Fprintf(w, "epoch %3d  updates %8d  loss %.4f  train FER %s  dev FER61 %s FER39 %s  %.1fs  %.0f fwd frames/s%s\n",
		e.Epoch, e.Updates, e.Loss, pct(e.TrainFER), pct(e.DevFER61), pct(e.DevFER39), e.Seconds, e.FramesPerSecond, mark)
}
