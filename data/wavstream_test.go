package data

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// readAllStream reads s to the end in pieces of random size.
func readAllStream(s SampleStream, rng *rand.Rand) ([]float64, error) {
	var out []float64
	buf := make([]float64, 500)
	for {
		n, err := s.Read(buf[:1+rng.IntN(len(buf)-1)])
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestOpenStream: a WAV or raw input read as a stream, through a reader
// that returns one byte at a time, gives DecodeWAV's samples.
func TestOpenStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	sig := make([]float64, 3000) // even: no pad byte after 8-bit data, which a stream of unknown length would read as a sample
	for i := range sig {
		sig[i] = float64((i*7919)%60000-30000) / 256 * 256
	}
	for _, f := range []WAVFormat{
		{EncodingPCM, 16, 1, 16000, false},
		{EncodingPCM, 24, 2, 44100, true},
		{EncodingFloat, 32, 3, 48000, false},
		{EncodingPCM, 8, 1, 8000, false},
	} {
		in := wavOf(f, encodeWAVSamples(sig, f, true))
		want, err := DecodeWAV(bytes.NewReader(in), DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := OpenStream(iotest.OneByteReader(bytes.NewReader(in)), 16000, DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAllStream(s, rng)
		if err != nil || s.SampleRate() != f.SampleRate || !slices.Equal(got, want.Samples) {
			t.Errorf("%s: %v, %d Hz, %d samples (want %d)", f, err, s.SampleRate(), len(got), len(want.Samples))
		}
		// Unknown length: read to the end.
		unknown := bytes.Clone(in)
		copy(unknown[len(unknown)-len(encodeWAVSamples(sig, f, true))-4:], []byte{0xFF, 0xFF, 0xFF, 0xFF})
		s, _ = OpenStream(bytes.NewReader(unknown), 16000, DecodeOptions{})
		if got, err := readAllStream(s, rng); err != nil || !slices.Equal(got, want.Samples) {
			t.Errorf("%s with size 0xFFFFFFFF: %v, %d samples", f, err, len(got))
		}
	}
	raw := encodeWAVSamples(sig, WAVFormat{EncodingPCM, 16, 1, 16000, false}, false)
	s, err := OpenStream(iotest.HalfReader(bytes.NewReader(raw)), 16000, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAllStream(s, rng); err != nil || !slices.Equal(got, sig) || s.Format() != "raw S16_LE, 1 channel, 16000 Hz" {
		t.Errorf("raw: %v, %d samples, %q", err, len(got), s.Format())
	}
}

func TestOpenStreamErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	f := WAVFormat{EncodingPCM, 16, 2, 16000, false}
	data := encodeWAVSamples(make([]float64, 100), f, false)
	in := wavOf(f, data)
	for _, tc := range []struct {
		name string
		in   []byte
		ch   int
		err  string
	}{
		{"empty", nil, 0, "no input"},
		{"raw odd byte", []byte{1, 2, 3}, 0, "ends inside a 2-byte sample frame"},
		{"truncated data", in[:len(in)-40], 0, "ends 40 bytes before the end of the data chunk"},
		{"partial frame", in[:len(in)-3], 0, "ends inside a 4-byte sample frame"},
		{"mu-law", wavRIFF(wavChunkOf("fmt ", wavFmt(7, 1, 8000, 8)), wavChunkOf("data", data)), 0, "µ-law"},
		{"no data", wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, 8000, 16))), 0, "no data chunk"},
		{"channel 3", in, 3, "channel 3 asked for, the file has 2 channels"},
		{"raw channel 2", []byte{1, 2}, 2, "raw input has 1 channel"},
		{"huge chunk", wavRIFF(wavChunk("LIST", 1<<30, nil)), 0, `"LIST" chunk of 1073741824 bytes`},
	} {
		s, err := OpenStream(bytes.NewReader(tc.in), 16000, DecodeOptions{Channel: tc.ch})
		if err == nil {
			_, err = readAllStream(s, rng)
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}

// FuzzOpenStream: the streaming reader never panics, and on any input it
// accepts in full it agrees with DecodeWAV when that accepts it too.
func FuzzOpenStream(f *testing.F) {
	for _, tc := range wavCases() {
		f.Add(tc.in)
	}
	st := WAVFormat{EncodingPCM, 24, 2, 48000, true}
	f.Add(wavOf(st, encodeWAVSamples(decodeSignal, st, true)))
	f.Add([]byte{1, 2, 3, 4, 5, 6})
	f.Fuzz(func(t *testing.T, in []byte) {
		rng := rand.New(rand.NewPCG(uint64(len(in)), 3))
		s, err := OpenStream(bytes.NewReader(in), 16000, DecodeOptions{})
		if err != nil {
			return
		}
		got, err := readAllStream(s, rng)
		if err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("io.EOF reported as an error")
			}
			return
		}
		if !bytes.HasPrefix(in, []byte("RIFF")) {
			if len(got) != len(in)/2 {
				t.Fatalf("raw: %d samples from %d bytes", len(got), len(in))
			}
			return
		}
		sameBits := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) } // NaN from float data
		if want, err := DecodeWAV(bytes.NewReader(in), DecodeOptions{}); err == nil && !slices.EqualFunc(got, want.Samples, sameBits) {
			// The stream reads to the end where the file's size field
			// stood for "unknown"; DecodeWAV refuses those, so equal
			// sizes must give equal samples.
			t.Fatalf("stream %d samples, DecodeWAV %d", len(got), len(want.Samples))
		}
	})
}
