package data

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// rateCorpus renders testCorpus at 48 kHz as 24-bit stereo WAV, .PHN
// positions ×3.
func rateCorpus(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	for name, f := range testCorpus() {
		switch filepath.Ext(name) {
		case ".wav":
			a, err := ReadWAV(bytes.NewReader(f.Data))
			if err != nil {
				t.Fatal(err)
			}
			up, err := features.Resample(int16sToFloat(a.Samples), 16000, 48000)
			if err != nil {
				t.Fatal(err)
			}
			wf := WAVFormat{EncodingPCM, 24, 2, 48000, false}
			out[name] = &fstest.MapFile{Data: wavOf(wf, encodeWAVSamples(up, wf, false))}
		case ".phn":
			segs, err := labels.ParsePHN(bytes.NewReader(f.Data))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, s := range segs {
				fmt.Fprintf(&b, "%d %d %s\n", 3*s.Start, 3*s.End, labels.TIMIT61().Name(s.Phone))
			}
			out[name] = &fstest.MapFile{Data: []byte(b.String())}
		}
	}
	return out
}

// TestExtractResample: a 48 kHz 24-bit stereo corpus is refused by default
// and, with Resample, gives the frames and the labels of the
// 16 kHz original (positions scale exactly by 3), and manifests that say so.
func TestExtractResample(t *testing.T) {
	hi := rateCorpus(t)
	if _, err := Extract(context.Background(), hi, t.TempDir(), ExtractOptions{Features: features.DefaultConfig(), Jobs: 2}, nil); err == nil ||
		!strings.Contains(err.Error(), "PCM, 24-bit, 2 channels, 48000 Hz: want 16-bit PCM mono") {
		t.Fatalf("48 kHz corpus without Resample: %v", err)
	}
	ref, _ := extractTo(t, testCorpus(), ExtractOptions{Jobs: 2})
	got, _ := extractTo(t, hi, ExtractOptions{Jobs: 2, Resample: true})
	for _, split := range []string{Train, Dev, Test} {
		a, err := LoadSplit(filepath.Join(ref, split))
		if err != nil {
			t.Fatal(err)
		}
		b, err := LoadSplit(filepath.Join(got, split))
		if err != nil {
			t.Fatal(err)
		}
		if !b.Manifest.Resampled || a.Manifest.Resampled {
			t.Errorf("%s: Resampled %v (reference %v)", split, b.Manifest.Resampled, a.Manifest.Resampled)
		}
		for i, u := range b.Manifest.Utterances {
			if u.SourceRate != 48000 || u.Samples != a.Manifest.Utterances[i].Samples {
				t.Errorf("%s %s: source rate %d, %d samples (reference %d)", split, u.ID, u.SourceRate, u.Samples, a.Manifest.Utterances[i].Samples)
			}
		}
		var frames, differ int
		for i, s := range b.Sentences {
			r := a.Sentences[i]
			if s.Feats.Rows != r.Feats.Rows {
				t.Fatalf("%s %s: %d frames, reference %d", split, s.ID, s.Feats.Rows, r.Feats.Rows)
			}
			for f := range s.Labels {
				frames++
				if s.Labels[f] != r.Labels[f] {
					differ++
				}
			}
		}
		if differ != 0 {
			t.Errorf("%s: %d of %d frame labels differ", split, differ, frames)
		}
	}
}
