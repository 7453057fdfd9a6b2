package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
)

// writeExtractCorpus writes a flat corpus of speakers a, b, c with two
// one-second tone utterances each to a new folder.
func writeExtractCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	le := binary.LittleEndian
	for _, spk := range []string{"a", "b", "c"} {
		for u := range 2 {
			const n = 16000
			b := append([]byte("RIFF"), le.AppendUint32(nil, 36+2*n)...)
			b = append(b, "WAVEfmt "...)
			b = le.AppendUint32(b, 16)
			b = le.AppendUint16(b, 1)
			b = le.AppendUint16(b, 1)
			b = le.AppendUint32(b, 16000)
			b = le.AppendUint32(b, 32000)
			b = le.AppendUint16(b, 2)
			b = le.AppendUint16(b, 16)
			b = append(b, "data"...)
			b = le.AppendUint32(b, 2*n)
			for i := range n {
				f := 300.0 + 400*float64(i*3/n) + 50*float64(u)
				b = le.AppendUint16(b, uint16(int16(3000*math.Sin(2*math.Pi*f*float64(i)/16000)+float64(i%7))))
			}
			name := filepath.Join(dir, fmt.Sprintf("%s_u%d", spk, u))
			phn := "0 5333 h#\n5333 10666 aa\n10666 16000 s\n"
			if err := os.WriteFile(name+".wav", b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name+".phn", []byte(phn), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// runExtract runs "phoneme extract args…" and returns stdout and the exit
// code main would use.
func runExtract(args ...string) (string, int, error) {
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(context.Background(), append([]string{"phoneme", "extract"}, args...))
	code := 0
	if err != nil {
		code = 1
		var ue usageError
		if errors.As(err, &ue) {
			code = 2
		}
	}
	return out.String(), code, err
}

// TestExtractFlags: every feature flag reaches the configuration recorded
// in the manifest, and the summary table lists the splits.
func TestExtractFlags(t *testing.T) {
	corpus := writeExtractCorpus(t)
	out := filepath.Join(t.TempDir(), "feats")
	stdout, code, err := runExtract("--corpus", corpus, "--out", out, "--test-speakers", "a", "--dev-speakers", "b",
		"--jobs", "2", "--frame-length", "20", "--frame-shift", "5", "--preemph", "0.9", "--remove-dc-offset=false",
		"--window-type", "hamming", "--round-to-power-of-two=false", "--snip-edges=false", "--num-mel-bins", "20",
		"--low-freq", "60", "--high-freq", "-400", "--num-ceps", "12", "--use-energy=false", "--raw-energy=false",
		"--energy-floor", "1", "--cepstral-lifter", "20", "--deltas", "1", "--delta-window", "3", "--sample-rate", "16000")
	if code != 0 {
		t.Fatalf("exit %d: %v\n%s", code, err, stdout)
	}
	want := features.Config{
		SampleRate: 16000, FrameLengthMs: 20, FrameShiftMs: 5, PreemphCoeff: 0.9, RemoveDCOffset: false,
		WindowType: "hamming", RoundToPowerOfTwo: false, SnipEdges: false, NumMelBins: 20, LowFreq: 60, HighFreq: -400,
		NumCeps: 12, UseEnergy: false, RawEnergy: false, EnergyFloor: 1, CepstralLifter: 20, Deltas: 1, DeltaWindow: 3,
	}
	s, err := data.LoadSplit(filepath.Join(out, "test"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Manifest.Features != want {
		t.Errorf("manifest features\n got %+v\nwant %+v", s.Manifest.Features, want)
	}
	if s.Manifest.Dim != 24 || s.Sentences[0].Speaker != "a" {
		t.Errorf("dim %d, first test speaker %s", s.Manifest.Dim, s.Sentences[0].Speaker)
	}
	for _, w := range []string{"split", "train", "dev", "test", "written to " + out} {
		if !strings.Contains(stdout, w) {
			t.Errorf("summary lacks %q:\n%s", w, stdout)
		}
	}
}

func TestExtractCommandErrors(t *testing.T) {
	corpus := writeExtractCorpus(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--out", "x"}, 2, "corpus"},
		{[]string{"--corpus", corpus, "--out", "OUT", "--layout", "kaldi"}, 2, "--layout"},
		{[]string{"--corpus", corpus, "--out", "OUT", "--test-set", "half"}, 2, "--test-set"},
		{[]string{"--corpus", corpus, "--out", "OUT", "--deltas", "3"}, 2, "delta"},
		{[]string{"--corpus", corpus, "--out", "OUT", "--jobs", "x"}, 2, "jobs"},
		{[]string{"--corpus", filepath.Join(corpus, "nope"), "--out", "OUT"}, 2, "not a folder"},
		{[]string{"--corpus", corpus, "--out", "OUT", "stray"}, 2, "no arguments"},
		{[]string{"--corpus", corpus, "--out", "OUT", "--test-speakers", "zz"}, 1, "zz"},
		{[]string{"--corpus", corpus, "--out", "OUT", "--layout", "ldc"}, 1, "no utterances"},
	}
	for _, tc := range tests {
		out := t.TempDir()
		for i, a := range tc.args {
			if a == "OUT" {
				tc.args[i] = filepath.Join(out, "feats")
			}
		}
		_, code, err := runExtract(tc.args...)
		if code != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("extract %q: exit %d, %v; want exit %d mentioning %q", tc.args, code, err, tc.code, tc.want)
		}
		if _, err := os.Stat(filepath.Join(out, "feats", "train")); err == nil {
			t.Errorf("extract %q left a train folder", tc.args)
		}
	}
}

// TestExtractHints: the errors package data reports without naming flags
// reach the user as one line with the extract flag that deals with them.
func TestExtractHints(t *testing.T) {
	write := func(dir string, names ...string) {
		t.Helper()
		for _, n := range names {
			p := filepath.Join(dir, n)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	unknown := t.TempDir()
	write(unknown, "notes.txt")
	unpaired := t.TempDir()
	write(unpaired, "a_x.wav", "b_y.wav", "b_y.phn")
	ldc := t.TempDir()
	write(ldc, "TRAIN/DR1/FCJF0/SI1.WAV", "TRAIN/DR1/FCJF0/SI1.PHN", "TEST/DR1/MZZZ0/SI2.WAV", "TEST/DR1/MZZZ0/SI2.PHN")
	noDev := t.TempDir() // mdab0 is a core test speaker, none is a dev speaker
	write(noDev, "TRAIN/DR1/FCJF0/SI1.WAV", "TRAIN/DR1/FCJF0/SI1.PHN", "TEST/DR2/MDAB0/SI2.WAV", "TEST/DR2/MDAB0/SI2.PHN")
	sample := t.TempDir()
	write(sample, "dr1-mcpm0/si1.wav", "dr1-mcpm0/si1.phn", "dr2-faem0/si2.wav", "dr2-faem0/si2.phn", "dr2-marc0/si3.wav", "dr2-marc0/si3.phn", "dr3-falk0/si4.wav", "dr3-falk0/si4.phn")
	caseDup := t.TempDir()
	write(caseDup, "falk0_sx96.wav", "FALK0_SX96.WAV", "falk0_sx96.phn")
	broken := t.TempDir()
	write(broken, "a_x.wav", "a_x.phn", "b_y.phn")
	linked := os.Symlink("nowhere.wav", filepath.Join(broken, "b_y.wav")) == nil
	done := writeExtractCorpus(t)
	prev := filepath.Join(t.TempDir(), "feats")
	if _, code, err := runExtract("--corpus", done, "--out", prev, "--test-speakers", "a"); code != 0 {
		t.Fatalf("first run: %v", err)
	}
	tests := []struct {
		name string
		args []string
		is   error
		want string
	}{
		{"unknown layout", []string{"--corpus", unknown}, data.ErrUnknownLayout,
			"phoneme: cannot tell the corpus layout: expected TRAIN/TEST folders (ldc), dr1-xxxx0 folders (nltk) or .wav files (flat); use --layout\n"},
		{"missing .PHN", []string{"--corpus", unpaired}, nil,
			"phoneme: a_x.wav: no .PHN file next to it (use --skip-bad to leave it out)\n"},
		{"no core speakers", []string{"--corpus", ldc}, data.ErrNoCoreTestSpeakers,
			"phoneme: the corpus has none of the 24 core test speakers; use --test-set full (all TEST speakers not in dev) or --test-speakers\n"},
		{"output exists", []string{"--corpus", done, "--out", prev, "--test-speakers", "a"}, data.ErrOutputExists,
			"phoneme: " + filepath.Join(prev, "train") + " already exists; remove it or pass --force to replace it\n"},
		{"no dev speakers", []string{"--corpus", noDev}, nil,
			"phoneme: no dev speakers: the corpus has none of the 50 standard TIMIT dev speakers; choose them with --dev-speakers\n"},
		{"incomplete sample", []string{"--corpus", sample}, data.ErrIncompleteSample,
			"phoneme: the corpus has only some of the TIMIT sample's held-out speakers (test fvmh0, mcpm0; dev faem0, marc0): fvmh0 missing; choose the held-out speakers with --test-speakers and --dev-speakers\n"},
		{"names differing in case", []string{"--corpus", caseDup}, nil,
			"phoneme: falk0_sx96.wav: the same utterance as FALK0_SX96.WAV (the names differ only in letter case) (use --skip-bad to leave it out)\n"},
		{"broken link", []string{"--corpus", broken}, nil,
			"phoneme: b_y.wav: cannot follow the symbolic link: no such file or directory (use --skip-bad to leave it out)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "broken link" && !linked {
				t.Skip("no symbolic links here")
			}
			args := tc.args
			if len(args) == 2 {
				args = append(args, "--out", filepath.Join(t.TempDir(), "feats"))
			}
			_, code, err := runExtract(args...)
			if code != 1 {
				t.Fatalf("exit %d: %v", code, err)
			}
			var stderr bytes.Buffer
			exitCode(&stderr, err)
			if stderr.String() != tc.want {
				t.Errorf("stderr\n got %q\nwant %q", stderr.String(), tc.want)
			}
			var ue *data.UnpairedFileError
			var ce *data.CorpusFileError
			var ee *data.EmptySplitError
			if tc.is != nil && !errors.Is(err, tc.is) || tc.is == nil && !errors.As(err, &ue) && !errors.As(err, &ce) && !errors.As(err, &ee) {
				t.Errorf("%v lost its data error", err)
			}
		})
	}
	// demo shares extractWithProgress but has none of these flags.
	if _, err := extractWithProgress(context.Background(), os.DirFS(unknown), filepath.Join(t.TempDir(), "feats"), data.ExtractOptions{Features: features.DefaultConfig()}); err == nil || strings.Contains(err.Error(), "--") {
		t.Errorf("extractWithProgress: %v, want no flag hint", err)
	}
}

// TestExtractLinkedCorpus: a corpus assembled from symbolic links (to
// files, and to the folder holding them) extracts every speaker, and the
// summary names each split's speakers.
func TestExtractLinkedCorpus(t *testing.T) {
	src := writeExtractCorpus(t)
	corpus := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(corpus, e.Name())); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	top := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(corpus, top); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "feats")
	stdout, code, err := runExtract("--corpus", top, "--out", out, "--test-speakers", "a", "--dev-speakers", "b")
	if code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	for _, want := range []string{"\ntrain speakers: c\n", "\n  dev speakers: b\n", "\n test speakers: a\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	m, err := data.ReadManifest(filepath.Join(out, "train", "manifest.json"))
	if err != nil || len(m.Speakers) != 1 || m.Counts.Utterances != 2 {
		t.Errorf("train manifest: %v, %+v", err, m)
	}
}
