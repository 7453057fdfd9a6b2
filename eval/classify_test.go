package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// tinyCheckpoint is a random 39→6→61 network with default features and
// CMVN statistics of plausible magnitude.
func tinyCheckpoint(t *testing.T, delay int) (*lstm.Model, *lstm.Metadata) {
	t.Helper()
	fc := features.DefaultConfig()
	m, err := lstm.New(lstm.Config{Inputs: fc.Dim(), Hidden: 6, Layers: 1, Outputs: labels.NumPhones}, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	mean, std := make([]float32, fc.Dim()), make([]float32, fc.Dim())
	for i := range mean {
		mean[i], std[i] = float32(i%5)-2, 1+float32(i%3)
	}
	mean[0], std[0] = 15, 4 // log energy
	feats, _ := json.Marshal(fc)
	return m, &lstm.Metadata{Phones: labels.TIMIT61().Names(), Features: feats, TargetDelay: delay, CMVNMean: mean, CMVNStd: std}
}

// chirp is n samples of a rising tone over noise.
func chirp(n int) []int16 {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]int16, n)
	for i := range x {
		f := 200 + 3000*float64(i)/float64(n)
		x[i] = int16(6000*math.Sin(2*math.Pi*f*float64(i)/16000) + 300*rng.NormFloat64())
	}
	return x
}

// tinyPair is a tiny checkpoint and half a second of audio.
func tinyPair(t *testing.T, delay int) (*lstm.Model, *lstm.Metadata, []int16) {
	t.Helper()
	m, md := tinyCheckpoint(t, delay)
	return m, md, chirp(8000)
}

// TestClassify compares Classify with the pipeline spelled out: the
// extractor's features, normalised with the checkpoint's CMVN, the
// network's log-posteriors, their arg-max and segments.
func TestClassify(t *testing.T) {
	const delay = 2
	m, md, samples := tinyPair(t, delay)
	c, err := Classify(m, md, samples, 16000)
	if err != nil {
		t.Fatal(err)
	}
	fc := features.DefaultConfig()
	ex, err := features.NewExtractor(fc)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ex.Compute(samples)
	if err != nil {
		t.Fatal(err)
	}
	features.Normalize(x, md.CMVNMean, md.CMVNStd)
	lp := m.LogProbs(x)
	if !reflect.DeepEqual(c.LogProbs, lp) {
		t.Fatal("log-posteriors differ from the network's on the extractor's normalised features")
	}
	hyp := Decode(nil, lp.Data, lp.Cols)
	if !reflect.DeepEqual(c.Decisions, hyp) {
		t.Fatal("decisions are not the arg-max of the log-posteriors")
	}
	if want := Segments(hyp, delay, 160, len(samples)); !reflect.DeepEqual(c.Segments, want) {
		t.Fatalf("segments %v, want %v", c.Segments, want)
	}
	if c.TargetDelay != delay || c.FrameShift != 160 || len(c.Phones) != labels.NumPhones {
		t.Errorf("delay %d, shift %d, %d phones", c.TargetDelay, c.FrameShift, len(c.Phones))
	}
	// Row f of the posteriors is frame f, described by output f+delay.
	if c.Posteriors.Rows != lp.Rows-delay || c.Posteriors.Cols != labels.NumPhones {
		t.Fatalf("posteriors %d×%d, want %d×%d", c.Posteriors.Rows, c.Posteriors.Cols, lp.Rows-delay, labels.NumPhones)
	}
	for f := range c.Posteriors.Rows {
		for j, p := range c.Posteriors.Row(f) {
			if want := float32(math.Exp(float64(lp.Row(f + delay)[j]))); p != want {
				t.Fatalf("posterior [%d,%d] = %g, want %g", f, j, p, want)
			}
		}
	}
	// The segments cover frames 0 … T−delay−1 from sample 0, contiguously.
	segs := c.Segments
	if len(segs) == 0 || segs[0].Start != 0 || segs[len(segs)-1].End != (lp.Rows-delay)*160 {
		t.Fatalf("segments %v of %d frames", segs, lp.Rows)
	}
	for i := 1; i < len(segs); i++ {
		if segs[i].Start != segs[i-1].End || segs[i].Phone == segs[i-1].Phone {
			t.Fatalf("segments %d and %d: %v %v", i-1, i, segs[i-1], segs[i])
		}
	}
	var b bytes.Buffer
	if err := c.WritePHN(&b); err != nil {
		t.Fatal(err)
	}
	parsed, err := labels.ParsePHN(&b)
	if err != nil || len(parsed) != len(segs) {
		t.Fatalf("WritePHN output does not parse back: %v", err)
	}

	// A checkpoint without a phone list names the classes as TIMIT's 61.
	md.Phones = nil
	c2, err := Classify(m, md, samples, 16000)
	if err != nil || !reflect.DeepEqual(c2.Phones, labels.TIMIT61().Names()) || !reflect.DeepEqual(c2.Segments, c.Segments) {
		t.Errorf("no phone list: %v, phones %v", err, c2.Phones)
	}
}

func TestClassifyErrors(t *testing.T) {
	m, md, samples := tinyPair(t, 0)
	if _, err := Classify(m, md, samples, 8000); err == nil || !strings.Contains(err.Error(), "sample rate 8000 Hz, want 16000 Hz") {
		t.Errorf("other rate: %v", err)
	}
	if _, err := Classify(m, md, samples[:399], 16000); err == nil || !strings.Contains(err.Error(), "399 samples is too short for one frame") {
		t.Errorf("too short: %v", err)
	}
	noCMVN := *md
	noCMVN.CMVNMean, noCMVN.CMVNStd = nil, nil
	var ce *CheckError
	if _, err := Classify(m, &noCMVN, samples, 16000); !errors.Is(err, ErrIncompatible) || !errors.As(err, &ce) || ce.Kind != NoCMVN {
		t.Errorf("no CMVN: %v", err)
	}
	bad := *md
	bad.Features = json.RawMessage(`{`)
	if _, err := Classify(m, &bad, samples, 16000); !errors.As(err, &ce) || ce.Kind != BadMetadata {
		t.Errorf("corrupt features: %v", err)
	}
	// Exactly one frame is enough; with a longer delay nothing is described.
	long := *md
	long.TargetDelay = 5
	c, err := Classify(m, &long, samples[:400], 16000)
	if err != nil || c.LogProbs.Rows != 1 || c.Posteriors.Rows != 0 || len(c.Segments) != 0 {
		t.Errorf("one frame, delay 5: %v %+v", err, c)
	}
}
