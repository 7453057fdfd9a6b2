package compare

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/internal/atomicfile"
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
			pts, best, err := eval.TuneDecoder(stats, lps, devRefs, eval.DefaultTuneGrid())
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
		r.TestPhones = rep.PERSummary.PhoneScores
	}
	return nil
}

// perCounts gathers the per-utterance phone scores of the chosen runs by
// schedule as UttCounts for PairedBootstrap: errors are edits (61 and 39)
// and frames are reference phones counted k times. Unlike frame error
// rates a PER may exceed 100 % (insertions), which AverageSeeds and
// PairedBootstrap refuse, so k is the smallest integer that brings every
// utterance of every run to at most 100 %; every rate the bootstrap
// computes is then PER/k, and ComparePER multiplies the differences by k
// again (exactly: the same draws, the same sums, a constant factor; the
// probability of improvement does not change).
func perCounts(chosen []RunResult) (tests map[string][][]UttCounts, k float64) {
	k = 1
	for _, r := range chosen {
		for _, u := range r.TestPhones {
			for _, e := range []eval.Edits{u.Edits61, u.Edits39} {
				if e.Ref > 0 {
					k = max(k, math.Ceil(float64(e.Errors())/float64(e.Ref)))
				}
			}
		}
	}
	tests = map[string][][]UttCounts{}
	for _, r := range chosen {
		if r.TestPhones == nil {
			continue
		}
		cs := make([]UttCounts, len(r.TestPhones))
		for i, u := range r.TestPhones {
			cs[i] = UttCounts{Utterance: u.ID, Speaker: u.Speaker,
				Frames61: k * float64(u.Edits61.Ref), Errors61: float64(u.Edits61.Errors()),
				Frames39: k * float64(u.Edits39.Ref), Errors39: float64(u.Edits39.Errors())}
		}
		tests[r.Spec] = append(tests[r.Spec], cs)
	}
	return tests, k
}

// ComparePER compares every schedule's test PER with the best row's (the
// row Compare chose, by test FER-39) by the same paired bootstrap, with
// reference phones in place of frames and edits in place of frame errors
// (tests and k as perCounts makes them), filling Row.VersusPER and adding
// a sentence per schedule to the notes. Without a best row or phone
// scores it does nothing.
func (t *Table) ComparePER(tests map[string][][]UttCounts, k float64, unit BootstrapUnit) error {
	if t.Best < 0 {
		return nil
	}
	best := t.Rows[t.Best].Schedule
	if len(tests[best]) == 0 {
		return nil
	}
	bestCounts, err := AverageSeeds(tests[best]...)
	if err != nil {
		return fmt.Errorf("schedule %s: PER: %w", best, err)
	}
	for i := range t.Rows {
		r := &t.Rows[i]
		if i == t.Best || len(tests[r.Schedule]) == 0 {
			continue
		}
		counts, err := AverageSeeds(tests[r.Schedule]...)
		if err != nil {
			return fmt.Errorf("schedule %s: PER: %w", r.Schedule, err)
		}
		cmp, err := PairedBootstrap(counts, bestCounts, unit, DefaultReplicates, BootstrapRand())
		if err != nil {
			return fmt.Errorf("schedule %s against %s: PER: %w", r.Schedule, best, err)
		}
		for _, d := range []*Difference{&cmp.FER61, &cmp.FER39} {
			d.Candidate, d.Best, d.Delta, d.Lo, d.Hi = k*d.Candidate, k*d.Best, k*d.Delta, k*d.Lo, k*d.Hi
		}
		r.VersusPER = &cmp
		t.Notes = append(t.Notes, Sentence(r.Schedule, best, "test PER-39", cmp.FER39))
	}
	return nil
}

// hasPERComparison reports whether any row has a PER comparison.
func (t *Table) hasPERComparison() bool {
	for _, r := range t.Rows {
		if r.VersusPER != nil {
			return true
		}
	}
	return false
}

// PhoneErrorsFile is the raw data of the test PER column and its
// bootstrap: per table run and test utterance, the decoder and the edits
// over 61 phones and over 39 classes.
const PhoneErrorsFile = "phone_errors.csv"

// writePhoneErrors writes PhoneErrorsFile for the chosen runs that have
// phone scores; it reports whether there were any.
func writePhoneErrors(path string, results []RunResult, tuned bool) (bool, error) {
	found := false
	for _, r := range results {
		found = found || r.TestPhones != nil
	}
	if !found {
		return false, nil
	}
	return true, atomicfile.WriteFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		head := []string{"schedule", "seed", "decoder", "utterance", "speaker",
			"ref61", "subs61", "dels61", "ins61", "ref39", "subs39", "dels39", "ins39"}
		if tuned {
			head = append(head, "tuned")
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		itoa := strconv.Itoa
		for _, r := range results {
			for _, u := range r.TestPhones {
				e, f := u.Edits61, u.Edits39
				rec := []string{r.Spec, strconv.FormatUint(r.Seed, 10), r.Run.PERDecoder, u.ID, u.Speaker,
					itoa(e.Ref), itoa(e.Sub), itoa(e.Del), itoa(e.Ins), itoa(f.Ref), itoa(f.Sub), itoa(f.Del), itoa(f.Ins)}
				if tuned {
					rec = append(rec, r.Point.String())
				}
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
		}
		cw.Flush()
		return cw.Error()
	})
}
