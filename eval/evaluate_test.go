package eval

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// testSplit returns a split of raw random features (offset and scaled so
// that normalisation matters) with random labels, some excluded, and a
// matching checkpoint metadata and model.
func testSplit(t testing.TB) (*lstm.Model, *lstm.Metadata, *data.Split) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	fc := features.DefaultConfig()
	dim := fc.Dim()
	m, err := lstm.New(lstm.Config{Inputs: dim, Hidden: 8, Layers: 1, Outputs: labels.NumPhones}, rng)
	if err != nil {
		t.Fatal(err)
	}
	mean, std := make([]float32, dim), make([]float32, dim)
	for i := range dim {
		mean[i], std[i] = float32(10*rng.NormFloat64()), float32(1+5*rng.Float64())
	}
	man := &data.Manifest{Features: fc, Dim: dim, Phones: labels.TIMIT61().Names(), ExcludedLabel: labels.Excluded, CMVNMean: mean, CMVNStd: std}
	s := &data.Split{Dir: "test", Manifest: man}
	for i := range 9 {
		n := 20 + rng.IntN(40)
		x := features.NewMatrix(n, dim)
		for j := range x.Data {
			k := j % dim
			x.Data[j] = mean[k] + std[k]*float32(rng.NormFloat64())
		}
		lab := make([]int32, n)
		for j := range lab {
			lab[j] = int32(rng.IntN(labels.NumPhones))
			if rng.IntN(10) == 0 {
				lab[j] = labels.Excluded
			}
		}
		s.Sentences = append(s.Sentences, &data.Sentence{ID: string(rune('a' + i)), Speaker: "spk", Feats: x, Labels: lab})
	}
	feats, _ := json.Marshal(fc)
	md := &lstm.Metadata{Phones: labels.TIMIT61().Names(), Features: feats, TargetDelay: 2, CMVNMean: mean, CMVNStd: std}
	return m, md, s
}

// serial scores s one sentence after another, normalising copies: the
// reference for the parallel Evaluate.
func serial(t *testing.T, m *lstm.Model, md *lstm.Metadata, s *data.Split) *Confusion {
	c := NewConfusion61()
	for _, sent := range s.Sentences {
		x := &features.Matrix{Rows: sent.Feats.Rows, Cols: sent.Feats.Cols, Data: slices.Clone(sent.Feats.Data)}
		features.Normalize(x, md.CMVNMean, md.CMVNStd)
		lp := m.LogProbs(x)
		if _, err := c.AddSentence(Decode(nil, lp.Data, lp.Cols), sent.Labels, md.TargetDelay); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestEvaluateModel(t *testing.T) {
	m, md, s := testSplit(t)
	before := slices.Clone(s.Sentences[0].Feats.Data)
	r, err := EvaluateModel(m, md, s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, s.Sentences[0].Feats.Data) {
		t.Fatal("EvaluateModel modified the split's features")
	}
	want := serial(t, m, md, s)
	if !reflect.DeepEqual(r.Confusion61, want) {
		t.Fatal("parallel confusion differs from serial scoring")
	}
	// Every non-excluded label at t < T−delay is scored.
	var frames int64
	for _, sent := range s.Sentences {
		for _, l := range sent.Labels[:len(sent.Labels)-md.TargetDelay] {
			if l != labels.Excluded {
				frames++
			}
		}
	}
	if r.Frames != frames || r.Sentences != len(s.Sentences) {
		t.Fatalf("scored %d frames of %d sentences, want %d of %d", r.Frames, r.Sentences, frames, len(s.Sentences))
	}

	// Evaluate on a split normalised in place gives the same report.
	s.Normalize(md.CMVNMean, md.CMVNStd)
	r2, err := Evaluate(m, s, md.TargetDelay)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r2, r) {
		t.Fatal("Evaluate on normalised features differs from EvaluateModel on raw ones")
	}
}

func TestEvaluateRejects(t *testing.T) {
	m, md, s := testSplit(t)
	s.Sentences[3].Labels[0] = 70
	if _, err := Evaluate(m, s, 0); err == nil || !strings.Contains(err.Error(), "utterance d") {
		t.Errorf("bad label: %v", err)
	}
	_, _, s = testSplit(t)
	if _, err := Evaluate(m, s, -1); err == nil {
		t.Error("accepted negative delay")
	}
	if _, err := Evaluate(m, s, 100); err == nil {
		t.Error("accepted a delay longer than every sentence (nothing scored)")
	}
	empty := &data.Split{Dir: "empty", Manifest: s.Manifest}
	if _, err := Evaluate(m, empty, 0); err == nil {
		t.Error("accepted an empty split")
	}
	noCMVN := *md
	noCMVN.CMVNMean, noCMVN.CMVNStd = nil, nil
	if _, err := EvaluateModel(m, &noCMVN, s); err == nil {
		t.Error("accepted a model without CMVN")
	}
}

func BenchmarkEvaluateModel(b *testing.B) {
	m, md, s := testSplit(b)
	var frames int64
	for _, sent := range s.Sentences {
		frames += int64(sent.Feats.Rows)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EvaluateModel(m, md, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(frames*int64(b.N))/b.Elapsed().Seconds(), "frames/s")
}
