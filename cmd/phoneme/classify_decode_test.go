package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/lstm"
)

// TestClassifyDecode: --decode viterbi writes the segments of the model's
// tuned decoder (computed here through the eval package), and needs the
// decoder file.
func TestClassifyDecode(t *testing.T) {
	dir := extracted(t)
	split, err := data.LoadSplit(filepath.Join(dir, "test"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	model := untrainedModel(t, tmp, split.Manifest.Features, split.Manifest)
	wav := filepath.Join(tmp, "f_u0.wav")
	fsys := toneCorpus(1, []string{"a", "b", "c", "d", "e", "f"}, 4)
	if err := os.WriteFile(wav, fsys["f_u0.wav"].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run("classify", "--model", model, "--decode", "viterbi", wav)
	if code != 1 || !strings.Contains(stderr, "--tune-decoder") {
		t.Errorf("viterbi before tuning: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run("eval", "--model", model, "--data", filepath.Join(dir, "dev"), "--tune-decoder"); code != 0 {
		t.Fatalf("tune: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := run("classify", "--model", model, "--decode", "viterbi", wav)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, md, err := lstm.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	a, err := data.ReadAudio(hostFS{}, wav, 16000)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eval.Classify(m, md, a.Samples, a.SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	dec, _, err := loadDecoding(model, eval.Viterbi)
	if err != nil {
		t.Fatal(err)
	}
	segs, err := eval.DecodedSegments(res, dec, len(a.Samples))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := eval.WritePHN(&want, segs, res.Phones); err != nil {
		t.Fatal(err)
	}
	if stdout != want.String() || stdout == "" {
		t.Errorf("classify --decode viterbi wrote\n%s\nwant\n%s", stdout, want.String())
	}
	if _, _, code := run("classify", "--model", model, "--decode", "beam", wav); code != 2 {
		t.Errorf("--decode beam: exit %d", code)
	}
}
