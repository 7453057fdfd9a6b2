package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// Evaluate scores m on every sentence of s and returns the report. The
// features of s must already be normalised as the model was trained
// (Split.Normalize with the training CMVN); EvaluateModel does that from a
// checkpoint. With target delay d, output t is scored against label t−d.
// Sentences are scored in parallel, one goroutine per CPU; the model is only
// read (LogProbs keeps its state in a private trace).
func Evaluate(m *lstm.Model, s *data.Split, targetDelay int) (*Report, error) {
	return evaluate(m, s, targetDelay, nil, nil)
}

// EvaluateModel scores a checkpoint (model m with metadata md, as returned
// by lstm.Load) on a split of raw features: it refuses a split whose
// feature configuration or phone list differs from the model's
// (CheckCompatible), applies the CMVN stored in the checkpoint to a copy of
// each sentence's features, and scores with the checkpoint's target delay.
// The split is not modified.
func EvaluateModel(m *lstm.Model, md *lstm.Metadata, s *data.Split) (*Report, error) {
	if err := CheckCompatible(md, s.Manifest); err != nil {
		return nil, err
	}
	if len(md.CMVNMean) == 0 {
		return nil, errors.New("model carries no feature normalisation (CMVN) statistics; it cannot be applied to raw features")
	}
	c := m.Config()
	if c.Inputs != s.Manifest.Dim || c.Outputs != len(s.Manifest.Phones) {
		return nil, fmt.Errorf("model has %d inputs and %d outputs, data has %d features and %d phones", c.Inputs, c.Outputs, s.Manifest.Dim, len(s.Manifest.Phones))
	}
	return evaluate(m, s, md.TargetDelay, md.CMVNMean, md.CMVNStd)
}

// CheckCompatible reports whether a model trained with metadata md can
// score data described by man: same phone list in the same order, same
// feature configuration, and normalisation statistics (if any) of the
// feature dimension. The error names what differs.
func CheckCompatible(md *lstm.Metadata, man *data.Manifest) error {
	if md == nil || man == nil {
		return errors.New("missing model metadata or data manifest")
	}
	if !slices.Equal(md.Phones, man.Phones) {
		if len(md.Phones) != len(man.Phones) {
			return fmt.Errorf("model predicts %d phones, data is labelled with %d", len(md.Phones), len(man.Phones))
		}
		for i := range md.Phones {
			if md.Phones[i] != man.Phones[i] {
				return fmt.Errorf("phone lists differ: model class %d is %q, data label %d is %q", i, md.Phones[i], i, man.Phones[i])
			}
		}
	}
	if len(md.Features) == 0 {
		return errors.New("model does not record its feature configuration")
	}
	var fc features.Config
	if err := json.Unmarshal(md.Features, &fc); err != nil {
		return fmt.Errorf("model feature configuration: %w", err)
	}
	if fc != man.Features {
		return fmt.Errorf("model was trained on other features than the data (%s); re-extract the data with the model's configuration", configDiff(fc, man.Features))
	}
	dim := man.Features.Dim()
	if len(md.CMVNMean) != len(md.CMVNStd) || (len(md.CMVNMean) != 0 && len(md.CMVNMean) != dim) {
		return fmt.Errorf("model normalisation has %d means and %d deviations for %d features", len(md.CMVNMean), len(md.CMVNStd), dim)
	}
	for i, sd := range md.CMVNStd {
		if !(sd > 0) || sd != sd || md.CMVNMean[i] != md.CMVNMean[i] {
			return fmt.Errorf("model normalisation: feature %d has mean %g and deviation %g", i, md.CMVNMean[i], sd)
		}
	}
	if md.TargetDelay < 0 {
		return fmt.Errorf("model has negative target delay %d", md.TargetDelay)
	}
	return nil
}

// configDiff lists the JSON options on which model and data differ, as
// "name: model X, data Y".
func configDiff(model, data features.Config) string {
	var diffs []string
	mv, dv := reflect.ValueOf(model), reflect.ValueOf(data)
	t := mv.Type()
	for i := range t.NumField() {
		if a, b := mv.Field(i).Interface(), dv.Field(i).Interface(); a != b {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			diffs = append(diffs, fmt.Sprintf("%s: model %v, data %v", name, a, b))
		}
	}
	return strings.Join(diffs, "; ")
}

// evaluate scores every sentence of s, normalising a private copy of the
// features first when mean is not nil.
func evaluate(m *lstm.Model, s *data.Split, delay int, mean, std []float32) (*Report, error) {
	if delay < 0 {
		return nil, fmt.Errorf("negative target delay %d", delay)
	}
	if len(s.Sentences) == 0 {
		return nil, fmt.Errorf("score %s: no sentences", s.Dir)
	}
	inputs := m.Config().Inputs
	if o := m.Config().Outputs; o != labels.NumPhones {
		return nil, fmt.Errorf("model has %d outputs, scoring needs the %d TIMIT phones", o, labels.NumPhones)
	}
	workers := min(runtime.GOMAXPROCS(0), len(s.Sentences))
	next := make(chan *data.Sentence)
	type result struct {
		c   *Confusion
		err error
	}
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := NewConfusion61()
			var hyp []int32
			var x features.Matrix
			var err error
			for sent := range next {
				if err != nil {
					continue // drain
				}
				if sent.Feats.Cols != inputs {
					err = fmt.Errorf("utterance %s: %d features per frame, the model takes %d", sent.ID, sent.Feats.Cols, inputs)
					continue
				}
				feats := sent.Feats
				if mean != nil {
					x.Rows, x.Cols = feats.Rows, feats.Cols
					x.Data = append(x.Data[:0], feats.Data[:feats.Rows*feats.Cols]...)
					features.Normalize(&x, mean, std)
					feats = &x
				}
				lp := m.LogProbs(feats)
				hyp = Decode(hyp, lp.Data, lp.Cols)
				if _, e := c.AddSentence(hyp, sent.Labels, delay); e != nil {
					err = fmt.Errorf("utterance %s: %w", sent.ID, e)
				}
			}
			results <- result{c, err}
		}()
	}
	for _, sent := range s.Sentences {
		next <- sent
	}
	close(next)
	wg.Wait()
	close(results)
	total := NewConfusion61()
	var errs []error
	for r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if err := total.Merge(r.c); err != nil {
			return nil, err
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("score %s: %w", s.Dir, errs[0])
	}
	if total.Total() == 0 {
		// An error rate of 0 over nothing would read as a perfect score.
		return nil, fmt.Errorf("score %s: no frame could be scored (all excluded or shorter than the target delay %d)", s.Dir, delay)
	}
	return NewReport(total, len(s.Sentences))
}
