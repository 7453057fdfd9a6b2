package compare

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/lstm"
)

// Per-utterance scores: every run's best-dev checkpoint is scored on each
// test and dev utterance, kept in the run folder (RunUtterancesFile) and
// gathered into per_utterance.csv, the raw data of every claim in the
// results table.

var utteranceHeader = []string{"split", "utterance", "speaker", "frames61", "errors61", "frames39", "errors39"}

// writeUtterances writes a run's per-utterance scores.
func writeUtterances(path string, test, dev []eval.UtteranceScore) error {
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(utteranceHeader); err != nil {
			return err
		}
		for _, part := range []struct {
			split string
			us    []eval.UtteranceScore
		}{{"test", test}, {"dev", dev}} {
			for _, u := range part.us {
				if err := cw.Write(utteranceRecord(part.split, u)); err != nil {
					return err
				}
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

func utteranceRecord(split string, u eval.UtteranceScore) []string {
	return []string{split, u.ID, u.Speaker, strconv.FormatInt(u.Frames61, 10), strconv.FormatInt(u.Errors61, 10),
		strconv.FormatInt(u.Frames39, 10), strconv.FormatInt(u.Errors39, 10)}
}

// readUtterances reads what writeUtterances wrote.
func readUtterances(path string) (test, dev []eval.UtteranceScore, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 || fmt.Sprint(recs[0]) != fmt.Sprint(utteranceHeader) {
		return nil, nil, fmt.Errorf("%s: not a per-utterance score file", path)
	}
	for i, r := range recs[1:] {
		var n [4]int64
		for j := range n {
			n[j], err = strconv.ParseInt(r[3+j], 10, 64)
			if err != nil || n[j] < 0 {
				return nil, nil, fmt.Errorf("%s: line %d: bad count %q", path, i+2, r[3+j])
			}
		}
		u := eval.UtteranceScore{ID: r[1], Speaker: r[2], Frames61: n[0], Errors61: n[1], Frames39: n[2], Errors39: n[3]}
		switch r[0] {
		case "test":
			test = append(test, u)
		case "dev":
			dev = append(dev, u)
		default:
			return nil, nil, fmt.Errorf("%s: line %d: unknown split %q", path, i+2, r[0])
		}
	}
	return test, dev, nil
}

// utterances fills the per-utterance scores of a finished run from its
// folder, scoring its best-dev checkpoint again when the file is missing
// (runs finished by versions before per-utterance scores) or does not
// match the splits.
func (c *comparison) utterances(r PlannedRun, out *RunResult) error {
	path := filepath.Join(r.Dir, RunUtterancesFile)
	test, dev, err := readUtterances(path)
	if err == nil && sameIDs(test, c.cfg.Test.Sentences) && sameIDs(dev, c.cfg.Dev.Sentences) {
		out.Test, out.Dev = test, dev
	} else {
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		m, md, err := lstm.Load(r.Model())
		if err != nil {
			return err
		}
		rt, err := eval.EvaluateModel(m, md, c.cfg.Test)
		if err != nil {
			return fmt.Errorf("score test: %w", err)
		}
		rd, err := eval.EvaluateModel(m, md, c.cfg.Dev)
		if err != nil {
			return fmt.Errorf("score dev: %w", err)
		}
		out.Test, out.Dev = rt.Utterances, rd.Utterances
		if err := writeUtterances(path, out.Test, out.Dev); err != nil {
			return err
		}
	}
	if math.IsNaN(out.Run.DevFER39) {
		var f, e int64
		for _, u := range out.Dev {
			f, e = f+u.Frames39, e+u.Errors39
		}
		if f > 0 {
			out.Run.DevFER39 = float64(e) / float64(f)
		}
	}
	return nil
}

// sameIDs reports whether us scores exactly sents, in order.
func sameIDs(us []eval.UtteranceScore, sents []*data.Sentence) bool {
	if len(us) != len(sents) {
		return false
	}
	for i, u := range us {
		if u.ID != sents[i].ID {
			return false
		}
	}
	return true
}

// uttCounts converts eval's integer scores for the bootstrap.
func uttCounts(us []eval.UtteranceScore) []UttCounts {
	out := make([]UttCounts, len(us))
	for i, u := range us {
		out[i] = UttCounts{Utterance: u.ID, Speaker: u.Speaker, Frames61: float64(u.Frames61), Errors61: float64(u.Errors61),
			Frames39: float64(u.Frames39), Errors39: float64(u.Errors39)}
	}
	return out
}

// writePerUtterance writes per_utterance.csv for the runs of the table:
// schedule, seed, split, utterance, speaker and the counts, plus the grid
// point of a tuned comparison.
func writePerUtterance(path string, results []RunResult, tuned bool) error {
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		head := append([]string{"schedule", "seed"}, utteranceHeader...)
		if tuned {
			head = append(head, "tuned")
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		for _, r := range results {
			for _, part := range []struct {
				split string
				us    []eval.UtteranceScore
			}{{"test", r.Test}, {"dev", r.Dev}} {
				for _, u := range part.us {
					rec := append([]string{r.Spec, strconv.FormatUint(r.Seed, 10)}, utteranceRecord(part.split, u)...)
					if tuned {
						rec = append(rec, r.Point.String())
					}
					if err := cw.Write(rec); err != nil {
						return err
					}
				}
			}
		}
		cw.Flush()
		return cw.Error()
	})
}
