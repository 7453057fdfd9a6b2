package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt/train"
)

// toneCorpus is a flat corpus (<speaker>_<utt>.wav + .phn) in which every
// phone is a tone of its own frequency in noise, so a network can learn to
// tell the phones apart from the features.
func toneCorpus(seed uint64, speakers []string, utts int) fstest.MapFS {
	const rate = 16000
	rng := rand.New(rand.NewPCG(seed, 1))
	phones := []string{"h#", "aa", "s", "iy", "m"}
	fsys := fstest.MapFS{}
	for _, spk := range speakers {
		for u := range utts {
			n := rate/2 + rng.IntN(rate/2)
			samples := make([]int16, n)
			var phn strings.Builder
			for start := 0; start < n; {
				end := min(n, start+1200+rng.IntN(2400))
				if n-end < 1200 {
					end = n
				}
				p := rng.IntN(len(phones))
				freq := 300 + 700*float64(p)
				for i := start; i < end; i++ {
					samples[i] = int16(4000*math.Sin(2*math.Pi*freq*float64(i)/rate) + 200*rng.NormFloat64())
				}
				fmt.Fprintf(&phn, "%d %d %s\n", start, end, phones[p])
				start = end
			}
			name := fmt.Sprintf("%s_u%d", spk, u)
			fsys[name+".wav"] = &fstest.MapFile{Data: wav(samples, rate)}
			fsys[name+".phn"] = &fstest.MapFile{Data: []byte(phn.String())}
		}
	}
	return fsys
}

func wav(samples []int16, rate int) []byte {
	le := binary.LittleEndian
	b := append([]byte("RIFF"), le.AppendUint32(nil, uint32(36+2*len(samples)))...)
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(2*rate))
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(2*len(samples)))
	for _, s := range samples {
		b = le.AppendUint16(b, uint16(s))
	}
	return b
}

// extracted writes train/, dev/ and test/ for the tone corpus.
func extracted(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fsys := toneCorpus(1, []string{"a", "b", "c", "d", "e", "f"}, 4)
	_, err := data.Extract(context.Background(), fsys, dir, data.ExtractOptions{
		Layout:   data.LayoutFlat,
		Features: features.DefaultConfig(),
		Split:    data.SplitOptions{DevSpeakers: []string{"e"}, TestSpeakers: []string{"f"}},
		Jobs:     1,
		Corpus:   "tones",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// run runs the CLI and returns its stdout, stderr and exit code.
func run(args ...string) (string, string, int) {
	app := newApp()
	var out, errb bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errb
	err := app.Run(context.Background(), append([]string{"phoneme"}, args...))
	code := exitCode(&errb, err)
	return out.String(), errb.String(), code
}

// TestTrainCommand trains on an extracted synthetic corpus and checks the
// outputs: summary lines, checkpoints, logs, and a dev error below the
// majority-class baseline (5 equally frequent tones: ≈0.8; a network that
// learnt nothing stays there; 0.5 is far from both).
func TestTrainCommand(t *testing.T) {
	dir := extracted(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	stdout, stderr, code := run("train", "--data", dir, "--out", out, "--epochs", "4", "--hidden", "16", "--lr", "0.01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "\nepoch "); n != 4 {
		t.Errorf("%d epoch lines, want 4:\n%s", n, stdout)
	}
	logs, err := train.ReadLog(strings.TrimSuffix(out, ".safetensors") + ".log.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	best := 1.0
	for _, e := range logs {
		best = min(best, e.DevFER61)
	}
	if best > 0.5 {
		t.Errorf("best dev FER %.3f: did not learn\n%s", best, stdout)
	}
	for _, p := range []string{out, train.LastPath(out), train.ResumePath(out)} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	_, md, err := lstm.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.CMVNMean) != 39 || len(md.Training) == 0 {
		t.Errorf("checkpoint metadata: %d CMVN dims, training %q", len(md.CMVNMean), md.Training)
	}
	// The decoder statistics of the training split come with the model, so
	// eval decodes with Viterbi by default and says its weights are untuned.
	if !strings.Contains(stdout, "decoder statistics (default weights) -> ") {
		t.Errorf("no decoder statistics line:\n%s", stdout)
	}
	stdout, stderr, code = run("eval", "--model", out, "--data", filepath.Join(dir, "test"))
	if code != 0 || !strings.Contains(stdout, "viterbi decoding, prior scale 1, LM weight 1, insertion penalty 0") || !strings.Contains(stdout, "(not tuned)") {
		t.Errorf("eval after train: exit %d: %s%s", code, stdout, stderr)
	}
}

// TestTrainCommandErrors: each user mistake ends in one line with the
// right exit code (2 for command-line mistakes).
func TestTrainCommandErrors(t *testing.T) {
	dir := extracted(t)
	tmp := t.TempDir()
	out := filepath.Join(tmp, "m.safetensors")
	// Hidden 4 as the --hidden 4 every case gives: not a shape conflict.
	m7, err := lstm.New(lstm.Config{Inputs: 7, Hidden: 4, Layers: 1, Outputs: labels.NumPhones}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	init7 := filepath.Join(tmp, "seven.safetensors")
	if err := lstm.Save(init7, m7, &lstm.Metadata{Phones: labels.TIMIT61().Names()}); err != nil {
		t.Fatal(err)
	}
	noTrain := t.TempDir()
	os.Mkdir(filepath.Join(noTrain, "dev"), 0o755)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing folder", []string{"--data", filepath.Join(tmp, "nope"), "--out", out}, 2, "is not a folder"},
		{"no train folder", []string{"--data", noTrain, "--out", out}, 2, "no train/"},
		{"k1 < 1", []string{"--data", dir, "--out", out, "--schedule", "tbptt", "--k1", "0"}, 2, "k1"},
		{"unknown schedule", []string{"--data", dir, "--out", out, "--schedule", "epochwise"}, 2, `unknown schedule "epochwise"`},
		{"bad truncation", []string{"--data", dir, "--out", out, "--schedule", "tbptt", "--k1", "3", "--truncation", "soft"}, 2, "truncation"},
		{"not safetensors", []string{"--data", dir, "--out", filepath.Join(tmp, "m.pt")}, 2, ".safetensors"},
		{"resume nothing", []string{"--data", dir, "--out", out, "--resume"}, 2, "no saved run"},
		{"init dimension", []string{"--data", dir, "--out", out, "--init", init7}, 1, "takes 7-dimensional features but"},
		{"NaN loss", []string{"--data", dir, "--out", out, "--optimizer", "sgd", "--lr", "1e38", "--momentum", "0"}, 1, "diverged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(append([]string{"train", "--epochs", "1", "--hidden", "4"}, tc.args...)...)
			// Progress lines may precede the error; the error is one line.
			var errLines []string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "phoneme: ") {
					errLines = append(errLines, l)
				}
			}
			if code != tc.code || len(errLines) != 1 || !strings.Contains(errLines[0], tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// TestTrainInitShapeFlags: shape flags given beside --init must match the
// checkpoint's network (they used to be ignored silently: --init with a
// 32-cell model and --hidden 64 trained 32 cells); left out or equal, the
// run trains the checkpoint's shape.
func TestTrainInitShapeFlags(t *testing.T) {
	dir := extracted(t)
	tmp := t.TempDir()
	m, err := lstm.New(lstm.Config{Inputs: 39, Hidden: 6, Layers: 1, Outputs: labels.NumPhones}, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	init6 := filepath.Join(tmp, "six.safetensors")
	fj, _ := json.Marshal(features.DefaultConfig())
	if err := lstm.Save(init6, m, &lstm.Metadata{Phones: labels.TIMIT61().Names(), Features: fj}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		flags []string
		code  int
		want  string // the error line; "" when it trains
	}{
		{"hidden", []string{"--hidden", "12"}, 2,
			"phoneme: --init " + init6 + ": the checkpoint's network has 6 cells per layer, not --hidden 12 " +
				"(the shape comes from --init: leave out --hidden, --layers and --peepholes or give its values)"},
		{"layers", []string{"--layers", "2"}, 2, "1 layer, not --layers 2"},
		{"peepholes", []string{"--peepholes"}, 2, "no peepholes, not --peepholes=true"},
		{"all three", []string{"--hidden", "12", "--layers", "2", "--peepholes=true"}, 2,
			"6 cells per layer, not --hidden 12 and 1 layer, not --layers 2 and no peepholes, not --peepholes=true"},
		{"equal flags", []string{"--hidden", "6", "--layers", "1", "--peepholes=false"}, 0, ""},
		{"no shape flags", nil, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.safetensors")
			args := append([]string{"train", "--data", dir, "--out", out, "--epochs", "1", "--init", init6}, tc.flags...)
			_, stderr, code := run(args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if tc.want == "" {
				got, _, err := lstm.Load(out)
				if err != nil || got.Config().Hidden != 6 {
					t.Errorf("trained %v, %v; want the checkpoint's 6 cells", got.Config(), err)
				}
				return
			}
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr %q, want one line with %q", stderr, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a refused run wrote a checkpoint")
			}
		})
	}
}

// TestTrainResumeChangedData: --resume on the corpus re-extracted with
// another feature configuration is refused naming the change (it used to be
// accepted, the checkpoint then claiming the new configuration).
func TestTrainResumeChangedData(t *testing.T) {
	dir := extracted(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	if _, stderr, code := run("train", "--data", dir, "--out", out, "--epochs", "1", "--hidden", "4"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	other := t.TempDir()
	fc := features.DefaultConfig()
	fc.PreemphCoeff = 0.5
	if _, err := data.Extract(context.Background(), toneCorpus(1, []string{"a", "b", "c", "d", "e", "f"}, 4), other, data.ExtractOptions{
		Layout: data.LayoutFlat, Features: fc, Jobs: 1, Corpus: "tones",
		Split: data.SplitOptions{DevSpeakers: []string{"e"}, TestSpeakers: []string{"f"}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run("train", "--data", other, "--out", out, "--epochs", "2", "--hidden", "4", "--resume")
	want := "phoneme: resume: the data differ from the saved run's: training data " + filepath.Join(other, "train") +
		": feature configuration (preemphasis_coefficient 0.97 → 0.5); dev data " + filepath.Join(other, "dev") +
		": feature configuration (preemphasis_coefficient 0.97 → 0.5) (start afresh without --resume, or use the data the run began with)\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr\n%q\nwant exit 1 and\n%q", code, stderr, want)
	}
	// The original data still resumes.
	if _, stderr, code := run("train", "--data", dir, "--out", out, "--epochs", "2", "--hidden", "4", "--resume"); code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
