package eval

import (
	"fmt"
	"io"
	"math"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// Classification is the outcome of Classify for one utterance.
type Classification struct {
	// Phones names the classes: class k is Phones[k].
	Phones []string
	// TargetDelay is the checkpoint's: output t describes frame t−TargetDelay.
	TargetDelay int
	// FrameShift is the frame shift in samples.
	FrameShift int
	// SampleRate and NumSamples describe the audio classified.
	SampleRate, NumSamples int
	// LogProbs holds the network's outputs, one row of log-posteriors per
	// output t (frames × classes).
	LogProbs *features.Matrix
	// Decisions[t] is the most probable class of output t (Decode).
	Decisions []int32
	// Posteriors holds, in row f, the posterior probabilities of frame f
	// (the exponential of output f+TargetDelay): one row per described
	// frame, frames − TargetDelay rows.
	Posteriors *features.Matrix
	// Segments are the runs of equal frame decisions in samples, as a .PHN
	// file holds them (Segments); Segment.Phone is the class index.
	Segments []labels.Segment
}

// WritePHN writes the segments in TIMIT's .PHN format, naming each class by
// Phones.
func (c *Classification) WritePHN(w io.Writer) error {
	return WritePHN(w, c.Segments, c.Phones)
}

// Classify labels one utterance of 16-bit mono samples at sampleRate with
// the checkpoint (m, md) as lstm.Load returns it: it computes the features
// with the configuration stored in the checkpoint (data.ComputeFeatures, as
// phoneme extract does), normalises them with the checkpoint's CMVN, runs
// the network, takes the most probable class of every output and collapses
// the frame decisions, shifted by the target delay, into segments.
//
// The checkpoint is checked as CheckModel does without data; a sample rate
// other than the model's is an error (there is no resampling). Errors do not
// name a file.
func Classify(m *lstm.Model, md *lstm.Metadata, samples []int16, sampleRate int) (*Classification, error) {
	fc, err := checkModel("", m, md, nil)
	if err != nil {
		return nil, err
	}
	if sampleRate != fc.SampleRate {
		return nil, fmt.Errorf("sample rate %d Hz, want %d Hz", sampleRate, fc.SampleRate)
	}
	ex, err := features.NewExtractor(fc)
	if err != nil {
		return nil, err
	}
	x, err := data.ComputeFeatures(ex, samples)
	if err != nil {
		return nil, err
	}
	features.Normalize(x, md.CMVNMean, md.CMVNStd)
	lp := m.LogProbs(x)
	d := md.TargetDelay
	c := &Classification{
		Phones:      md.Phones,
		TargetDelay: d,
		FrameShift:  fc.FrameShift(),
		SampleRate:  sampleRate,
		NumSamples:  len(samples),
		LogProbs:    lp,
		Decisions:   Decode(nil, lp.Data, lp.Cols),
	}
	if len(c.Phones) == 0 {
		c.Phones = labels.TIMIT61().Names()
	}
	c.Segments = Segments(c.Decisions, d, c.FrameShift, len(samples))
	c.Posteriors = features.NewMatrix(max(lp.Rows-d, 0), lp.Cols)
	for f := range c.Posteriors.Rows {
		for j, v := range lp.Row(f + d) {
			c.Posteriors.Row(f)[j] = float32(math.Exp(float64(v)))
		}
	}
	return c, nil
}
