//go:build integration

package data

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/sharedtest"
)

// TestExtractTIMITSample extracts the TIMIT sample NLTK distributes (12
// speakers × 10 utterances, $PHONEME_SHARED/corpora/timit-sample) with the
// default options and checks the exact counts: the default sample split
// (SampleTestSpeakers, SampleDevSpeakers; 8 training speakers), 8
// utterances per speaker once SA1/SA2 are left out, and as many frames as
// Kaldi's framing gives for every file's length, read independently here.
func TestExtractTIMITSample(t *testing.T) {
	corpus := sharedtest.TIMITSample(t)
	fsys := os.DirFS(corpus)
	cfg := features.DefaultConfig()

	for _, keepSA := range []bool{false, true} {
		perSpeaker := 8
		if keepSA {
			perSpeaker = 10
		}
		out := t.TempDir()
		sum, err := Extract(context.Background(), fsys, out, ExtractOptions{Features: cfg, Corpus: corpus, Split: SplitOptions{KeepSA: keepSA}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Layout != LayoutNLTK || len(sum.Skipped) != 0 || len(sum.Splits) != 3 {
			t.Fatalf("summary %+v", sum)
		}
		wantSpk := map[string][]string{
			Train: {"falk0", "falr0", "fapb0", "ftlg0", "madc0", "maeb0", "mbgt0", "mbma1"},
			Dev:   SampleDevSpeakers(),
			Test:  SampleTestSpeakers(),
		}
		for _, sp := range sum.Splits {
			s, err := LoadSplit(sp.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := speakersOf(uttsOf(s)); !reflect.DeepEqual(got, wantSpk[sp.Name]) {
				t.Errorf("%s speakers %v, want %v", sp.Name, got, wantSpk[sp.Name])
			}
			if want := perSpeaker * len(wantSpk[sp.Name]); len(s.Sentences) != want || sp.Counts.Utterances != want {
				t.Errorf("%s: %d utterances, want %d", sp.Name, len(s.Sentences), want)
			}
			var frames int64
			var seconds float64
			for i, u := range s.Manifest.Utterances {
				a, err := ReadAudio(fsys, u.Audio, cfg.SampleRate)
				if err != nil {
					t.Fatal(err)
				}
				n := cfg.NumFrames(len(a.Samples))
				if s.Sentences[i].Feats.Rows != n || len(s.Sentences[i].Labels) != n {
					t.Errorf("%s: %d frames, %d labels, want %d", u.ID, s.Sentences[i].Feats.Rows, len(s.Sentences[i].Labels), n)
				}
				frames += int64(n)
				seconds += float64(len(a.Samples)) / float64(cfg.SampleRate)
			}
			c := sp.Counts
			if c.Frames != frames || s.Frames() != frames || c.Seconds != seconds {
				t.Errorf("%s: %d frames, %g s; want %d, %g", sp.Name, c.Frames, c.Seconds, frames, seconds)
			}
			// TIMIT segmentations cover each file from start to end: at most
			// a frame or two at the edges falls outside.
			if c.Coverage() < 99.5 {
				t.Errorf("%s: label coverage %.2f%%", sp.Name, c.Coverage())
			}
			t.Logf("keep-sa=%v %s: %d speakers, %d utterances, %d frames, %.1f s, %d excluded", keepSA, sp.Name, c.Speakers, c.Utterances, c.Frames, c.Seconds, c.ExcludedFrames)
		}
	}
}
