package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// untrainedModel saves a random network whose metadata matches the
// extracted data (fc changes the recorded feature configuration).
func untrainedModel(t *testing.T, dir string, fc features.Config, man *data.Manifest) string {
	t.Helper()
	m, err := lstm.New(lstm.Config{Inputs: man.Dim, Hidden: 8, Layers: 1, Outputs: labels.NumPhones}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	feats, _ := json.Marshal(fc)
	md := &lstm.Metadata{Phones: labels.TIMIT61().Names(), Features: feats, TargetDelay: 1, CMVNMean: man.CMVNMean, CMVNStd: man.CMVNStd}
	path := filepath.Join(dir, "m.safetensors")
	if err := lstm.Save(path, m, md); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvalCommand(t *testing.T) {
	dir := extracted(t)
	split, err := data.LoadSplit(filepath.Join(dir, "test"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	model := untrainedModel(t, tmp, split.Manifest.Features, split.Manifest)
	js, csvPath, png := filepath.Join(tmp, "r.json"), filepath.Join(tmp, "c.csv"), filepath.Join(tmp, "c.png")
	stdout, stderr, code := run("eval", "--model", model, "--data", filepath.Join(dir, "test"), "--json", js, "--confusion", csvPath, "--plot", png, "--fold", "39")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"FER-61", "FER-39", "frames", "worst phones"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The JSON report is the one the package computes.
	m, md, err := lstm.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	want, err := eval.EvaluateModel(m, md, split)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		FER61, FER39 float64
		Frames       int64
		Phones       []eval.PhoneStat
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// JSON carries float64 exactly (shortest round-trip formatting).
	if got.FER61 != want.FER61 || got.FER39 != want.FER39 || got.Frames != want.Frames || len(got.Phones) != labels.NumPhones || math.IsNaN(got.FER61) {
		t.Errorf("json %+v, want fer61 %g fer39 %g frames %d", got, want.FER61, want.FER39, want.Frames)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := eval.ReadConfusionCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.N() != 39 || c.Total() != want.Frames39 {
		t.Errorf("confusion CSV: %d classes, %d frames; want 39, %d", c.N(), c.Total(), want.Frames39)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
		t.Errorf("plot: %v", err)
	}
}

// TestEvalCommandErrors: each mistake is one line with the right exit code.
func TestEvalCommandErrors(t *testing.T) {
	dir := extracted(t)
	split, err := data.LoadSplit(filepath.Join(dir, "test"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	good := untrainedModel(t, tmp, split.Manifest.Features, split.Manifest)
	otherDir := filepath.Join(tmp, "other")
	os.Mkdir(otherDir, 0o755)
	fc := split.Manifest.Features
	fc.NumMelBins = 40
	other := untrainedModel(t, otherDir, fc, split.Manifest)
	test := filepath.Join(dir, "test")
	// A checkpoint whose recorded feature configuration does not parse as
	// one (lstm.Save and lstm.Load only insist on valid JSON), and one
	// without CMVN statistics.
	m, md, err := lstm.Load(good)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(tmp, "corrupt.safetensors")
	bad := *md
	bad.Features = json.RawMessage(`{"sample_rate": "16 kHz"}`)
	if err := lstm.Save(corrupt, m, &bad); err != nil {
		t.Fatal(err)
	}
	noCMVN := filepath.Join(tmp, "nocmvn.safetensors")
	bad = *md
	bad.CMVNMean, bad.CMVNStd = nil, nil
	if err := lstm.Save(noCMVN, m, &bad); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"fold", []string{"--model", good, "--data", test, "--fold", "48"}, 2, "--fold"},
		{"plot format", []string{"--model", good, "--data", test, "--plot", "x.gif"}, 2, ".png or .svg"},
		{"argument", []string{"--model", good, "--data", test, "extra"}, 2, "no arguments"},
		{"missing model", []string{"--model", filepath.Join(tmp, "none.safetensors"), "--data", test}, 1, "none.safetensors"},
		{"missing data", []string{"--model", good, "--data", filepath.Join(tmp, "nodata")}, 1, "nodata"},
		{"other features", []string{"--model", other, "--data", test}, 1, other + " on " + test + ": the model was trained on other features than the data (num_mel_bins: model 40, data 23)"},
		{"corrupt metadata", []string{"--model", corrupt, "--data", test}, 1, corrupt + " on " + test + ": the checkpoint's feature configuration does not parse"},
		{"no cmvn", []string{"--model", noCMVN, "--data", test}, 1, noCMVN + " on " + test + ": the checkpoint has no normalisation statistics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := run(append([]string{"eval"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line containing %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

// TestEvalPER: phone error rates beside FER, the decoder tuned on dev and
// used by default afterwards, a stale decoder file refused, and a split
// without text scored by FER with a clear note.
func TestEvalPER(t *testing.T) {
	dir := extracted(t)
	test, dev := filepath.Join(dir, "test"), filepath.Join(dir, "dev")
	split, err := data.LoadSplit(test)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	model := untrainedModel(t, tmp, split.Manifest.Features, split.Manifest)
	js := filepath.Join(tmp, "r.json")
	stdout, stderr, code := run("eval", "--model", model, "--data", test, "--json", js)
	if code != 0 || !strings.Contains(stdout, "PER-39") || !strings.Contains(stdout, "greedy decoding") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	var rep map[string]any
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"per39", "per61", "subs", "dels", "ins", "ref_phones", "decoder", "fer61"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	if rep["decoder"] != "greedy" || rep["ref_phones"].(float64) <= 0 {
		t.Errorf("decoder %v, ref_phones %v", rep["decoder"], rep["ref_phones"])
	}

	_, stderr, code = run("eval", "--model", model, "--data", test, "--decode", "viterbi")
	if code != 1 || !strings.Contains(stderr, "--tune-decoder") {
		t.Errorf("viterbi without a decoder file: exit %d: %s", code, stderr)
	}
	_, stderr, code = run("eval", "--model", model, "--data", test, "--decode", "beam")
	if code != 2 {
		t.Errorf("--decode beam: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run("eval", "--model", model, "--data", test, "--tune-decoder"); code != 2 || !strings.Contains(stderr, "tune on dev") {
		t.Errorf("tuning on test: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = run("eval", "--model", model, "--data", dev, "--tune-decoder")
	if code != 0 || !strings.Contains(stdout, "decoder tuned on") || !strings.Contains(stdout, "viterbi decoding") {
		t.Fatalf("--tune-decoder: exit %d: %s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(tmp, "m.decoder.json")); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = run("eval", "--model", model, "--data", test)
	if code != 0 || !strings.Contains(stdout, "viterbi decoding, prior scale") {
		t.Errorf("after tuning, the default decoder is Viterbi: exit %d: %s%s", code, stdout, stderr)
	}
	// Another checkpoint at the same path: the decoder file no longer fits.
	m, md, err := lstm.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	md.TargetDelay = 0
	if err := lstm.Save(model, m, md); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run("eval", "--model", model, "--data", test)
	if code != 1 || !strings.Contains(stderr, "made for another version") {
		t.Errorf("stale decoder file: exit %d: %s", code, stderr)
	}
	os.Remove(filepath.Join(tmp, "m.decoder.json"))
	// A split extracted before text existed: FER, and a note saying why
	// there is no PER; asking for PER explicitly is an error.
	if err := os.Remove(filepath.Join(test, "text")); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = run("eval", "--model", model, "--data", test)
	if code != 0 || !strings.Contains(stdout, "PER not computed") || !strings.Contains(stdout, "re-run phoneme extract") || strings.Contains(stdout, "PER-39") {
		t.Errorf("split without text: exit %d: %s%s", code, stdout, stderr)
	}
	_, stderr, code = run("eval", "--model", model, "--data", test, "--decode", "greedy")
	if code != 1 || !strings.Contains(stderr, "re-run phoneme extract") {
		t.Errorf("--decode greedy without text: exit %d: %s", code, stderr)
	}
}
