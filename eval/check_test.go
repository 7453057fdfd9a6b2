package eval

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// newModel returns a random network of the given shape.
func newModel(t *testing.T, inputs, outputs int) *lstm.Model {
	t.Helper()
	m, err := lstm.New(lstm.Config{Inputs: inputs, Hidden: 4, Layers: 1, Outputs: outputs}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckModel(t *testing.T) {
	fc := features.DefaultConfig()
	fc.Deltas = 1
	deltas1, _ := json.Marshal(fc)
	fc = features.DefaultConfig()
	fc.Dither = 1
	dither, _ := json.Marshal(fc)
	swapped := labels.TIMIT61().Names()
	swapped[3], swapped[4] = swapped[4], swapped[3]

	tests := []struct {
		name string
		edit func(m **lstm.Model, md *lstm.Metadata, s *data.Split)
		kind Mismatch // 0: compatible
		want string   // in the message
	}{
		{"compatible", func(**lstm.Model, *lstm.Metadata, *data.Split) {}, 0, ""},
		{"no phone list", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.Phones = nil }, 0, ""},
		{"inputs", func(m **lstm.Model, _ *lstm.Metadata, _ *data.Split) { *m = newModel(t, 13, labels.NumPhones) },
			MismatchInputs, "the model takes 13-dimensional features but test has 39"},
		{"outputs", func(m **lstm.Model, _ *lstm.Metadata, _ *data.Split) { *m = newModel(t, 39, 39) },
			MismatchOutputs, "39 outputs"},
		{"data phones", func(_ **lstm.Model, _ *lstm.Metadata, s *data.Split) { s.Manifest.Phones = s.Manifest.Phones[:48] },
			MismatchOutputs, "48 phones"},
		{"phone count", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.Phones = md.Phones[:39] },
			MismatchPhones, "predicts 39 phones"},
		{"phone order", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.Phones = swapped },
			MismatchPhones, "model class 3 is"},
		{"features", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.Features = deltas1 },
			MismatchFeatures, "deltas: model 1, data 2"},
		{"no features", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.Features = nil },
			BadMetadata, "records no feature configuration"},
		{"corrupt features", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) {
			md.Features = json.RawMessage(`{"num_ceps": 13,`)
		}, BadMetadata, "feature configuration does not parse"},
		{"mistyped features", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) {
			md.Features = json.RawMessage(`{"num_ceps":"x"}`)
		}, BadMetadata, "feature configuration does not parse"},
		{"invalid features", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.Features = dither },
			BadMetadata, "dither"},
		{"cmvn length", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.CMVNMean = md.CMVNMean[:5] },
			BadCMVN, "5 means and 39 deviations"},
		{"cmvn zero sd", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.CMVNStd[2] = 0 },
			BadCMVN, "input 2"},
		{"cmvn NaN mean", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.CMVNMean[7] = float32(math.NaN()) },
			BadCMVN, "input 7"},
		{"delay", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.TargetDelay = -1 },
			BadDelay, "negative target delay -1"},
		{"sentence width", func(_ **lstm.Model, _ *lstm.Metadata, s *data.Split) {
			s.Sentences[2].Feats = features.NewMatrix(len(s.Sentences[2].Labels), 13)
		}, BadSentence, "utterance c has 13 features per frame"},
		{"label count", func(_ **lstm.Model, _ *lstm.Metadata, s *data.Split) {
			s.Sentences[1].Labels = s.Sentences[1].Labels[1:]
		}, BadSentence, "utterance b has"},
		{"label range", func(_ **lstm.Model, _ *lstm.Metadata, s *data.Split) { s.Sentences[4].Labels[3] = 61 },
			BadSentence, "label 61 at frame 3"},
		{"no cmvn", func(_ **lstm.Model, md *lstm.Metadata, _ *data.Split) { md.CMVNMean, md.CMVNStd = nil, nil },
			NoCMVN, "no normalisation statistics"},
		// A missing CMVN is reported only after every other check.
		{"no cmvn, bad label", func(_ **lstm.Model, md *lstm.Metadata, s *data.Split) {
			md.CMVNMean, md.CMVNStd = nil, nil
			s.Sentences[0].Labels[0] = -7
		}, BadSentence, "label -7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, md, s := testSplit(t)
			md.CMVNMean, md.CMVNStd = slices.Clone(md.CMVNMean), slices.Clone(md.CMVNStd)
			tt.edit(&m, md, s)
			err := CheckModel("m.safetensors", m, md, s)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("compatible checkpoint refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want a %v error", tt.kind)
			}
			if !errors.Is(err, ErrIncompatible) {
				t.Errorf("errors.Is(%v, ErrIncompatible) is false", err)
			}
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Kind != tt.kind {
				t.Fatalf("error %v (%#v), want kind %v", err, ce, tt.kind)
			}
			if errors.Is(err, ErrNoCMVN) != (tt.kind == NoCMVN) {
				t.Errorf("errors.Is(%v, ErrNoCMVN) = %v", err, !(tt.kind == NoCMVN))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "m.safetensors on test: ") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("message %q, want one line naming model and split, containing %q", msg, tt.want)
			}
		})
	}
}

// TestCheckModelCorruptFeatures: the JSON error of a metadata that does
// not parse is reported, reachable with errors.As, and names the model.
func TestCheckModelCorruptFeatures(t *testing.T) {
	m, md, s := testSplit(t)
	md.Features = json.RawMessage(`{"sample_rate": 16000 "num_ceps": 13}`)
	for _, split := range []*data.Split{s, nil} {
		err := CheckModel("models/best.safetensors", m, md, split)
		var se *json.SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrIncompatible) || !strings.HasPrefix(err.Error(), "models/best.safetensors") {
			t.Errorf("split %v: error %v, want a JSON syntax error naming the model", split != nil, err)
		}
	}
	md.Features = json.RawMessage(`{"num_ceps": "thirteen"}`)
	var te *json.UnmarshalTypeError
	if err := CheckModel("m", m, md, s); !errors.As(err, &te) {
		t.Errorf("mistyped option: %v, want a *json.UnmarshalTypeError", err)
	}
}

// TestCheckModelAlone: without data the checkpoint is checked on its own.
func TestCheckModelAlone(t *testing.T) {
	tests := []struct {
		name string
		edit func(m **lstm.Model, md *lstm.Metadata)
		kind Mismatch
		want string
	}{
		{"compatible", func(**lstm.Model, *lstm.Metadata) {}, 0, ""},
		{"no phone list", func(_ **lstm.Model, md *lstm.Metadata) { md.Phones = nil }, 0, ""},
		{"inputs", func(m **lstm.Model, md *lstm.Metadata) {
			*m = newModel(t, 13, labels.NumPhones)
			md.CMVNMean, md.CMVNStd = md.CMVNMean[:13], md.CMVNStd[:13]
		}, MismatchInputs, "the features are 39-dimensional but the network takes 13"},
		{"outputs", func(m **lstm.Model, _ *lstm.Metadata) { *m = newModel(t, 39, 48) }, MismatchOutputs, "48 outputs"},
		{"phones", func(_ **lstm.Model, md *lstm.Metadata) { md.Phones = md.Phones[:60] }, MismatchPhones, "60 phones for 61 outputs"},
		{"phone order", func(_ **lstm.Model, md *lstm.Metadata) {
			md.Phones = append([]string(nil), md.Phones...)
			md.Phones[4], md.Phones[5] = md.Phones[5], md.Phones[4]
		}, MismatchPhones, `the model's class 4 is "ax", TIMIT's phone 4 is "aw": the model uses another phone order`},
		{"no features", func(_ **lstm.Model, md *lstm.Metadata) { md.Features = nil }, BadMetadata, "no feature configuration"},
		{"cmvn", func(_ **lstm.Model, md *lstm.Metadata) { md.CMVNStd = md.CMVNStd[:1] }, BadCMVN, "39 means and 1 deviations"},
		{"delay", func(_ **lstm.Model, md *lstm.Metadata) { md.TargetDelay = -2 }, BadDelay, "-2"},
		{"no cmvn", func(_ **lstm.Model, md *lstm.Metadata) { md.CMVNMean, md.CMVNStd = nil, nil }, NoCMVN, "no normalisation statistics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, md, _ := testSplit(t)
			tt.edit(&m, md)
			err := CheckModel("m.safetensors", m, md, nil)
			var ce *CheckError
			switch {
			case tt.kind == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.kind == 0:
			case !errors.As(err, &ce) || ce.Kind != tt.kind || !errors.Is(err, ErrIncompatible):
				t.Fatalf("error %v, want kind %v", err, tt.kind)
			case !strings.HasPrefix(err.Error(), "m.safetensors: ") || !strings.Contains(err.Error(), tt.want):
				t.Errorf("message %q, want one naming the model and containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckModelArguments(t *testing.T) {
	m, md, s := testSplit(t)
	var ce *CheckError
	for _, err := range []error{
		CheckModel("m", nil, md, s),
		CheckModel("m", m, nil, s),
		CheckModel("m", m, md, &data.Split{Dir: "x"}),
	} {
		if err == nil || errors.As(err, &ce) {
			t.Errorf("missing argument: %v, want a plain error", err)
		}
	}
}

// TestEvaluateModelChecks: EvaluateModel refuses what CheckModel refuses.
func TestEvaluateModelChecks(t *testing.T) {
	m, md, s := testSplit(t)
	md.Phones = slices.Clone(md.Phones)
	md.Phones[0], md.Phones[1] = md.Phones[1], md.Phones[0]
	_, err := EvaluateModel(m, md, s)
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Kind != MismatchPhones || ce.Data != "test" {
		t.Errorf("EvaluateModel: %v, want a phone-list CheckError", err)
	}
}

func TestMismatchString(t *testing.T) {
	for k := MismatchInputs; k <= NoCMVN; k++ {
		if s := k.String(); s == "" || strings.HasPrefix(s, "Mismatch(") {
			t.Errorf("kind %d has no name", int(k))
		}
	}
	if s := Mismatch(99).String(); s != "Mismatch(99)" {
		t.Errorf("unknown kind: %q", s)
	}
}
