package compare

import (
	"fmt"

	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/lstm"
)

// phoneErrorRates sets the test PER-39 of every finished run (nil when the
// test split has no reference phone strings), decoding its best-dev
// checkpoint with cfg.Decode: greedily, or with a Viterbi phone loop whose
// statistics come from the training split and whose weights are tuned per
// run on dev (eval.TuneDecoder), as phoneme eval --tune-decoder does. It
// is computed when the table is written, so it always reflects the
// decoder asked for, whichever invocation trained the run.
func (c *comparison) phoneErrorRates() error {
	if c.cfg.Test.CheckText() != nil {
		return nil
	}
	var stats *eval.DecoderStats
	var devRefs [][]int32
	if c.cfg.Decode == eval.Viterbi {
		var err error
		if stats, err = eval.ComputeDecoderStats(c.cfg.Train); err != nil {
			return fmt.Errorf("decoder statistics: %w", err)
		}
		if err := c.cfg.Dev.CheckText(); err != nil {
			return err
		}
		for _, s := range c.cfg.Dev.Sentences {
			devRefs = append(devRefs, s.Phones)
		}
	}
	for i := range c.results {
		r := &c.results[i]
		if r.Err != nil {
			continue
		}
		m, md, err := lstm.Load(r.Model())
		if err != nil {
			return err
		}
		dec := eval.Decoding{Kind: eval.Greedy}
		if stats != nil {
			lps, err := eval.LogPosteriors(m, md, c.cfg.Dev)
			if err != nil {
				return fmt.Errorf("run %s: %w", r.ID, err)
			}
			pts, best, err := eval.TuneDecoder(stats, lps, devRefs, eval.DefaultTuneGrid)
			if err != nil {
				return fmt.Errorf("run %s: %w", r.ID, err)
			}
			g, err := eval.NewPhoneLoop(stats, pts[best].Weights)
			if err != nil {
				return err
			}
			dec = eval.Decoding{Kind: eval.Viterbi, Loop: g}
		}
		rep, err := eval.EvaluateModelPER(m, md, c.cfg.Test, dec)
		if err != nil {
			return fmt.Errorf("run %s: test PER: %w", r.ID, err)
		}
		per := rep.PER39
		r.Run.TestPER39, r.Run.PERDecoder = &per, dec.Kind.String()
	}
	return nil
}
