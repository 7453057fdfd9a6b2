package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/tbptt/train"
)

// optionFlags makes the command-line flags of the training options in
// scope from their one description (train.Options): train has every scope,
// compare the shared ones, so both verbs read them alike and a comparison is
// the training its rows name.
func optionFlags(scopes ...train.Scope) []cli.Flag {
	var flags []cli.Flag
	for _, o := range train.Options() {
		if !slices.Contains(scopes, o.Scope) {
			continue
		}
		flags = append(flags, optionFlag(o))
	}
	return flags
}

// optionFlag is the flag of o: typed, with o's default value, and o's note
// on the default, if any, in the help.
func optionFlag(o train.Option) cli.Flag {
	switch o.Kind {
	case train.Int:
		f := &cli.Int64Flag{Name: o.Name, Usage: o.Help, DefaultText: o.Note}
		f.Value, _ = strconv.ParseInt(o.Default, 10, 64)
		return f
	case train.Uint:
		f := &cli.Uint64Flag{Name: o.Name, Usage: o.Help, DefaultText: o.Note}
		f.Value, _ = strconv.ParseUint(o.Default, 10, 64)
		return f
	case train.Float:
		f := &cli.FloatFlag{Name: o.Name, Usage: o.Help, DefaultText: o.Note}
		f.Value, _ = strconv.ParseFloat(o.Default, 64)
		return f
	case train.Bool:
		f := &cli.BoolFlag{Name: o.Name, Usage: o.Help}
		f.Value, _ = strconv.ParseBool(o.Default)
		if f.Value {
			f.DefaultText = "true"
		}
		return f
	default:
		return &cli.StringFlag{Name: o.Name, Usage: o.Help, Value: o.Default, DefaultText: o.Note}
	}
}

// readOptionFlags sets cfg from the flags of the options in scope, through
// each option's own validation; a bad value is a usage error naming the
// flag. Unset options without a default value (k1, k2, lr) keep cfg's
// value: lr 0 then means the optimizer's default.
func readOptionFlags(cmd *cli.Command, cfg *train.Config, scopes ...train.Scope) error {
	for _, o := range train.Options() {
		if !slices.Contains(scopes, o.Scope) {
			continue
		}
		if !cmd.IsSet(o.Name) && o.Default == "" {
			continue // no default value: cfg keeps its own (k1, k2 unset; lr 0)
		}
		text := fmt.Sprint(cmd.Value(o.Name))
		if err := o.Set(cfg, text); err != nil {
			if oe, ok := err.(*train.OptionError); ok {
				return usagef("--%s %s: %s", oe.Name, oe.Value, oe.Reason)
			}
			return usagef("--%s: %v", o.Name, err)
		}
	}
	if cfg.Init != "" {
		if _, err := os.Stat(cfg.Init); err != nil {
			return usagef("--init %s: no such file", cfg.Init)
		}
	}
	return nil
}

// loadSplits loads the named split folders of an extracted corpus dir,
// refusing a missing or empty one with a message that says what to do.
func loadSplits(dir string, names ...string) (map[string]*data.Split, error) {
	return loadSplitsWith(func(string) bool { return false }, dir, names...)
}

// loadSplitsWith is loadSplits opening the splits for which stream is
// true for streaming (data.OpenSplit: features stay in feats.ark) and
// loading the others.
func loadSplitsWith(stream func(name string) bool, dir string, names ...string) (map[string]*data.Split, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, usagef("--data %s is not a folder", dir)
	}
	var present []string
	for _, s := range []string{data.Train, data.Dev, data.Test} {
		if st, err := os.Stat(filepath.Join(dir, s)); err == nil && st.IsDir() {
			present = append(present, s+"/")
		}
	}
	for _, s := range names {
		if st, err := os.Stat(filepath.Join(dir, s)); err != nil || !st.IsDir() {
			if len(present) == 0 {
				return nil, usagef("--data %s has no %s/ folder (run phoneme extract first)", dir, s)
			}
			// Extracted, but without this split: the corpus had none of
			// its speakers.
			return nil, usagef("--data %s has %s but no %s/: extraction found no %s speakers in the corpus (choose them with extract --%s-speakers)",
				dir, strings.Join(present, " and "), s, s, s)
		}
	}
	splits := map[string]*data.Split{}
	for _, s := range names {
		load := data.LoadSplit
		if stream(s) {
			load = data.OpenSplit
		}
		sp, err := load(filepath.Join(dir, s))
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

// loadSplit loads one split folder; given the root of an extracted corpus
// instead, it says which folder to pass.
func loadSplit(dir string) (*data.Split, error) {
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); errors.Is(err, fs.ErrNotExist) {
		for _, s := range []string{data.Test, data.Dev, data.Train} {
			if st, err := os.Stat(filepath.Join(dir, s, "manifest.json")); err == nil && !st.IsDir() {
				return nil, usagef("--data %s is an extracted corpus, not one split: pass %s", dir, filepath.Join(dir, s))
			}
		}
	}
	return data.LoadSplit(dir)
}
