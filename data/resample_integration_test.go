//go:build integration

package data

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/sharedtest"
)

// TestResampleAgainstSox makes 44.1 and 48 kHz renditions (24-bit stereo,
// both channels equal, at half volume) of real TIMIT-sample utterances with sox at test
// time, brings them back to 16 kHz once with our resampler and once with
// `sox -D … rate -v 16k` (no dither, 16-bit), and compares the MFCCs of the
// two (39 dimensions, Kaldi defaults).
//
// Both filters keep 95 % of the band (sox's default bandwidth) and reject
// the rest far below 16-bit resolution (ours 120 dB, sox -v 170 dB); both
// round to 16 bits. What remains is the shape of the transition band
// (7600–8000 Hz, the top mel bin's upper half) and rounding. Differences
// are in units of each dimension's standard deviation over the utterance
// (the scale the network sees after CMVN). Measured on the three
// utterances below (2026-12-02): RMS over all frames and dimensions 0.017
// to 0.033 σ, worst single value 0.29 to 0.73 σ (near-silent frames, whose
// log mel energies move with rounding noise), while the round trip itself
// (sox's 16 kHz result against the original 16 kHz recording) moves them
// by 0.056 to 0.090 σ RMS, 0.86 to 1.27 σ at worst. Tolerances: RMS ≤
// 0.05 σ, max ≤ 1 σ, and ours-vs-sox RMS at most half the round trip's:
// two good resamplers must agree better than either agrees with the
// original.
func TestResampleAgainstSox(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		t.Fatal("sox is not installed (.ci/run installs it)")
	}
	root := sharedtest.TIMITSample(t)
	ex, err := features.NewExtractor(features.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	feats := func(a *Audio) *features.Matrix {
		m, err := ComputeFeatures(ex, a.Samples)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	sox := func(args ...string) {
		if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %v: %v\n%s", args, err, out)
		}
	}
	for _, utt := range []string{"dr1-fvmh0/sa1.wav", "dr4-maeb0/si1411.wav", "dr5-ftlg0/sx123.wav"} {
		src := filepath.Join(root, utt)
		if _, err := os.Stat(src); err != nil {
			t.Fatal(err)
		}
		orig, err := ReadAudio(os.DirFS(root), utt, 16000)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range orig.Samples { // at the renditions' volume
			orig.Samples[i] = int16(math.Round(float64(v) / 2))
		}
		for _, rate := range []string{"44100", "48000"} {
			hi := filepath.Join(dir, "hi.wav")
			ref := filepath.Join(dir, "ref.wav")
			// The sample is recorded up to full scale: at half volume
			// neither resampler clips.
			sox("-D", src, "-b", "24", "-c", "2", hi, "vol", "0.5", "rate", "-v", rate)
			sox("-D", hi, "-b", "16", "-c", "1", ref, "rate", "-v", "16k")
			rec, err := DecodeAudio(os.DirFS(dir), "hi.wav", DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ours, clipped, err := rec.Audio(16000)
			if err != nil || clipped != 0 {
				t.Fatalf("%s at %s: %v, %d clipped", utt, rate, err, clipped)
			}
			theirs, err := ReadAudio(os.DirFS(dir), "ref.wav", 16000)
			if err != nil {
				t.Fatal(err)
			}
			if d := len(ours.Samples) - len(theirs.Samples); d < -1 || d > 1 {
				t.Fatalf("%s at %s: %d samples, sox %d", utt, rate, len(ours.Samples), len(theirs.Samples))
			}
			a, b, o := feats(ours), feats(theirs), feats(orig)
			rmsD, maxD := featureDiff(a, b)
			rmsO, maxO := featureDiff(b, o)
			t.Logf("%s via %s Hz: ours vs sox -v: RMS %.4f σ, max %.3f σ; (sox vs the 16 kHz original: RMS %.4f σ, max %.3f σ)", utt, rate, rmsD, maxD, rmsO, maxO)
			if rmsD > 0.05 || maxD > 1 || rmsD > rmsO/2 {
				t.Errorf("%s via %s Hz: features differ from sox's by RMS %.4f σ, max %.3f σ; want ≤ 0.05 σ, ≤ 1 σ and ≤ half the round trip's %.4f σ", utt, rate, rmsD, maxD, rmsO)
			}
		}
	}
}

// featureDiff compares a and b over their common frames, in units of each
// dimension's standard deviation in b.
func featureDiff(a, b *features.Matrix) (rms, maxAbs float64) {
	rows := min(a.Rows, b.Rows)
	sd := make([]float64, b.Cols)
	for j := range sd {
		var s, ss float64
		for i := range rows {
			v := float64(b.Row(i)[j])
			s += v
			ss += v * v
		}
		m := s / float64(rows)
		sd[j] = math.Sqrt(ss/float64(rows) - m*m)
	}
	var sum float64
	for i := range rows {
		for j := range sd {
			d := math.Abs(float64(a.Row(i)[j]-b.Row(i)[j])) / sd[j]
			sum += d * d
			maxAbs = max(maxAbs, d)
		}
	}
	return math.Sqrt(sum / float64(rows*len(sd))), maxAbs
}
