//go:build integration

package data

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/internal/sharedtest"
	"github.com/phoneme/phoneme/labels"
)

// TestReadTIMITSample reads every .wav/.phn pair of the shared TIMIT sample
// (RIFF, 16 kHz) and checks that the segmentations fit the audio within one
// 10 ms frame shift.
func TestReadTIMITSample(t *testing.T) {
	root := sharedtest.TIMITSample(t)
	fsys := os.DirFS(root)
	wavs, err := fs.Glob(fsys, "*/*.wav")
	if err != nil {
		t.Fatal(err)
	}
	if len(wavs) != 120 {
		t.Fatalf("found %d .wav files under %s, want 120", len(wavs), root)
	}
	const shift = 160 // one 10 ms frame at 16 kHz
	seen := map[int]bool{}
	var seconds float64
	for _, w := range wavs {
		a, err := ReadAudio(fsys, w, 16000)
		if err != nil {
			t.Fatal(err)
		}
		seconds += float64(len(a.Samples)) / float64(a.SampleRate)
		p := strings.TrimSuffix(w, ".wav") + ".phn"
		f, err := fsys.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		segs, err := labels.ParsePHN(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if err := labels.CheckEnd(segs, len(a.Samples), shift); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		for _, s := range segs {
			seen[s.Phone] = true
		}
	}
	t.Logf("%d files, %.1f s of audio, %d distinct phones", len(wavs), seconds, len(seen))
	if len(seen) != labels.NumPhones {
		t.Errorf("labels cover %d phones, want all 61 (the sample uses every phone)", len(seen))
	}
}
