package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/tbptt/train"
)

// modelFlags are the options train and compare share: the network, the
// optimiser and how the data is fed. Both verbs must read them alike, or a
// comparison would not be the training its rows name.
func modelFlags(def train.Config) []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "hidden", Value: def.Hidden, Usage: "LSTM cells per layer"},
		&cli.IntFlag{Name: "layers", Value: def.Layers, Usage: "stacked LSTM layers"},
		&cli.BoolFlag{Name: "peepholes", Usage: "peephole connections (Graves & Schmidhuber 2005)"},
		&cli.IntFlag{Name: "batch", Value: def.Batch, Usage: "sentences streamed side by side (gradient averaged over them)"},
		&cli.StringFlag{Name: "optimizer", Value: def.Optimizer, Usage: "sgd or adam"},
		&cli.FloatFlag{Name: "lr", Usage: "learning rate", DefaultText: "adam 1e-3, sgd 1e-5"},
		&cli.FloatFlag{Name: "momentum", Value: def.Momentum, Usage: "SGD momentum"},
		&cli.FloatFlag{Name: "clip", Usage: "clip the gradient's global norm to this", DefaultText: "0 = off"},
		&cli.IntFlag{Name: "target-delay", Usage: "score the output at frame t against the label of frame t-D"},
		&cli.StringFlag{Name: "init", Usage: "start from this checkpoint instead of random weights"},
		&cli.Int64Flag{Name: "max-updates", Usage: "stop after exactly this many weight updates", DefaultText: "0 = no limit"},
		&cli.BoolFlag{Name: "shuffle", Value: def.Shuffle, Usage: "shuffle the training utterances each epoch (false: feats.scp order)", DefaultText: "true"},
		&cli.IntFlag{Name: "patience", Usage: "stop after this many epochs without a better dev FER61", DefaultText: "0 = off"},
	}
}

// readModelFlags copies the modelFlags into cfg. An unset --lr leaves
// cfg.LR at 0, the optimiser's default; --max-updates alone (no --epochs)
// makes it the budget.
func readModelFlags(cmd *cli.Command, cfg *train.Config) error {
	cfg.Hidden = cmd.Int("hidden")
	cfg.Layers = cmd.Int("layers")
	cfg.Peepholes = cmd.Bool("peepholes")
	cfg.Batch = cmd.Int("batch")
	cfg.Optimizer = cmd.String("optimizer")
	cfg.LR = 0
	if cmd.IsSet("lr") {
		cfg.LR = cmd.Float("lr")
		if !(cfg.LR > 0) {
			return usagef("--lr %g: must be positive", cfg.LR)
		}
	}
	cfg.Momentum = cmd.Float("momentum")
	cfg.Clip = cmd.Float("clip")
	cfg.TargetDelay = cmd.Int("target-delay")
	cfg.Init = cmd.String("init")
	if cfg.Init != "" {
		if _, err := os.Stat(cfg.Init); err != nil {
			return usagef("--init %s: no such file", cfg.Init)
		}
	}
	cfg.MaxUpdates = cmd.Int64("max-updates")
	cfg.Shuffle = cmd.Bool("shuffle")
	cfg.Patience = cmd.Int("patience")
	return nil
}

// loadSplits loads the named split folders of an extracted corpus dir,
// refusing a missing or empty one with a message that says what to do.
func loadSplits(dir string, names ...string) (map[string]*data.Split, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, usagef("--data %s is not a folder", dir)
	}
	for _, s := range names {
		if st, err := os.Stat(filepath.Join(dir, s)); err != nil || !st.IsDir() {
			return nil, usagef("--data %s has no %s/ folder (run phoneme extract first)", dir, s)
		}
	}
	splits := map[string]*data.Split{}
	for _, s := range names {
		sp, err := data.LoadSplit(filepath.Join(dir, s))
		if err != nil {
			return nil, err
		}
		if len(sp.Sentences) == 0 {
			return nil, fmt.Errorf("%s: the %s split is empty", sp.Dir, s)
		}
		splits[s] = sp
	}
	return splits, nil
}
