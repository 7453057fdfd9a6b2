package eval

import (
	"errors"
	"fmt"
	"runtime"
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
	return evaluate(m, s, targetDelay, nil, nil, nil)
}

// EvaluateModel scores a checkpoint (model m with metadata md, as returned
// by lstm.Load) on a split of raw features: it refuses a checkpoint that
// does not fit the split (CheckModel: shape, phone list, feature
// configuration, CMVN statistics, target delay, sentences), applies the
// CMVN stored in the checkpoint to a copy of each sentence's features, and
// scores with the checkpoint's target delay. The split is not modified.
// Callers that know the checkpoint's file name call CheckModel with it
// first, so that an incompatibility names the file.
func EvaluateModel(m *lstm.Model, md *lstm.Metadata, s *data.Split) (*Report, error) {
	if err := CheckModel("", m, md, s); err != nil {
		return nil, err
	}
	return evaluate(m, s, md.TargetDelay, md.CMVNMean, md.CMVNStd, nil)
}

// Decoding chooses the decoder of phone error rates: Kind, and for
// Viterbi the phone loop (NewPhoneLoop).
type Decoding struct {
	Kind DecoderKind
	Loop *PhoneLoop
}

func (d Decoding) String() string {
	if d.Kind == Viterbi && d.Loop != nil {
		w := d.Loop.Weights()
		return fmt.Sprintf("viterbi (prior scale %g, LM weight %g, insertion penalty %g)", w.PriorScale, w.LMWeight, w.InsertionPenalty)
	}
	return d.Kind.String()
}

// phoneDecoder returns a function decoding one utterance's log-posteriors
// into a phone string, with private scratch memory (one per goroutine).
func (d Decoding) phoneDecoder() func(dst []int32, lp []float32, classes int) []int32 {
	if d.Kind == Viterbi {
		return d.Loop.NewDecoder().Decode
	}
	return GreedyPhones
}

func (d Decoding) check() error {
	switch d.Kind {
	case Greedy:
		return nil
	case Viterbi:
		if d.Loop == nil {
			return errors.New("viterbi decoding without a phone loop")
		}
		if d.Loop.phones != labels.NumPhones {
			return fmt.Errorf("the phone loop has %d phones, scoring needs %d", d.Loop.phones, labels.NumPhones)
		}
		return nil
	}
	return fmt.Errorf("unknown decoder %v", d.Kind)
}

// EvaluateModelPER is EvaluateModel that also decodes every sentence into
// a phone string with dec and scores it against the split's reference
// phone strings (Report.PERSummary): the outputs before the target delay
// are dropped (they describe no frame). The split must have its text file
// (data.Split.CheckText).
func EvaluateModelPER(m *lstm.Model, md *lstm.Metadata, s *data.Split, dec Decoding) (*Report, error) {
	if err := dec.check(); err != nil {
		return nil, err
	}
	if err := s.CheckText(); err != nil {
		return nil, err
	}
	if err := CheckModel("", m, md, s); err != nil {
		return nil, err
	}
	return evaluate(m, s, md.TargetDelay, md.CMVNMean, md.CMVNStd, &dec)
}

// fold39 is labels.Fold39 built once (it is only read): the per-utterance
// 39-class counts of every evaluation use it.
var fold39 = sync.OnceValue(labels.Fold39)

// evaluate scores every sentence of s, normalising a private copy of the
// features first when mean is not nil.
// With dec not nil it also decodes and scores phone strings.
func evaluate(m *lstm.Model, s *data.Split, delay int, mean, std []float32, dec *Decoding) (*Report, error) {
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
	fold := fold39()
	// Each sentence is scored by one worker, which fills its own entry:
	// the order is the split's whatever the scheduling.
	utts := make([]UtteranceScore, len(s.Sentences))
	var phoneScores []PhoneScore
	if dec != nil {
		phoneScores = make([]PhoneScore, len(s.Sentences))
	}
	next := make(chan int)
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
			var hyp, phones, buf []int32
			var x features.Matrix
			var err error
			var decode func([]int32, []float32, int) []int32
			if dec != nil {
				decode = dec.phoneDecoder()
			}
			for i := range next {
				sent := s.Sentences[i]
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
				u := &utts[i]
				u.ID, u.Speaker = sent.ID, sent.Speaker
				if _, e := c.addSentence(hyp, sent.Labels, delay, fold, u); e != nil {
					err = fmt.Errorf("utterance %s: %w", sent.ID, e)
				}
				if decode != nil {
					phones = decode(phones[:0], lp.Data[min(delay, lp.Rows)*lp.Cols:], lp.Cols)
					phoneScores[i], buf = ScorePhones(sent.Phones, phones, buf)
					phoneScores[i].ID, phoneScores[i].Speaker = sent.ID, sent.Speaker
				}
			}
			results <- result{c, err}
		}()
	}
	for i := range s.Sentences {
		next <- i
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
	r, err := NewReport(total, len(s.Sentences))
	if err != nil {
		return nil, err
	}
	r.Utterances = utts
	if dec != nil {
		r.PERSummary = SummarizePER(dec.Kind.String(), phoneScores)
		if dec.Kind == Viterbi {
			w := dec.Loop.Weights()
			r.PERSummary.Weights = &w
		}
	}
	return r, nil
}
