package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/internal/plot"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "score a trained model on an extracted split: frame and phone error rates, per-phone table, confusions",
		Description: `Runs the model over every sentence of the split (raw features from phoneme
extract, normalised with the CMVN stored in the model) and prints the frame
error rate over the 61 TIMIT phones and after Lee & Hon folding to 39 classes,
the number of frames scored, and the phones recognised worst.

Scoring: frames outside every phone segment are not scored; with the model's
target delay D, output t is scored against the label of frame t−D. For the
39-class score both reference and hypothesis are folded; frames whose
reference is q are not scored, and a hypothesis q (which has no class) counts
as an error.

Phone error rate (PER): the frame posteriors are decoded into a phone string
(--decode greedy: the arg-max of each frame, repeats merged; --decode viterbi:
a phone-loop hybrid decoder with minimum durations, a phone bigram and tuned
weights) and aligned with the split's reference phone strings (its text file)
by Levenshtein distance: PER = (substitutions + deletions + insertions) /
reference phones, over 61 phones and over 39 classes (both sides folded as for
FER-39, q removed, as in Kaldi's TIMIT recipe). --tune-decoder computes the
Viterbi decoder's statistics from the training split (--train, by default the
train folder beside --data), tunes its three weights on --data (use the dev
split) and saves them beside the model as NAME.decoder.json; from then on
Viterbi decoding is the default. Without a decoder file the default is greedy.

A model that does not fit the data is refused with one line saying what
differs: input dimension, outputs or phone list, feature configuration,
normalisation (CMVN) statistics, target delay, or a sentence's features or
labels.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "model checkpoint (from phoneme train)", Required: true},
			&cli.StringFlag{Name: "data", Usage: "split folder written by phoneme extract, e.g. feats/test", Required: true},
			&cli.StringFlag{Name: "json", Usage: "write the full report (fer61, fer39, frames, per39, per61, subs, dels, ins, ref_phones, decoder, per_speaker, per-phone tables, confusion matrices) as JSON to `FILE` (- for stdout)"},
			&cli.StringFlag{Name: "confusion", Usage: "write the confusion matrix as CSV to `FILE` (rows: reference, columns: hypothesis)"},
			&cli.StringFlag{Name: "plot", Usage: "draw the row-normalised confusion matrix to `FILE` (.png or .svg)"},
			&cli.IntFlag{Name: "fold", Value: 61, Usage: "phone set of --confusion and --plot: 61 or 39"},
			&cli.IntFlag{Name: "worst", Value: 10, Usage: "phones listed in the summary, lowest accuracy first"},
			&cli.StringFlag{Name: "decode", Usage: "phone decoder for PER: greedy or viterbi (default: viterbi when the model has a decoder file NAME.decoder.json, else greedy)"},
			&cli.BoolFlag{Name: "tune-decoder", Usage: "compute the Viterbi decoder's statistics from --train, tune its weights on --data (the dev split) and save them as NAME.decoder.json"},
			&cli.StringFlag{Name: "train", Usage: "training split of the model, for --tune-decoder (default: the train folder beside --data)"},
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
			kind := eval.Greedy
			if cmd.IsSet("decode") {
				k, err := eval.ParseDecoderKind(cmd.String("decode"))
				if err != nil {
					return usagef("--decode: %v", err)
				}
				kind = k
			}
			if cmd.IsSet("train") && !cmd.Bool("tune-decoder") {
				return usagef("--train is used only with --tune-decoder")
			}
			if cmd.Bool("tune-decoder") && cmd.IsSet("decode") && kind != eval.Viterbi {
				return usagef("--tune-decoder tunes the Viterbi decoder; --decode %s contradicts it", cmd.String("decode"))
			}
			m, md, err := lstm.Load(cmd.String("model"))
			if err != nil {
				return err
			}
			split, err := loadSplit(cmd.String("data"))
			if err != nil {
				return err
			}
			modelPath := cmd.String("model")
			if err := eval.CheckModel(modelPath, m, md, split); err != nil {
				return err
			}
			out := cmd.Root().Writer
			// With --json -, standard output carries the JSON alone (as bench
			// --json does); the summary goes to standard error.
			summary := out
			if cmd.String("json") == "-" {
				summary = errWriter(cmd)
			}
			var dec *eval.Decoding
			switch {
			case cmd.Bool("tune-decoder"):
				if split.Manifest.Split == data.Test {
					// Weights chosen on test would make its PER a tuned figure.
					return usagef("--tune-decoder on the test split %s: tune on dev (DIR/dev) and score test afterwards", split.Dir)
				}
				trainDir := cmd.String("train")
				if trainDir == "" {
					trainDir = filepath.Join(filepath.Dir(filepath.Clean(split.Dir)), "train")
				}
				d, err := tuneDecoder(modelPath, m, md, split, trainDir, summary)
				if err != nil {
					return err
				}
				dec = &d
			case cmd.IsSet("decode") || hasDecoderFile(modelPath):
				if !cmd.IsSet("decode") {
					kind = eval.Viterbi
				}
				d, df, err := loadDecoding(modelPath, kind)
				if err != nil {
					return err
				}
				dec = &d
				if df != nil && df.Tuning == nil {
					fmt.Fprintf(summary, "Viterbi decoder with default weights (not tuned): phoneme eval --model %s --data DIR/dev --tune-decoder tunes them\n", modelPath)
				}
			default:
				g := eval.Decoding{Kind: eval.Greedy}
				dec = &g
			}
			if err := split.CheckText(); err != nil {
				if cmd.IsSet("decode") || cmd.Bool("tune-decoder") {
					return err
				}
				// An old split still gets its frame error rates.
				dec = nil
				fmt.Fprintf(summary, "PER not computed: %v\n", err)
			}
			var rep *eval.Report
			if dec != nil {
				rep, err = eval.EvaluateModelPER(m, md, split, *dec)
			} else {
				rep, err = eval.EvaluateModel(m, md, split)
			}
			if err != nil {
				return fmt.Errorf("%s on %s: %w", modelPath, split.Dir, err)
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

// decoderFile is where the Viterbi decoder of the model at path is saved:
// NAME.decoder.json beside NAME.safetensors.
func decoderFile(model string) string {
	return strings.TrimSuffix(model, filepath.Ext(model)) + ".decoder.json"
}

func hasDecoderFile(model string) bool {
	_, err := os.Stat(decoderFile(model))
	return err == nil
}

// fileSHA256 returns the hex SHA-256 of a file's contents.
func fileSHA256(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(b)), nil
}

// loadDecoding returns the decoder of kind for the model at path: greedy
// needs nothing; Viterbi reads the model's decoder file, which must have
// been made for this very checkpoint, and returns it too (nil for greedy).
func loadDecoding(model string, kind eval.DecoderKind) (eval.Decoding, *eval.DecoderFile, error) {
	if kind != eval.Viterbi {
		return eval.Decoding{Kind: kind}, nil, nil
	}
	df, err := readDecoderFile(model)
	if err != nil {
		return eval.Decoding{}, nil, err
	}
	g, err := eval.NewPhoneLoop(df.Stats, df.Weights)
	if err != nil {
		return eval.Decoding{}, nil, fmt.Errorf("%s: %w", decoderFile(model), err)
	}
	return eval.Decoding{Kind: eval.Viterbi, Loop: g}, df, nil
}

// readDecoderFile reads the decoder file of the model at path and checks
// that it was made for this very checkpoint.
func readDecoderFile(model string) (*eval.DecoderFile, error) {
	path := decoderFile(model)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no Viterbi decoder (%s missing): run phoneme eval --model %s --data DIR/dev --tune-decoder first", model, path, model)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	df, err := eval.ReadDecoderFile(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	sum, err := fileSHA256(model)
	if err != nil {
		return nil, err
	}
	if df.Model != sum {
		return nil, fmt.Errorf("%s was made for another version of %s (the checkpoint changed since): run phoneme eval --model %s --data DIR/dev --tune-decoder again", path, model, model)
	}
	return df, nil
}

// saveDecoderStats writes the decoder file of a freshly trained model: the
// statistics of its training split with the default weights, so that eval
// and classify can decode with Viterbi from the model alone; eval
// --tune-decoder later replaces the weights by ones tuned on dev.
func saveDecoderStats(model string, train *data.Split) (string, error) {
	st, err := eval.ComputeDecoderStats(train)
	if err != nil {
		return "", err
	}
	sum, err := fileSHA256(model)
	if err != nil {
		return "", err
	}
	trainAbs, _ := filepath.Abs(train.Dir)
	df := &eval.DecoderFile{Format: eval.DecoderFormat, Model: sum, Train: trainAbs, Stats: st, Weights: eval.DefaultDecoderWeights()}
	path := decoderFile(model)
	return path, atomicfile.WriteFile(path, df.WriteJSON)
}

// tuneDecoder computes the decoder statistics of the model's training
// split, tunes the weights on dev, saves the decoder file beside the model
// and returns the tuned decoder.
func tuneDecoder(model string, m *lstm.Model, md *lstm.Metadata, dev *data.Split, trainDir string, w io.Writer) (eval.Decoding, error) {
	if err := dev.CheckText(); err != nil {
		return eval.Decoding{}, err
	}
	train, err := loadSplit(trainDir)
	if err != nil {
		return eval.Decoding{}, fmt.Errorf("training split for the decoder statistics: %w", err)
	}
	if train.Manifest.Split != data.Train {
		return eval.Decoding{}, usagef("--train %s is the %s split, not a training split", trainDir, train.Manifest.Split)
	}
	// The statistics must be those of the data the model learnt from: the
	// training split's CMVN is the one stored in the model.
	if err := eval.CheckModel(model, m, md, train); err != nil {
		return eval.Decoding{}, fmt.Errorf("decoder statistics from %s: %w", trainDir, err)
	}
	st, err := eval.ComputeDecoderStats(train)
	if err != nil {
		return eval.Decoding{}, err
	}
	t0 := time.Now()
	lps, err := eval.LogPosteriors(m, md, dev)
	if err != nil {
		return eval.Decoding{}, err
	}
	netTime := time.Since(t0)
	var frames int
	for _, lp := range lps {
		frames += len(lp) / labels.NumPhones
	}
	refs := make([][]int32, len(dev.Sentences))
	for i, s := range dev.Sentences {
		refs[i] = s.Phones
	}
	greedy, err := eval.DecodePER(lps, refs, eval.Decoding{Kind: eval.Greedy})
	if err != nil {
		return eval.Decoding{}, err
	}
	g0, err := eval.NewPhoneLoop(st, eval.DefaultDecoderWeights())
	if err != nil {
		return eval.Decoding{}, err
	}
	def, err := eval.DecodePER(lps, refs, eval.Decoding{Kind: eval.Viterbi, Loop: g0})
	if err != nil {
		return eval.Decoding{}, err
	}
	grid := eval.DefaultTuneGrid()
	t0 = time.Now()
	pts, best, err := eval.TuneDecoder(st, lps, refs, grid)
	if err != nil {
		return eval.Decoding{}, err
	}
	tuneTime := time.Since(t0)
	bw := pts[best].Weights
	fmt.Fprintf(w, "decoder tuned on %s (%d utterances, %d grid points): PER-39 %.2f%% greedy, %.2f%% Viterbi with default weights, %.2f%% with prior scale %g, LM weight %g, insertion penalty %g\n",
		dev.Dir, len(dev.Sentences), len(pts), 100*greedy.Rate(), 100*def.Rate(), 100*pts[best].PER39, bw.PriorScale, bw.LMWeight, bw.InsertionPenalty)
	for _, v := range []struct {
		name string
		vals []float64
		get  func(eval.DecoderWeights) float64
	}{
		{"prior scale", grid.PriorScale, func(w eval.DecoderWeights) float64 { return w.PriorScale }},
		{"LM weight", grid.LMWeight, func(w eval.DecoderWeights) float64 { return w.LMWeight }},
		{"insertion penalty", grid.InsertionPenalty, func(w eval.DecoderWeights) float64 { return w.InsertionPenalty }},
	} {
		// The best PER-39 at each value of one weight, the others free: how
		// flat the optimum is.
		fmt.Fprintf(w, "  best dev PER-39 by %s:", v.name)
		for _, x := range v.vals {
			b := math.Inf(1)
			for _, p := range pts {
				if v.get(p.Weights) == x {
					b = math.Min(b, p.PER39)
				}
			}
			fmt.Fprintf(w, " %g: %.1f%%", x, 100*b)
		}
		fmt.Fprintln(w)
	}
	// Both on every core: the decoder's speed beside the network's.
	fmt.Fprintf(w, "  speed: network %.0f frames/s, Viterbi decoder %.0f frames/s (%d frames × %d grid points in %.1f s)\n",
		float64(frames)/netTime.Seconds(), float64(frames*len(pts))/tuneTime.Seconds(), frames, len(pts), tuneTime.Seconds())
	sum, err := fileSHA256(model)
	if err != nil {
		return eval.Decoding{}, err
	}
	trainAbs, _ := filepath.Abs(trainDir)
	devAbs, _ := filepath.Abs(dev.Dir)
	df := &eval.DecoderFile{
		Format: eval.DecoderFormat, Model: sum, Train: trainAbs, Stats: st, Weights: bw,
		Tuning: &eval.TuneSummary{Data: devAbs, Utterances: len(dev.Sentences), Points: len(pts), PER39: pts[best].PER39, GreedyPER: greedy.Rate(), DefaultPER: def.Rate()},
	}
	path := decoderFile(model)
	if err := atomicfile.WriteFile(path, df.WriteJSON); err != nil {
		return eval.Decoding{}, err
	}
	fmt.Fprintf(w, "decoder saved to %s\n", path)
	g, err := eval.NewPhoneLoop(st, bw)
	if err != nil {
		return eval.Decoding{}, err
	}
	return eval.Decoding{Kind: eval.Viterbi, Loop: g}, nil
}
