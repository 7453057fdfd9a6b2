package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/progress"
)

func extractCommand() *cli.Command {
	cfg := features.DefaultConfig()
	return &cli.Command{
		Name:  "extract",
		Usage: "turn a phone-labelled corpus into MFCC features and frame labels (Kaldi archives)",
		Description: `Reads a TIMIT-style corpus (LDC layout with NIST SPHERE audio, the NLTK
sample layout, or a flat folder of <id>.wav + <id>.phn) and writes OUT/train,
OUT/dev and OUT/test, each with feats.ark/feats.scp (raw features), ali.ark
(one TIMIT61 phone index per frame, -1 = excluded), utt2spk, phones.txt and
manifest.json (feature configuration, training-split CMVN, counts, sources).

Splits: LDC: train = TRAIN, dev = the standard 50 speakers, test = the 24
core speakers (--test-set full: every other TEST speaker). Other layouts:
--test-speakers and --dev-speakers; the rest trains. For the NLTK TIMIT sample
the default is test = fvmh0,mcpm0 and dev = faem0,marc0. SA1/SA2 are left out
unless --keep-sa.

Features default to Kaldi's compute-mfcc-feats with dither 0 plus add-deltas
(39 dimensions); every option below is recorded in the manifest.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "corpus", Usage: "corpus folder", Required: true},
			&cli.StringFlag{Name: "out", Usage: "output folder (train/, dev/, test/ are created in it)", Required: true},
			&cli.StringFlag{Name: "layout", Usage: "corpus layout: ldc, nltk, flat (default: detect)"},
			&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "feature workers"},
			&cli.StringFlag{Name: "test-set", Value: "core", Usage: "LDC test set: core (24 speakers) or full"},
			&cli.StringSliceFlag{Name: "test-speakers", Usage: "test speakers, comma separated (e.g. fvmh0,mcpm0)"},
			&cli.StringSliceFlag{Name: "dev-speakers", Usage: "dev speakers, comma separated"},
			&cli.BoolFlag{Name: "keep-sa", Usage: "keep the SA1/SA2 dialect sentences"},
			&cli.BoolFlag{Name: "skip-bad", Usage: "skip bad files (listed in the summary and manifest) instead of stopping"},
			&cli.BoolFlag{Name: "force", Usage: "replace split folders of an earlier run"},
			&cli.BoolFlag{Name: "resample", Usage: "accept audio in any encoding classify reads and at any rate, resampled to --sample-rate (recorded in the manifests)"},

			&cli.IntFlag{Name: "sample-rate", Value: cfg.SampleRate, Destination: &cfg.SampleRate, Usage: "sample rate in Hz the audio must have"},
			&cli.FloatFlag{Name: "frame-length", Value: cfg.FrameLengthMs, Destination: &cfg.FrameLengthMs, Usage: "frame length in ms"},
			&cli.FloatFlag{Name: "frame-shift", Value: cfg.FrameShiftMs, Destination: &cfg.FrameShiftMs, Usage: "frame shift in ms"},
			&cli.FloatFlag{Name: "dither", Value: cfg.Dither, Destination: &cfg.Dither, Usage: "dither (only 0: features are deterministic)"},
			&cli.FloatFlag{Name: "preemph", Value: cfg.PreemphCoeff, Destination: &cfg.PreemphCoeff, Usage: "pre-emphasis coefficient"},
			&cli.BoolFlag{Name: "remove-dc-offset", Value: cfg.RemoveDCOffset, Destination: &cfg.RemoveDCOffset, Usage: boolUsage("subtract each frame's mean", "remove-dc-offset", cfg.RemoveDCOffset)},
			&cli.StringFlag{Name: "window-type", Value: cfg.WindowType, Destination: &cfg.WindowType, Usage: "povey, hamming, hanning, rectangular, blackman or sine"},
			&cli.BoolFlag{Name: "round-to-power-of-two", Value: cfg.RoundToPowerOfTwo, Destination: &cfg.RoundToPowerOfTwo, Usage: boolUsage("round the FFT size up to a power of two", "round-to-power-of-two", cfg.RoundToPowerOfTwo)},
			&cli.BoolFlag{Name: "snip-edges", Value: cfg.SnipEdges, Destination: &cfg.SnipEdges, Usage: boolUsage("only frames that fit in the signal", "snip-edges", cfg.SnipEdges)},
			&cli.IntFlag{Name: "num-mel-bins", Value: cfg.NumMelBins, Destination: &cfg.NumMelBins, Usage: "mel filters"},
			&cli.FloatFlag{Name: "low-freq", Value: cfg.LowFreq, Destination: &cfg.LowFreq, Usage: "low edge of the mel filters, Hz"},
			&cli.FloatFlag{Name: "high-freq", Value: cfg.HighFreq, Destination: &cfg.HighFreq, Usage: "high edge of the mel filters, Hz (≤ 0: offset from Nyquist)"},
			&cli.IntFlag{Name: "num-ceps", Value: cfg.NumCeps, Destination: &cfg.NumCeps, Usage: "cepstra, C0 included"},
			&cli.BoolFlag{Name: "use-energy", Value: cfg.UseEnergy, Destination: &cfg.UseEnergy, Usage: boolUsage("replace C0 by the log energy", "use-energy", cfg.UseEnergy)},
			&cli.BoolFlag{Name: "raw-energy", Value: cfg.RawEnergy, Destination: &cfg.RawEnergy, Usage: boolUsage("energy before pre-emphasis and windowing", "raw-energy", cfg.RawEnergy)},
			&cli.FloatFlag{Name: "energy-floor", Value: cfg.EnergyFloor, Destination: &cfg.EnergyFloor, Usage: "floor on the energy (0: none)"},
			&cli.FloatFlag{Name: "cepstral-lifter", Value: cfg.CepstralLifter, Destination: &cfg.CepstralLifter, Usage: "cepstral liftering coefficient (0: none)"},
			&cli.IntFlag{Name: "deltas", Value: cfg.Deltas, Destination: &cfg.Deltas, Usage: "delta order: 0, 1 or 2"},
			&cli.IntFlag{Name: "delta-window", Value: cfg.DeltaWindow, Destination: &cfg.DeltaWindow, Usage: "delta window"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return usagef("extract takes no arguments, got %q", cmd.Args().First())
			}
			layout, err := data.ParseLayout(cmd.String("layout"))
			if err != nil {
				return usagef("--layout: %v", err)
			}
			if ts := cmd.String("test-set"); ts != "core" && ts != "full" {
				return usagef("--test-set must be core or full, got %q", ts)
			}
			if err := cfg.Validate(); err != nil {
				return usagef("feature options: %v", err)
			}
			corpus := cmd.String("corpus")
			if st, err := os.Stat(corpus); err != nil || !st.IsDir() {
				return usagef("--corpus %s is not a folder", corpus)
			}
			opts := data.ExtractOptions{
				Layout:   layout,
				Features: cfg,
				Split: data.SplitOptions{
					TestSet:      cmd.String("test-set"),
					TestSpeakers: cmd.StringSlice("test-speakers"),
					DevSpeakers:  cmd.StringSlice("dev-speakers"),
					KeepSA:       cmd.Bool("keep-sa"),
				},
				Jobs:      cmd.Int("jobs"),
				SkipBad:   cmd.Bool("skip-bad"),
				Overwrite: cmd.Bool("force"),
				Corpus:    absPath(corpus),
				Resample:  cmd.Bool("resample"),
			}
			sum, err := extractWithProgress(ctx, os.DirFS(corpus), cmd.String("out"), opts)
			if err != nil {
				return extractHint(err)
			}
			return sum.WriteTable(cmd.Root().Writer)
		},
	}
}

// extractWithProgress runs data.Extract with one progress bar per split on
// stderr; demo shares it.
func extractWithProgress(ctx context.Context, fsys fs.FS, out string, opts data.ExtractOptions) (*data.Summary, error) {
	var bar *progress.Bar
	report := func(p data.Progress) {
		if bar == nil {
			bar = progress.New(os.Stderr, "extract "+p.Split, int64(p.Total), "utt")
		}
		bar.Add(1)
		if p.Done == p.Total {
			bar.Done()
			bar = nil
		}
	}
	sum, err := data.Extract(ctx, fsys, out, opts, report)
	if bar != nil {
		bar.Done()
	}
	return sum, err
}

// extractHint adds to an error of data.Extract the extract flag that deals
// with it (package data does not know the command line), keeping it one line
// and keeping errors.Is and errors.As working.
func extractHint(err error) error {
	var unpaired *data.UnpairedFileError
	var bad *data.CorpusFileError
	var empty *data.EmptySplitError
	switch {
	case errors.Is(err, data.ErrUnknownLayout):
		return fmt.Errorf("%w; use --layout", err)
	case errors.As(err, &unpaired), errors.As(err, &bad):
		return fmt.Errorf("%w (use --skip-bad to leave it out)", err)
	case errors.Is(err, data.ErrOutputExists):
		return fmt.Errorf("%w; remove it or pass --force to replace it", err)
	case errors.Is(err, data.ErrNoCoreTestSpeakers):
		return fmt.Errorf("%w; use --test-set full (all TEST speakers not in dev) or --test-speakers", err)
	case errors.As(err, &empty):
		return fmt.Errorf("%w; choose them with --%s-speakers", err, empty.Split)
	case errors.Is(err, data.ErrIncompleteSample):
		return fmt.Errorf("%w; choose the held-out speakers with --test-speakers and --dev-speakers", err)
	}
	return err
}

// boolUsage documents a boolean feature flag with its default, since a flag
// that defaults to true is turned off as --name=false.
func boolUsage(what, name string, def bool) string {
	return fmt.Sprintf("%s (default: %v; --%s=%v to change)", what, def, name, !def)
}

// absPath makes a path absolute for the record, leaving it as given if that
// fails.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
