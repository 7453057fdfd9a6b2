package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
)

// runWithStdin runs the CLI with in as standard input.
func runWithStdin(in io.Reader, args ...string) (string, string, int) {
	app := newApp()
	var out, errb bytes.Buffer
	app.Writer, app.ErrWriter, app.Reader = &out, &errb, in
	err := app.Run(context.Background(), append([]string{"phoneme"}, args...))
	code := exitCode(&errb, err)
	return out.String(), errb.String(), code
}

// pipeInPieces writes b into a pipe in small random-sized writes, as a
// recorder would, and returns the reading end.
func pipeInPieces(b []byte, seed uint64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		rng := rand.New(rand.NewPCG(seed, 1))
		for len(b) > 0 {
			k := min(len(b), 1+rng.IntN(700))
			if _, err := pw.Write(b[:k]); err != nil {
				return
			}
			b = b[k:]
		}
		pw.Close()
	}()
	return pr
}

// TestClassifyStream: a file piped through --stream in small random-sized
// writes gives exactly the offline output — raw samples, the WAV itself,
// and a 44.1 kHz float stereo rendition (resampled as it streams) against
// the offline classification of that same rendition.
func TestClassifyStream(t *testing.T) {
	model, _, audioDir, wavs := classifyFixture(t)
	raw, err := os.ReadFile(wavs[0])
	if err != nil {
		t.Fatal(err)
	}
	a, err := data.ReadWAV(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	pcm := raw[44:] // the fixture's canonical 44-byte header
	if len(pcm) != 2*len(a.Samples) {
		t.Fatalf("fixture WAV is not canonical: %d data bytes for %d samples", len(pcm), len(a.Samples))
	}
	x := make([]float64, len(a.Samples))
	for i, v := range a.Samples {
		x[i] = float64(v)
	}
	up, err := features.Resample(x, 16000, 44100)
	if err != nil {
		t.Fatal(err)
	}
	hi := filepath.Join(audioDir, "f_u0_44k.wav")
	if err := os.WriteFile(hi, floatStereoWAV(up, 44100), 0o644); err != nil {
		t.Fatal(err)
	}
	hiBytes, _ := os.ReadFile(hi)

	for _, format := range []string{"phn", "ctm", "audacity"} {
		for _, tc := range []struct {
			name    string
			offline string
			input   []byte
		}{
			{"raw", wavs[0], pcm},
			{"wav", wavs[0], raw},
			{"44.1 kHz float stereo wav", hi, hiBytes},
		} {
			want, stderr, code := run("classify", "--model", model, "--format", format, tc.offline)
			if code != 0 {
				t.Fatalf("offline: exit %d, %s", code, stderr)
			}
			if format == "ctm" { // offline names the file, standard input is "utt"
				want = strings.ReplaceAll(want, strings.TrimSuffix(filepath.Base(tc.offline), ".wav")+" 1 ", "utt 1 ")
			}
			got, stderr, code := runWithStdin(pipeInPieces(tc.input, uint64(len(format))), "classify", "--model", model, "--format", format, "--stream", "-")
			if code != 0 {
				t.Fatalf("%s %s: exit %d, %s", format, tc.name, code, stderr)
			}
			if got != want || got == "" {
				t.Errorf("%s %s: streamed\n%s\noffline\n%s", format, tc.name, got, want)
			}
		}
	}

	for _, tc := range []struct {
		args []string
		in   []byte
		code int
		want string
	}{
		{[]string{"--stream", "-", "x.wav"}, nil, 2, "--stream takes one input"},
		{[]string{"--stream", "--format", "textgrid", "-"}, nil, 2, "--format phn, audacity or ctm"},
		{[]string{"--stream", "--out", audioDir, "-"}, nil, 2, "--out, --beside and --posteriors do not apply"},
		{[]string{"--stream", "-"}, nil, 1, "standard input: no input"},
		{[]string{"--stream", "-"}, pcm[:101], 1, "standard input: truncated: the input ends inside a 2-byte sample frame"},
		{[]string{"--stream", "-"}, raw[:len(raw)-100], 1, "truncated: the input ends 100 bytes before the end of the data chunk"},
	} {
		_, stderr, code := runWithStdin(bytes.NewReader(tc.in), append([]string{"classify", "--model", model}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "phoneme: ") != 1 {
			t.Errorf("%v: exit %d, %q; want exit %d with %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
