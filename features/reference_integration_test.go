//go:build integration

package features

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/internal/sharedtest"
)

// TestKaldiReferenceTIMIT compares every frame and coefficient of real TIMIT utterances
// (read from $PHONEME_SHARED/corpora/timit-sample; only their reference features are
// committed) with torchaudio's Kaldi MFCC plus Kaldi add-deltas, default configuration.
func TestKaldiReferenceTIMIT(t *testing.T) {
	dir := sharedtest.TIMITSample(t)
	paths, err := filepath.Glob(filepath.Join("testdata", "timit_*.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 3 {
		t.Fatalf("found %d TIMIT references in testdata, want at least 3", len(paths))
	}
	for _, p := range paths {
		// timit_dr1-fvmh0_si1466.txt.gz names dr1-fvmh0/si1466.wav.
		id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "timit_"), ".txt.gz")
		spk, utt, ok := strings.Cut(id, "_")
		if !ok {
			t.Fatalf("%s: cannot tell speaker and utterance from the name", p)
		}
		t.Run(id, func(t *testing.T) {
			ref, err := readReference(p)
			if err != nil {
				t.Fatal(err)
			}
			wav := filepath.Join(dir, spk, utt+".wav")
			samples, rate, err := readTestWAV(wav)
			if err != nil {
				t.Fatal(err)
			}
			if rate != ref.cfg.SampleRate {
				t.Fatalf("%s: %d Hz, want %d", wav, rate, ref.cfg.SampleRate)
			}
			compareReference(t, id, ref, samples)
		})
	}
}

// readTestWAV reads the canonical 44-byte-header RIFF files of the TIMIT sample: 16-bit
// PCM mono. (package data has the real reader, but data imports features.)
func readTestWAV(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" ||
		string(b[12:16]) != "fmt " || string(b[36:40]) != "data" {
		return nil, 0, fmt.Errorf("%s: not a canonical 44-byte-header RIFF WAVE file", path)
	}
	le := binary.LittleEndian
	fmtSize, format, channels := le.Uint32(b[16:]), le.Uint16(b[20:]), le.Uint16(b[22:])
	rate, align, bits := le.Uint32(b[24:]), le.Uint16(b[32:]), le.Uint16(b[34:])
	if fmtSize != 16 || format != 1 || channels != 1 || align != 2 || bits != 16 {
		return nil, 0, fmt.Errorf("%s: fmt chunk size %d format %d channels %d align %d bits %d; want 16, PCM (1), mono, 2, 16",
			path, fmtSize, format, channels, align, bits)
	}
	size := le.Uint32(b[40:])
	if int64(size) != int64(len(b)-44) || size%2 != 0 {
		return nil, 0, fmt.Errorf("%s: data chunk of %d bytes in a file with %d bytes after the header", path, size, len(b)-44)
	}
	x := make([]int16, size/2)
	if err := binary.Read(bytes.NewReader(b[44:]), le, x); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return x, int(rate), nil
}
