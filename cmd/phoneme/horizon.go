package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/internal/progress"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/horizon"
	"github.com/phoneme/phoneme/tbptt/train"
)

func horizonCommand() *cli.Command {
	return &cli.Command{
		Name:      "horizon",
		Usage:     "measure how far back the error signal reaches, and the smallest k2 that keeps the gradient",
		ArgsUsage: " ",
		Description: `Runs each sentence of the split (the first --max-sentences) through the model
once and measures, at fixed weights:

  - for every scored frame τ and lag d = 0 … --lags, the norms of ∂L_τ/∂h_{τ−d}
    and ∂L_τ/∂c_{τ−d} of every layer (one backward pass of L_τ alone over
    --lags frames): mean and 10/50/90% quantiles over frames;
  - for every k2 of --k2, the truncated weight gradient g(k2) = Σ_τ ∂L_τ/∂θ,
    each error back-propagated through exactly k2 frames (per-error truncation,
    what frame:k2=K computes at fixed weights), against full BPTT g(all):
    relative error ‖g(k2) − g(all)‖/‖g(all)‖ and cosine, summed over the
    sentences (and the mean per-sentence cosine).

It prints the recommendation — the smallest k2 whose gradient keeps cosine ≥
--cosine to full BPTT — and writes into --out: horizon.json, horizon_lags.csv
(per layer and lag), horizon_k2.csv, and the plots horizon_lags (log-scale
norm against lag with the 10–90% band, top layer) and horizon_k2 (relative
error and cosine against k2), as .png and .svg.

A lag d corresponds to k2 = d+1: a k2-frame window ending at τ holds c_τ …
c_{τ−k2+1}. Cost: about (lags + Σ k2) frames back-propagated per frame;
the 39→128→61 network measures about 1,100 frames/s per core with the
defaults.

Without --model, a fresh network is measured (--hidden, --layers,
--peepholes, --seed as phoneme train draws it), its features normalised with
the CMVN of the training split recorded in the split's manifest.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "split folder written by phoneme extract, e.g. feats/dev", Required: true},
			&cli.StringFlag{Name: "out", Usage: "output folder (created if missing)", Required: true},
			&cli.StringFlag{Name: "model", Usage: "model checkpoint (default: a fresh network, see --hidden and --seed)"},
			&cli.IntFlag{Name: "lags", Value: horizon.DefaultLags, Usage: "largest lag d measured"},
			&cli.StringFlag{Name: "k2", Value: "1,2,5,10,20,50,100,all", Usage: "truncations compared with full BPTT"},
			&cli.FloatFlag{Name: "cosine", Value: horizon.DefaultCosine, Usage: "recommend the smallest k2 whose gradient has this cosine to full BPTT"},
			&cli.IntFlag{Name: "max-sentences", Value: 20, Usage: "measure the first N sentences (0: all)"},
			&cli.StringFlag{Name: "title", Usage: "plot title", DefaultText: "the model's file name"},
			&cli.IntFlag{Name: "hidden", Value: 128, Usage: "fresh network: LSTM cells per layer"},
			&cli.IntFlag{Name: "layers", Value: 1, Usage: "fresh network: stacked LSTM layers"},
			&cli.BoolFlag{Name: "peepholes", Usage: "fresh network: peephole connections"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "fresh network: seed of the initial weights (as phoneme train --seed)"},
			&cli.IntFlag{Name: "target-delay", Usage: "fresh network: score the output at frame t against the label of frame t-D"},
		},
		Action: runHorizon,
	}
}

func runHorizon(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Present() {
		return usagef("horizon takes no arguments, got %q", cmd.Args().First())
	}
	k2, err := horizon.ParseK2List(cmd.String("k2"))
	if err != nil {
		return usagef("--k2: %v", err)
	}
	if l := cmd.Int("lags"); l < 1 || l > 100000 {
		return usagef("--lags %d: must be in 1 … 100000 (no error reaches further back than a sentence)", l)
	}
	if c := cmd.Float("cosine"); !(c > -1 && c <= 1) {
		return usagef("--cosine %v: must be in (-1, 1]", c)
	}
	if cmd.Int("max-sentences") < 0 {
		return usagef("--max-sentences must not be negative")
	}
	model := cmd.String("model")
	if model != "" {
		for _, f := range []string{"hidden", "layers", "peepholes", "seed", "target-delay"} {
			if cmd.IsSet(f) {
				return usagef("--%s describes a fresh network; the shape and delay of --model %s are its own", f, model)
			}
		}
	}
	dir := cmd.String("data")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("--data %s is not a folder", dir)
	}
	split, err := loadSplit(dir)
	if err != nil {
		return err
	}
	if len(split.Sentences) == 0 {
		return fmt.Errorf("%s: the split is empty", split.Dir)
	}

	var m *lstm.Model
	var delay int
	var mean, std []float32
	title := cmd.String("title")
	if model != "" {
		var md *lstm.Metadata
		m, md, err = lstm.Load(model)
		if err != nil {
			return err
		}
		if err := eval.CheckModel(model, m, md, split); err != nil {
			return err
		}
		delay, mean, std = md.TargetDelay, md.CMVNMean, md.CMVNStd
		if title == "" {
			title = filepath.Base(model)
		}
	} else {
		man := split.Manifest
		if len(man.CMVNMean) != man.Dim || len(man.CMVNStd) != man.Dim {
			return fmt.Errorf("%s: the manifest holds no training CMVN to normalise with", split.Dir)
		}
		// --seed N measures the network a training run with --seed N
		// starts from.
		m, err = train.InitialModel(lstm.Config{Inputs: man.Dim, Hidden: cmd.Int("hidden"), Layers: cmd.Int("layers"),
			Outputs: labels.NumPhones, Peepholes: cmd.Bool("peepholes")}, cmd.Uint64("seed"))
		if err != nil {
			return usagef("%v", err)
		}
		delay, mean, std = cmd.Int("target-delay"), man.CMVNMean, man.CMVNStd
		if delay < 0 {
			return usagef("--target-delay must not be negative")
		}
		if title == "" {
			title = fmt.Sprintf("untrained %d-cell LSTM, seed %d", cmd.Int("hidden"), cmd.Uint64("seed"))
		}
	}
	split.Normalize(mean, std)

	sents := split.Sentences
	if n := cmd.Int("max-sentences"); n > 0 && len(sents) > n {
		sents = sents[:n]
	}
	var frames int64
	for _, s := range sents {
		frames += int64(s.Feats.Rows)
	}
	out := cmd.String("out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	bar := progress.New(errWriter(cmd), "horizon", frames, "frames")
	rep, err := horizon.Measure(ctx, m, sents, horizon.Config{
		Lags: cmd.Int("lags"), K2: k2, Cosine: cmd.Float("cosine"), TargetDelay: delay,
		Progress: func(n int64) {
			bar.Add(n)
		},
	})
	bar.Done()
	if err != nil {
		return err
	}
	files, err := rep.WriteFiles(out, title)
	if err != nil {
		return err
	}
	w := cmd.Root().Writer
	fmt.Fprintf(w, "%-6s %-10s %-10s %s\n", "k2", "rel.err", "cosine", "sentence cosine")
	for _, k := range rep.K2 {
		name := "all"
		if k.K2 != tbptt.All {
			name = fmt.Sprint(k.K2)
		}
		fmt.Fprintf(w, "%-6s %-10.4f %-10.5f %.5f\n", name, k.RelErr, k.Cosine, k.SentenceCosine)
	}
	fmt.Fprintln(w, rep.Recommendation())
	for _, f := range files {
		fmt.Fprintf(w, "wrote %s\n", f)
	}
	return nil
}
