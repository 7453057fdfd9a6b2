package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/internal/plot"
	"github.com/phoneme/phoneme/lstm"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "score a trained model on an extracted split: frame error rates, per-phone table, confusions",
		Description: `Runs the model over every sentence of the split (raw features from phoneme
extract, normalised with the CMVN stored in the model) and prints the frame
error rate over the 61 TIMIT phones and after Lee & Hon folding to 39 classes,
the number of frames scored, and the phones recognised worst.

Scoring: frames outside every phone segment are not scored; with the model's
target delay D, output t is scored against the label of frame t−D. For the
39-class score both reference and hypothesis are folded; frames whose
reference is q are not scored, and a hypothesis q (which has no class) counts
as an error.

A model that does not fit the data is refused with one line saying what
differs: input dimension, outputs or phone list, feature configuration,
normalisation (CMVN) statistics, target delay, or a sentence's features or
labels.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "model checkpoint (from phoneme train)", Required: true},
			&cli.StringFlag{Name: "data", Usage: "split folder written by phoneme extract, e.g. feats/test", Required: true},
			&cli.StringFlag{Name: "json", Usage: "write the full report (fer61, fer39, frames, per-phone tables, confusion matrices) as JSON to `FILE` (- for stdout)"},
			&cli.StringFlag{Name: "confusion", Usage: "write the confusion matrix as CSV to `FILE` (rows: reference, columns: hypothesis)"},
			&cli.StringFlag{Name: "plot", Usage: "draw the row-normalised confusion matrix to `FILE` (.png or .svg)"},
			&cli.IntFlag{Name: "fold", Value: 61, Usage: "phone set of --confusion and --plot: 61 or 39"},
			&cli.IntFlag{Name: "worst", Value: 10, Usage: "phones listed in the summary, lowest accuracy first"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return usagef("eval takes no arguments, got %q", cmd.Args().First())
			}
			fold := cmd.Int("fold")
			if fold != 61 && fold != 39 {
				return usagef("--fold must be 61 or 39, got %d", fold)
			}
			if p := cmd.String("plot"); p != "" {
				if ext := strings.ToLower(filepath.Ext(p)); ext != ".png" && ext != ".svg" {
					return usagef("--plot %s: want a .png or .svg file", p)
				}
			}
			if cmd.Int("worst") < 0 {
				return usagef("--worst must not be negative")
			}
			m, md, err := lstm.Load(cmd.String("model"))
			if err != nil {
				return err
			}
			split, err := loadSplit(cmd.String("data"))
			if err != nil {
				return err
			}
			if err := eval.CheckModel(cmd.String("model"), m, md, split); err != nil {
				return err
			}
			rep, err := eval.EvaluateModel(m, md, split)
			if err != nil {
				return fmt.Errorf("%s on %s: %w", cmd.String("model"), split.Dir, err)
			}
			out := cmd.Root().Writer
			// With --json -, standard output carries the JSON alone (as bench
			// --json does); the summary goes to standard error.
			summary := out
			if cmd.String("json") == "-" {
				summary = errWriter(cmd)
			}
			if err := rep.WriteText(summary, cmd.Int("worst")); err != nil {
				return err
			}
			if p := cmd.String("json"); p == "-" {
				if err := rep.WriteJSON(out); err != nil {
					return err
				}
			} else if p != "" {
				if err := atomicfile.WriteFile(p, rep.WriteJSON); err != nil {
					return err
				}
			}
			conf, size := rep.Confusion61, plot.ConfusionSize61
			if fold == 39 {
				conf, size = rep.Confusion39, plot.ConfusionSize39
			}
			if p := cmd.String("confusion"); p != "" {
				if err := atomicfile.WriteFile(p, conf.WriteCSV); err != nil {
					return err
				}
			}
			if p := cmd.String("plot"); p != "" {
				title := fmt.Sprintf("%s on %s: FER-%d %.1f%%", filepath.Base(cmd.String("model")), split.Dir, fold, 100*conf.ErrorRate())
				pl, err := plot.Confusion(conf.Labels, conf.Counts, conf.Unmapped, title)
				if err != nil {
					return err
				}
				if err := plot.Save(pl, p, size, size); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
