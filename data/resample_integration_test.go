//go:build integration

package data

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/sharedtest"
	"gonum.org/v1/gonum/dsp/fourier"
)

// TestResampleAgainstSox makes 44.1 and 48 kHz renditions (24-bit stereo,
// both channels equal, at half volume) of real TIMIT-sample utterances with sox at test
// time, brings them back to 16 kHz once with our resampler and once with
// `sox -D … rate -v 16k` (no dither, 16-bit), and compares the MFCCs of the
// two (39 dimensions, Kaldi defaults).
//
// The two filters differ in their transition band only: sox's "95 %
// band-width" is its −3 dB point (TestResampleResponseVsSox: −0.01 dB at
// 7400 Hz, −3 dB at 7600, −31 dB at 7800), ours is flat to 7600 Hz and
// −6 dB at 7800; both reject the rest far below 16-bit resolution (ours
// 120 dB, sox -v 170 dB) and round to 16 bits. Measured on the three
// utterances below (2026-12-02): below 7 kHz the resampled signals agree to
// 56–86 dB; above it to 19 dB. Features are compared in units of each
// dimension's standard deviation over the utterance (the scale the network
// sees after CMVN): ours against sox's differ by 0.017–0.034 σ RMS, 0.29–0.92 σ
// at worst (near-silent frames, whose log mel energies move with rounding),
// while the round trip itself (sox's 16 kHz result against the original
// recording) moves them by 0.056–0.090 σ RMS, 0.86–1.27 σ at worst — and
// ours by slightly less (0.055–0.086 σ RMS): it keeps more of the band.
// Tolerances: below 7 kHz the samples agree to ≥ 50 dB; features RMS ≤
// 0.05 σ and at most half the round trip's; worst value no larger than the
// round trip's own worst: two good resamplers must agree better than
// either agrees with the original.
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
			lowDB, topDB := bandAgreement(ours.Samples, theirs.Samples, 7000)
			t.Logf("%s via %s Hz: samples agree to %.1f dB below 7 kHz, %.1f dB above", utt, rate, lowDB, topDB)
			if lowDB < 50 {
				t.Errorf("%s via %s Hz: below 7 kHz our samples differ from sox's by only %.1f dB; want ≥ 50 dB", utt, rate, lowDB)
			}
			a, b, o := feats(ours), feats(theirs), feats(orig)
			rmsD, maxD := featureDiff(a, b)
			rmsO, maxO := featureDiff(b, o)
			rmsU, maxU := featureDiff(a, o)
			t.Logf("%s via %s Hz: ours vs sox -v: RMS %.4f σ, max %.3f σ; against the 16 kHz original: sox RMS %.4f σ, max %.3f σ; ours RMS %.4f σ, max %.3f σ", utt, rate, rmsD, maxD, rmsO, maxO, rmsU, maxU)
			if rmsD > 0.05 || rmsD > rmsO/2 || maxD > maxO {
				t.Errorf("%s via %s Hz: features differ from sox's by RMS %.4f σ, max %.3f σ; want RMS ≤ 0.05 σ and ≤ half the round trip's %.4f σ, max ≤ the round trip's %.3f σ", utt, rate, rmsD, maxD, rmsO, maxO)
			}
		}
	}
}

// bandAgreement returns, below and above split Hz, the energy of b over
// the energy of a−b in dB (their common length, one FFT of it).
func bandAgreement(a, b []int16, split float64) (low, high float64) {
	n := min(len(a), len(b))
	x, y := make([]float64, n), make([]float64, n)
	for i := range n {
		x[i], y[i] = float64(a[i]), float64(b[i])
	}
	f := fourier.NewFFT(n)
	X, Y := f.Coefficients(nil, x), f.Coefficients(nil, y)
	var sl, dl, sh, dh float64
	for k := range X {
		sig := real(Y[k])*real(Y[k]) + imag(Y[k])*imag(Y[k])
		d := X[k] - Y[k]
		diff := real(d)*real(d) + imag(d)*imag(d)
		if float64(k)*16000/float64(n) < split {
			sl, dl = sl+sig, dl+diff
		} else {
			sh, dh = sh+sig, dh+diff
		}
	}
	return 10 * math.Log10(sl/dl), 10 * math.Log10(sh/dh)
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

// TestResampleResponseVsSox measures the gain of ours and of
// `sox rate -v 16k` for tones near the top of the band, from 48 kHz float
// tones that sox synthesises. Ours must keep at least as much of the band
// as sox (within 0.01 dB) and both must be at or below −20 dB at 7900 Hz.
func TestResampleResponseVsSox(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		t.Fatal("sox is not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	rms := func(x []float64) float64 {
		x = x[len(x)/5 : len(x)*4/5]
		var s float64
		for _, v := range x {
			s += v * v
		}
		return math.Sqrt(s / float64(len(x)))
	}
	for _, f := range []int{7000, 7400, 7500, 7600, 7700, 7800, 7900} {
		tone, out := filepath.Join(dir, "t.wav"), filepath.Join(dir, "o.wav")
		for _, args := range [][]string{
			{"-n", "-r", "48000", "-b", "32", "-e", "floating-point", tone, "synth", "1", "sine", fmt.Sprint(f), "vol", "0.5"},
			{"-D", tone, "-b", "32", "-e", "floating-point", out, "rate", "-v", "16k"},
		} {
			if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
				t.Fatalf("sox %v: %v\n%s", args, err, b)
			}
		}
		in, err := DecodeAudio(os.DirFS(dir), "t.wav", DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := DecodeAudio(os.DirFS(dir), "o.wav", DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ours, err := features.Resample(in.Samples, 48000, 16000)
		if err != nil {
			t.Fatal(err)
		}
		level := rms(in.Samples)
		gOurs, gSox := 20*math.Log10(rms(ours)/level), 20*math.Log10(rms(ref.Samples)/level)
		t.Logf("%d Hz: ours %+.2f dB, sox -v %+.2f dB", f, gOurs, gSox)
		if gOurs < gSox-0.01 {
			t.Errorf("%d Hz: ours %.2f dB below sox's %.2f dB", f, gOurs, gSox)
		}
		if f == 7900 && (gOurs > -20 || gSox > -20) {
			t.Errorf("7900 Hz: ours %.1f dB, sox %.1f dB; want both ≤ −20 dB", gOurs, gSox)
		}
	}
}

// TestDecodeSoxRenditions decodes what sox (libFLAC, libsndfile-style WAV
// writers) makes of a real utterance: a 24-bit stereo FLAC gives the very
// samples of the 24-bit stereo WAV of the same audio, an 8-bit and a float
// rendition give 16-bit samples within their own precision, and a FLAC cut
// short is "truncated".
func TestDecodeSoxRenditions(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		t.Fatal("sox is not installed (.ci/run installs it)")
	}
	src := filepath.Join(sharedtest.TIMITSample(t), "dr1-fvmh0", "sa1.wav")
	dir := t.TempDir()
	sox := func(args ...string) {
		if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %v: %v\n%s", args, err, out)
		}
	}
	sox("-D", src, "-b", "24", "-c", "2", filepath.Join(dir, "a.flac"), "vol", "0.5")
	sox("-D", src, "-b", "24", "-c", "2", filepath.Join(dir, "a.wav"), "vol", "0.5")
	sox("-D", src, "-b", "16", filepath.Join(dir, "a16.wav"), "vol", "0.5")
	sox("-D", src, "-b", "8", filepath.Join(dir, "a8.wav"), "vol", "0.5")
	sox("-D", src, "-e", "floating-point", "-b", "64", filepath.Join(dir, "af.wav"), "vol", "0.5")
	fsys := os.DirFS(dir)
	dec := func(name string) *Recording {
		r, err := DecodeAudio(fsys, name, DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	flac, wav, ref := dec("a.flac"), dec("a.wav"), dec("a16.wav")
	if flac.Format != "FLAC, 24-bit, 2 channels, 16000 Hz" || len(flac.Samples) != len(wav.Samples) {
		t.Fatalf("FLAC: %s, %d samples; WAV %d", flac.Format, len(flac.Samples), len(wav.Samples))
	}
	for i := range flac.Samples {
		if flac.Samples[i] != wav.Samples[i] {
			t.Fatalf("sample %d: FLAC %g, WAV %g", i, flac.Samples[i], wav.Samples[i])
		}
	}
	for _, c := range []struct {
		name string
		tol  float64 // in 16-bit units: the rendition's own quantisation step
	}{{"a8.wav", 128}, {"af.wav", 0.5}, {"a.wav", 0.5}} {
		r := dec(c.name)
		worst := 0.0
		for i, v := range r.Samples {
			worst = max(worst, math.Abs(v-ref.Samples[i]))
		}
		t.Logf("%s (%s): worst difference from the 16-bit rendition %.3f", c.name, r.Format, worst)
		if worst > c.tol {
			t.Errorf("%s: differs from the 16-bit rendition by %g, want ≤ %g", c.name, worst, c.tol)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "a.flac"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cut.flac"), b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeAudio(fsys, "cut.flac", DecodeOptions{}); err == nil || !strings.Contains(err.Error(), "cut.flac: truncated") {
		t.Errorf("half a FLAC file: %v", err)
	}
}
