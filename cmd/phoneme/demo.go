package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/tbptt/compare"
	"github.com/phoneme/phoneme/tbptt/train"
)

// demoSchedules are the three schedules the demo compares: one update per
// sentence, one per frame without unrolling, and truncated BPTT.
const demoSchedules = "sentence,frame:k2=1,tbptt:k1=20:k2=20"

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the whole pipeline on the built-in synthetic corpus: extract, train three schedules, compare",
		Description: `Extracts the small phone-labelled corpus built into phoneme (52 utterances of
synthetic speech from two Festival voices, see data/demo/README.md), trains a
128-cell LSTM with each of the schedules ` + demoSchedules + `
and prints the comparison table and the paths of its plots.

It is a smoke test of the whole pipeline and a first look at how the schedules
differ on clean speech, not a substitute for TIMIT. Running it again reuses the
extracted features and finished runs in --out.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "phoneme-demo", Usage: "output folder"},
			&cli.IntFlag{Name: "epochs", Value: 20, Usage: "passes over the training data per schedule"},
			&cli.StringFlag{Name: "seeds", Value: "1", Usage: "comma-separated seeds"},
			&cli.IntFlag{Name: "jobs", Usage: "runs trained at once (default: number of CPUs)"},
		},
		Action: runDemo,
	}
}

func runDemo(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Present() {
		return usagef("demo takes no arguments, got %q", cmd.Args().First())
	}
	if cmd.Int("epochs") < 1 {
		return usagef("--epochs %d: must be at least 1", cmd.Int("epochs"))
	}
	seeds, err := parseSeeds(cmd.String("seeds"))
	if err != nil {
		return usagef("--seeds: %v", err)
	}
	out := cmd.String("out")
	feats := filepath.Join(out, "features")
	w := cmd.Root().Writer

	// Extract once: a finished extraction is recognised by its manifests
	// (they are renamed into place last).
	if _, err := os.Stat(filepath.Join(feats, data.Test, "manifest.json")); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(w, "demo: extracting the built-in corpus into %s\n", feats)
		opts := data.ExtractOptions{
			Layout:   data.LayoutFlat,
			Features: features.DefaultConfig(),
			Split: data.SplitOptions{
				DevSpeakers:  data.DemoDevSpeakers(),
				TestSpeakers: data.DemoTestSpeakers(),
			},
			Corpus: "built-in demo corpus",
		}
		sum, err := extractWithProgress(ctx, data.DemoCorpus(), feats, opts)
		if err != nil {
			return err
		}
		if err := sum.WriteTable(w); err != nil {
			return err
		}
	} else if err != nil {
		return err
	} else {
		fmt.Fprintf(w, "demo: reusing the features in %s\n", feats)
	}

	splits, err := loadSplits(feats, data.Train, data.Dev, data.Test)
	if err != nil {
		return err
	}
	specs, err := compare.ParseSpecs(demoSchedules)
	if err != nil {
		return err
	}
	base := train.DefaultConfig()
	base.Epochs = cmd.Int("epochs")
	base.LR = 0 // the optimizer's default
	cfg := compare.Config{
		Train: splits[data.Train], Dev: splits[data.Dev], Test: splits[data.Test], Data: feats,
		Schedules: specs, Seeds: seeds, Base: base,
		Out: filepath.Join(out, "compare"), Jobs: cmd.Int("jobs"), Command: os.Args,
	}
	if err := runComparison(ctx, cmd, cfg); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nThe corpus is synthetic speech: read the table as a smoke test of the pipeline,\nnot as TIMIT results (see README.md for those).\n")
	return nil
}
