package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// ErrIncompatible is wrapped by every error of CheckModel: the checkpoint
// cannot be applied to the data (or, checked alone, to any data).
var ErrIncompatible = errors.New("model and data are incompatible")

// ErrNoCMVN is also wrapped by the CheckModel error of kind NoCMVN, the
// one a caller with normalisation statistics of its own may accept.
var ErrNoCMVN = errors.New("no CMVN statistics")

// Mismatch names what a CheckModel error is about.
type Mismatch int

const (
	// MismatchInputs: the network's input dimension is not the data's
	// feature dimension (or, checked alone, not the dimension of its own
	// feature configuration).
	MismatchInputs Mismatch = iota + 1
	// MismatchOutputs: the network does not have one output per phone.
	MismatchOutputs
	// MismatchPhones: the checkpoint's phone list differs from the data's
	// (phones.txt, manifest) in length, names or order.
	MismatchPhones
	// MismatchFeatures: the data was extracted with another feature
	// configuration than the model was trained on.
	MismatchFeatures
	// BadMetadata: the checkpoint's feature configuration is missing, does
	// not parse or is not valid.
	BadMetadata
	// BadCMVN: the checkpoint's normalisation statistics have the wrong
	// length or impossible values.
	BadCMVN
	// BadDelay: the checkpoint's target delay is negative.
	BadDelay
	// BadSentence: a sentence of the split has features of another width
	// than the network takes, a label count differing from its frame count,
	// or a label that is neither a class nor labels.Excluded.
	BadSentence
	// NoCMVN: the checkpoint carries no normalisation statistics, so it
	// cannot be applied to raw features. It is reported only when every
	// other check passed, and the error also wraps ErrNoCMVN.
	NoCMVN
)

var mismatchNames = [...]string{"", "inputs", "outputs", "phones", "features", "metadata", "cmvn", "delay", "sentence", "no-cmvn"}

func (k Mismatch) String() string {
	if k > 0 && int(k) < len(mismatchNames) {
		return mismatchNames[k]
	}
	return fmt.Sprintf("Mismatch(%d)", int(k))
}

// CheckError is the error of CheckModel. It wraps ErrIncompatible and, when
// there is one, the underlying cause (a JSON error of the metadata, a
// feature configuration error): errors.Is and errors.As see both.
type CheckError struct {
	Model  string // the checkpoint as the caller named it; "" reads "model"
	Data   string // the split folder; "" when the checkpoint was checked alone
	Kind   Mismatch
	Detail string // what differs, one line
	Err    error  // cause, or nil
}

// Error returns one line naming the model, the split folder and what
// differs: "m.safetensors on feats/test: …".
func (e *CheckError) Error() string {
	model := e.Model
	if model == "" {
		model = "model"
	}
	if e.Data == "" {
		return model + ": " + e.Detail
	}
	return model + " on " + e.Data + ": " + e.Detail
}

// Unwrap returns ErrIncompatible and the cause, if any.
func (e *CheckError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrIncompatible}
	}
	return []error{ErrIncompatible, e.Err}
}

// CheckModel reports whether the checkpoint (m, md), as returned by
// lstm.Load from the file named name (used in messages only), can be
// applied to the raw features of split s. It checks, in this order:
//
//   - the network's input dimension against the split's feature dimension;
//   - its outputs against the split's phones (the 61 of TIMIT), and the
//     checkpoint's phone list against the split's, names and order (an
//     empty list stands for the split's, as lstm.Metadata allows);
//   - the feature configuration recorded in the checkpoint — missing,
//     unparsable or invalid JSON is an error naming the model — against
//     the split's (the error lists the options that differ);
//   - the normalisation (CMVN) statistics: as many means and deviations as
//     inputs, finite, deviations positive;
//   - the target delay, which must not be negative;
//   - every sentence: features as wide as the network's input, one label
//     per frame, each label a class or labels.Excluded;
//   - last, that the checkpoint has CMVN statistics at all (NoCMVN).
//
// With s nil the checkpoint is checked alone, as classifying new audio
// needs: its feature configuration must be valid and of the network's input
// dimension, it must have 61 outputs and as many phone names (if any), and
// CMVN statistics. Either way the checkpoint's phone names, if any, must be
// TIMIT's 61 in order; the error names the first that differs.
//
// The error is a *CheckError wrapping ErrIncompatible; its Kind says what
// differs. An error that is not a *CheckError means missing arguments.
func CheckModel(name string, m *lstm.Model, md *lstm.Metadata, s *data.Split) error {
	_, err := checkModel(name, m, md, s)
	return err
}

// ModelFeatures returns the feature configuration recorded in the
// checkpoint metadata md, checked as CheckModel does (a *CheckError of kind
// BadMetadata if it is missing, does not parse or is not valid).
func ModelFeatures(name string, md *lstm.Metadata) (features.Config, error) {
	var fc features.Config
	fail := func(err error, format string, args ...any) (features.Config, error) {
		return fc, &CheckError{Model: name, Kind: BadMetadata, Detail: fmt.Sprintf(format, args...), Err: err}
	}
	if md == nil || len(md.Features) == 0 {
		return fail(nil, "the checkpoint records no feature configuration")
	}
	if err := json.Unmarshal(md.Features, &fc); err != nil {
		return fail(err, "the checkpoint's feature configuration does not parse: %v", err)
	}
	if err := fc.Validate(); err != nil {
		return fail(err, "the checkpoint's feature configuration is not valid: %v", err)
	}
	return fc, nil
}

// checkModel is CheckModel, returning the checkpoint's feature
// configuration.
func checkModel(name string, m *lstm.Model, md *lstm.Metadata, s *data.Split) (features.Config, error) {
	var fc features.Config
	if m == nil || md == nil {
		return fc, errors.New("check model: missing model or metadata")
	}
	if s != nil && s.Manifest == nil {
		return fc, fmt.Errorf("check model: split %s has no manifest", s.Dir)
	}
	dir := ""
	if s != nil {
		dir = s.Dir
	}
	fail := func(kind Mismatch, cause error, format string, args ...any) (features.Config, error) {
		return fc, &CheckError{Model: name, Data: dir, Kind: kind, Detail: fmt.Sprintf(format, args...), Err: cause}
	}
	c := m.Config()

	// Shape against the data.
	if s != nil {
		man := s.Manifest
		if c.Inputs != man.Dim {
			return fail(MismatchInputs, nil, "the model takes %d-dimensional features but %s has %d", c.Inputs, dir, man.Dim)
		}
		if c.Outputs != len(man.Phones) {
			return fail(MismatchOutputs, nil, "the model has %d outputs, the data is labelled with %d phones", c.Outputs, len(man.Phones))
		}
	}
	if c.Outputs != labels.NumPhones {
		return fail(MismatchOutputs, nil, "the model has %d outputs, want one per TIMIT phone (%d)", c.Outputs, labels.NumPhones)
	}
	if s != nil && len(md.Phones) > 0 {
		want := s.Manifest.Phones
		if len(md.Phones) != len(want) {
			return fail(MismatchPhones, nil, "the model predicts %d phones, the data is labelled with %d", len(md.Phones), len(want))
		}
		for i := range md.Phones {
			if md.Phones[i] != want[i] {
				return fail(MismatchPhones, nil, "phone lists differ: model class %d is %q, data label %d is %q", i, md.Phones[i], i, want[i])
			}
		}
	} else if len(md.Phones) > 0 && len(md.Phones) != c.Outputs {
		return fail(MismatchPhones, nil, "the checkpoint names %d phones for %d outputs", len(md.Phones), c.Outputs)
	}
	// Data are always labelled in TIMIT's 61-phone order (the manifest and
	// phones.txt are checked against it when read): a model naming its
	// classes in another order would mislabel every frame.
	t61 := labels.TIMIT61()
	for i, p := range md.Phones {
		if p != t61.Name(i) {
			return fail(MismatchPhones, nil, "the model's class %d is %q, TIMIT's phone %d is %q: the model uses another phone order", i, p, i, t61.Name(i))
		}
	}

	// Features.
	fc, err := ModelFeatures(name, md)
	if err != nil {
		ce := err.(*CheckError)
		ce.Data = dir
		return fc, ce
	}
	if s != nil {
		if fc != s.Manifest.Features {
			return fail(MismatchFeatures, nil, "the model was trained on other features than the data (%s); re-extract the data with the model's configuration",
				configDiff(fc, s.Manifest.Features))
		}
	} else if fc.Dim() != c.Inputs {
		return fail(MismatchInputs, nil, "the features are %d-dimensional but the network takes %d", fc.Dim(), c.Inputs)
	}

	// Normalisation and delay.
	mean, std := md.CMVNMean, md.CMVNStd
	if len(mean) != len(std) || (len(mean) != 0 && len(mean) != c.Inputs) {
		return fail(BadCMVN, nil, "the model's normalisation has %d means and %d deviations for %d inputs", len(mean), len(std), c.Inputs)
	}
	for i, sd := range std {
		if !(sd > 0) || math.IsInf(float64(sd), 0) || math.IsNaN(float64(mean[i])) || math.IsInf(float64(mean[i]), 0) {
			return fail(BadCMVN, nil, "the model's normalisation of input %d has mean %g and deviation %g (want finite, deviation > 0)", i, mean[i], sd)
		}
	}
	if md.TargetDelay < 0 {
		return fail(BadDelay, nil, "the model has negative target delay %d", md.TargetDelay)
	}

	// Every sentence.
	if s != nil {
		if err := data.CheckSentences(s.Sentences, c.Inputs, c.Outputs); err != nil {
			return fail(BadSentence, nil, "%s", err)
		}
	}
	if len(mean) == 0 {
		return fail(NoCMVN, ErrNoCMVN, "the checkpoint has no normalisation statistics (CMVN); it cannot be applied to raw features")
	}
	return fc, nil
}

// configDiff lists the JSON options on which model and data differ, as
// "name: model X, data Y".
func configDiff(model, data features.Config) string {
	var diffs []string
	for _, d := range model.Differences(data) {
		diffs = append(diffs, fmt.Sprintf("%s: model %v, data %v", d.Name, d.A, d.B))
	}
	return strings.Join(diffs, "; ")
}
