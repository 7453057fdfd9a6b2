package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/horizon"
)

// Gradient horizon while training (Config.LogHorizon).

// HorizonLogPath returns where Train records the gradient horizon of a run
// whose model is out: one horizon.Summary per JSON line.
func HorizonLogPath(out string) string { return basePath(out) + ".horizon.jsonl" }

// horizonLogSentences is how many sentences (the first of dev, else of
// train) each measurement during training covers: about 2,400 frames, a
// few seconds for the 39→128→61 network.
const horizonLogSentences = 8

// horizonLogger appends horizon.Summary lines to HorizonLogPath.
type horizonLogger struct {
	path  string
	sents []*data.Sentence
	fresh bool // truncate the file at the first write (a new run)
}

// logHorizon measures the horizon of the model being trained and appends
// its summary to the run's horizon log. Its time is not counted as training
// time. A resumed run appends after the lines already there; those written
// after the saved state are repeated (same update counts, same values).
func (r *run) logHorizon() error {
	if r.hz == nil {
		sents := r.dev
		if len(sents) == 0 {
			sents = r.train
		}
		sents = sents[:min(len(sents), horizonLogSentences)]
		if len(r.dev) == 0 && r.trainArk != nil {
			// Streamed: these few stay in memory for every measurement.
			idx := make([]int, len(sents))
			for i := range idx {
				idx[i] = i
			}
			var err error
			if sents, err = loadSentences(r.trainArk, r.train, r.mean, r.std, idx); err != nil {
				return fmt.Errorf("log horizon: %w", err)
			}
		}
		r.hz = &horizonLogger{path: HorizonLogPath(r.out), sents: sents, fresh: !r.cfg.Resume}
	}
	t0 := time.Now()
	rep, err := horizon.Measure(context.Background(), r.model, r.hz.sents, horizon.Config{TargetDelay: r.cfg.TargetDelay})
	if err != nil {
		return fmt.Errorf("log horizon: %w", err)
	}
	s := rep.Summary()
	s.Updates, s.Epoch = r.st.Updates, r.st.Epoch+1
	if r.sched.Kind != tbptt.KindSentence {
		s.K2 = tbptt.K2String(r.eng.Schedule().K2)
	}
	s.Seconds = time.Since(t0).Seconds()
	r.st.Acc.Seconds -= s.Seconds
	line, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("log horizon: %w", err)
	}
	flag := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if r.hz.fresh {
		flag |= os.O_TRUNC
		r.hz.fresh = false
	}
	f, err := os.OpenFile(r.hz.path, flag, 0o644)
	if err != nil {
		return fmt.Errorf("log horizon: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("log horizon: write %s: %w", r.hz.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("log horizon: write %s: %w", r.hz.path, err)
	}
	return nil
}

// ReadHorizonLog reads a run's horizon log (HorizonLogPath).
func ReadHorizonLog(path string) ([]horizon.Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []horizon.Summary
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var s horizon.Summary
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}
