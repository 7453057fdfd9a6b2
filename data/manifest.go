package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// ManifestVersion is the version of the manifest.json format written by
// Extract; LoadSplit rejects other versions. Fields added since without
// changing the meaning of the others (speakers) keep the version: a
// manifest without them is still read.
const ManifestVersion = 1

// Manifest describes one extracted split folder (manifest.json): how the
// features were computed, what the labels mean, the normalisation
// statistics of the training split, counts, and where every utterance came
// from.
type Manifest struct {
	Version int    `json:"version"`
	Split   string `json:"split"`  // train, dev or test
	Corpus  string `json:"corpus"` // the corpus folder as given
	Layout  Layout `json:"layout"`

	// Features is the resolved feature configuration; every matrix in
	// feats.ark is frames × Features.Dim(), raw (not normalised).
	Features features.Config `json:"features"`
	Dim      int             `json:"dim"`

	// Phones lists the label set: label value i of ali.ark is Phones[i]
	// (TIMIT's 61 phones, as in phones.txt). ExcludedLabel marks frames
	// whose centre lies outside every phone segment; they are never scored.
	Phones        []string `json:"phones"`
	ExcludedLabel int32    `json:"excluded_label"`

	// Resampled says the split was extracted with --resample: audio in any
	// encoding, at any rate, resampled to Features.SampleRate (each
	// utterance's SourceRate says from what).
	Resampled bool `json:"resampled,omitempty"`

	// CMVNMean and CMVNStd are the per-dimension mean and standard
	// deviation of the TRAINING split's features (the same in every split's
	// manifest), over CMVNFrames frames.
	CMVNMean   []float32 `json:"cmvn_mean"`
	CMVNStd    []float32 `json:"cmvn_std"`
	CMVNFrames int64     `json:"cmvn_frames"`

	Counts Counts `json:"counts"`
	// Speakers lists the split's speakers, sorted. Manifests written before
	// it was recorded get it from Utterances when read.
	Speakers []string `json:"speakers"`

	Utterances []UtteranceSource `json:"utterances"`
	Skipped    []Skipped         `json:"skipped"`
}

// Counts summarises one split.
type Counts struct {
	Utterances     int     `json:"utterances"`
	Speakers       int     `json:"speakers"`
	Frames         int64   `json:"frames"`
	ExcludedFrames int64   `json:"excluded_frames"`
	Seconds        float64 `json:"seconds"`
	// PhoneFrames[i] counts the frames labelled with phone i.
	PhoneFrames []int64 `json:"phone_frames"`
	// PhonesSeen is the number of phones with at least one frame.
	PhonesSeen int `json:"phones_seen"`
}

// Coverage returns the percentage of frames that carry a phone label.
func (c Counts) Coverage() float64 {
	if c.Frames == 0 {
		return 0
	}
	return 100 * float64(c.Frames-c.ExcludedFrames) / float64(c.Frames)
}

// Hours returns the audio duration in hours.
func (c Counts) Hours() float64 { return c.Seconds / 3600 }

// UtteranceSource records where one utterance of a split came from.
type UtteranceSource struct {
	ID      string `json:"id"`
	Speaker string `json:"speaker"`
	Audio   string `json:"audio"`
	PHN     string `json:"phn"`
	Samples int    `json:"samples"`
	Frames  int    `json:"frames"`
	// SourceRate is the audio file's sample rate, recorded when the split
	// was Resampled (Samples counts samples after resampling).
	SourceRate int `json:"source_rate,omitempty"`
}

// ReadManifest reads and checks a manifest.json.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func parseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Manifest) check() error {
	if m.Version != ManifestVersion {
		return fmt.Errorf("manifest version %d, want %d (re-run phoneme extract)", m.Version, ManifestVersion)
	}
	if err := m.Features.Validate(); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	if m.Dim != m.Features.Dim() {
		return fmt.Errorf("dim %d does not match the feature configuration (%d)", m.Dim, m.Features.Dim())
	}
	if len(m.Phones) != labels.NumPhones {
		return fmt.Errorf("%d phones, want %d", len(m.Phones), labels.NumPhones)
	}
	want := labels.TIMIT61()
	for i, p := range m.Phones {
		if p != want.Name(i) {
			return fmt.Errorf("phone %d is %q, want %q (TIMIT61 order)", i, p, want.Name(i))
		}
	}
	if m.ExcludedLabel != labels.Excluded {
		return fmt.Errorf("excluded label %d, want %d", m.ExcludedLabel, labels.Excluded)
	}
	if len(m.CMVNMean) != m.Dim || len(m.CMVNStd) != m.Dim {
		return fmt.Errorf("CMVN statistics have %d/%d dims, want %d", len(m.CMVNMean), len(m.CMVNStd), m.Dim)
	}
	for i := range m.CMVNMean {
		if !finite(m.CMVNMean[i]) || !finite(m.CMVNStd[i]) || !(m.CMVNStd[i] > 0) {
			return fmt.Errorf("CMVN dim %d: mean %g, std %g (want finite, std > 0)", i, m.CMVNMean[i], m.CMVNStd[i])
		}
	}
	if len(m.Utterances) != m.Counts.Utterances {
		return errors.New("utterance list and count disagree")
	}
	spk := manifestSpeakers(m.Utterances)
	if m.Speakers == nil {
		m.Speakers = spk
	} else if !slices.Equal(m.Speakers, spk) {
		return fmt.Errorf("speaker list (%d speakers) disagrees with the utterances' speakers (%d)", len(m.Speakers), len(spk))
	}
	return nil
}

// manifestSpeakers returns the distinct speakers of us, sorted.
func manifestSpeakers(us []UtteranceSource) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.Speaker)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
