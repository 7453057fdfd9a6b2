package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt/train"
)

// classifyFixture trains a tiny model with target delay 2 on the extracted
// tone corpus and writes the test speaker's audio to a folder.
func classifyFixture(t *testing.T) (model, dataDir, audioDir string, wavs []string) {
	t.Helper()
	dataDir = extracted(t)
	trainSplit, err := data.LoadSplit(filepath.Join(dataDir, data.Train))
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.Hidden, cfg.Epochs, cfg.LR, cfg.TargetDelay = 8, 2, 1e-2, 2
	model = filepath.Join(t.TempDir(), "m.safetensors")
	if _, err := train.Run(context.Background(), cfg, trainSplit, nil, model, train.Hooks{}); err != nil {
		t.Fatal(err)
	}
	// The same corpus extracted() used: speaker f is the test split.
	audioDir = t.TempDir()
	fsys := toneCorpus(1, []string{"a", "b", "c", "d", "e", "f"}, 4)
	for _, u := range []string{"f_u0", "f_u1"} {
		p := filepath.Join(audioDir, u+".wav")
		if err := os.WriteFile(p, fsys[u+".wav"].Data, 0o644); err != nil {
			t.Fatal(err)
		}
		wavs = append(wavs, p)
	}
	return model, dataDir, audioDir, wavs
}

// expectedPHN computes, independently of classify, what it must write for
// utterance id: the model run on the features extract wrote for it,
// normalised with the checkpoint's CMVN, decoded and collapsed.
func expectedPHN(t *testing.T, model, dataDir, id string, numSamples int) (string, *features.Matrix) {
	t.Helper()
	m, md, err := lstm.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.LoadSplit(filepath.Join(dataDir, data.Test))
	if err != nil {
		t.Fatal(err)
	}
	var fc features.Config
	if err := json.Unmarshal(md.Features, &fc); err != nil {
		t.Fatal(err)
	}
	for _, s := range test.Sentences {
		if s.ID != id {
			continue
		}
		features.Normalize(s.Feats, md.CMVNMean, md.CMVNStd)
		lp := m.LogProbs(s.Feats)
		segs := eval.Segments(eval.Decode(nil, lp.Data, lp.Cols), md.TargetDelay, fc.FrameShift(), numSamples)
		var b bytes.Buffer
		if err := eval.WritePHN(&b, segs, md.Phones); err != nil {
			t.Fatal(err)
		}
		return b.String(), lp
	}
	t.Fatalf("no utterance %s in the test split", id)
	return "", nil
}

func TestClassifyCommand(t *testing.T) {
	model, dataDir, audioDir, wavs := classifyFixture(t)
	a, err := data.ReadAudio(hostFS{}, wavs[0], 16000)
	if err != nil {
		t.Fatal(err)
	}
	want0, lp0 := expectedPHN(t, model, dataDir, "f_u0", len(a.Samples))
	b, err := data.ReadAudio(hostFS{}, wavs[1], 16000)
	if err != nil {
		t.Fatal(err)
	}
	want1, _ := expectedPHN(t, model, dataDir, "f_u1", len(b.Samples))

	// One file: the segments alone on stdout.
	stdout, stderr, code := run("classify", "--model", model, wavs[0])
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != want0 {
		t.Errorf("classify wrote\n%s\nwant\n%s", stdout, want0)
	}
	segs, err := labels.ParsePHN(strings.NewReader(stdout))
	if err != nil {
		t.Fatalf("output is not a .PHN file: %v", err)
	}
	// Delay 2: the segments cover frames 0…T−3, from sample 0 on.
	T := lp0.Rows
	if len(segs) == 0 || segs[0].Start != 0 || segs[len(segs)-1].End != (T-2)*160 {
		t.Errorf("segments %v of %d frames", segs, T)
	}

	// Several files: a header before each; posteriors in an archive.
	ark := filepath.Join(t.TempDir(), "post.ark")
	stdout, stderr, code = run("classify", "--model", model, "--posteriors", ark, wavs[0], wavs[1])
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "# " + wavs[0] + "\n" + want0 + "# " + wavs[1] + "\n" + want1; stdout != want {
		t.Errorf("classify wrote\n%s\nwant\n%s", stdout, want)
	}
	f, err := os.Open(ark)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r := data.NewArkReader(f, st.Size())
	key, err := r.Next()
	if err != nil || key != "f_u0" {
		t.Fatalf("first key %q, %v", key, err)
	}
	post, err := r.ReadMatrix()
	if err != nil {
		t.Fatal(err)
	}
	if post.Rows != T-2 || post.Cols != labels.NumPhones {
		t.Fatalf("posteriors %d×%d, want %d×%d", post.Rows, post.Cols, T-2, labels.NumPhones)
	}
	for i := range post.Rows {
		var sum float64
		for j, p := range post.Row(i) {
			sum += float64(p)
			// Row i is output i+2, exp of its log-posteriors (float32 exp:
			// relative error ~1e-7).
			if e := math.Exp(float64(lp0.Row(i + 2)[j])); math.Abs(float64(p)-e) > 1e-6*(1+e) {
				t.Fatalf("posterior [%d,%d] = %g, want %g", i, j, p, e)
			}
		}
		// 61 float32 terms summing to 1: rounding stays far below 1e-4.
		if math.Abs(sum-1) > 1e-4 {
			t.Fatalf("row %d sums to %g", i, sum)
		}
	}
	if key, err := r.Next(); err != nil || key != "f_u1" {
		t.Fatalf("second key %q, %v", key, err)
	}

	// --out writes NAME.phn files; --beside refuses to replace a .phn.
	out := t.TempDir()
	if _, stderr, code := run("classify", "--model", model, "--out", out, wavs[0], wavs[1]); code != 0 {
		t.Fatalf("--out: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "f_u1.phn")); string(got) != want1 {
		t.Errorf("--out f_u1.phn:\n%s\nwant\n%s", got, want1)
	}
	os.WriteFile(filepath.Join(audioDir, "f_u0.phn"), []byte("reference"), 0o644)
	_, stderr, code = run("classify", "--model", model, "--beside", wavs[0])
	if code != 2 || !strings.Contains(stderr, "--force") {
		t.Errorf("--beside over an existing .phn: exit %d, %s", code, stderr)
	}
	if _, stderr, code := run("classify", "--model", model, "--beside", "--force", wavs[0]); code != 0 {
		t.Fatalf("--beside --force: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(audioDir, "f_u0.phn")); string(got) != want0 {
		t.Errorf("--beside f_u0.phn:\n%s", got)
	}
}

func TestClassifyCommandErrors(t *testing.T) {
	model, _, audioDir, wavs := classifyFixture(t)
	stereo := filepath.Join(audioDir, "stereo.wav")
	w := wav(make([]int16, 3200), 16000)
	w[22] = 2 // channels
	os.WriteFile(stereo, w, 0o644)
	rate := filepath.Join(audioDir, "rate8k.wav")
	os.WriteFile(rate, wav(make([]int16, 3200), 8000), 0o644)
	short := filepath.Join(audioDir, "short.wav")
	os.WriteFile(short, wav(make([]int16, 100), 16000), 0o644)
	noCMVN := filepath.Join(audioDir, "nocmvn.safetensors")
	m, md, err := lstm.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	md.CMVNMean, md.CMVNStd = nil, nil
	if err := lstm.Save(noCMVN, m, md); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(audioDir, "corrupt.safetensors")
	bad := *md
	bad.Features = json.RawMessage(`{"num_ceps": "13"}`)
	if err := lstm.Save(corrupt, m, &bad); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(t.TempDir(), "f_u0.wav")
	os.WriteFile(dup, []byte("x"), 0o644)
	ark := filepath.Join(t.TempDir(), "p.ark")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no files", []string{"--model", model}, 2, "needs audio files"},
		{"missing file", []string{"--model", model, filepath.Join(audioDir, "nope.wav")}, 1, "nope.wav"},
		{"stereo", []string{"--model", model, stereo}, 1, stereo + ": "},
		{"channel 2 of mono", []string{"--model", model, "--channel", "2", wavs[0]}, 1, "channel 2 asked for, the file has 1 channel"},
		{"channel -1", []string{"--model", model, "--channel", "-1", wavs[0]}, 2, "channels are numbered from 1"},
		{"too short", []string{"--model", model, short}, 1, "too short for one frame"},
		{"no cmvn", []string{"--model", noCMVN, wavs[0]}, 1, noCMVN + ": the checkpoint has no normalisation statistics"},
		{"corrupt metadata", []string{"--model", corrupt, wavs[0]}, 1, corrupt + ": the checkpoint's feature configuration does not parse"},
		{"same archive key", []string{"--model", model, "--posteriors", ark, wavs[0], dup}, 2, `would both be "f_u0" in the posterior archive`},
		{"same .phn file", []string{"--model", model, "--out", t.TempDir(), wavs[0], dup}, 2, "would both be written to"},
		{"stdin", []string{"--model", model, "-"}, 2, "not standard input"},
		{"out and beside", []string{"--model", model, "--out", audioDir, "--beside", wavs[0]}, 2, "not both"},
		{"bad file, no archive", []string{"--model", model, "--posteriors", ark, wavs[0], stereo}, 1, stereo},
	}
	// The same name in two folders collides in nothing on standard output
	// or --beside (each .phn beside its own audio).
	twin := filepath.Join(t.TempDir(), filepath.Base(wavs[0]))
	if b, err := os.ReadFile(wavs[0]); err != nil || os.WriteFile(twin, b, 0o644) != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--model", model, wavs[0], twin}, {"--model", model, "--beside", "--force", wavs[0], twin}, {"--model", model, rate}} {
		if _, stderr, code := run(append([]string{"classify"}, args...)...); code != 0 {
			t.Errorf("classify %v: exit %d, %s", args, code, stderr)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(append([]string{"classify"}, tc.args...)...)
			if code != tc.code || strings.Count(stderr, "phoneme: ") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	if _, err := os.Stat(ark); err == nil {
		t.Error("a failed classify left a posteriors archive")
	}
}
