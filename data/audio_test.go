package data

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestReadAudio(t *testing.T) {
	s := sphereTestSamples
	fsys := fstest.MapFS{
		"a/riff.wav":   {Data: wavFile(16000, s)},
		"a/SA1.WAV":    {Data: sphereBytes(1024, timitFields(len(s)), pcmBytes(binary.LittleEndian, s))},
		"a/big.wav":    {Data: sphereBytes(1024, timitFields(len(s), "sample_byte_format", "sample_byte_format -s2 10"), pcmBytes(binary.BigEndian, s))},
		"a/8k.wav":     {Data: wavFile(8000, s)},
		"a/8k.sph":     {Data: sphereBytes(1024, timitFields(len(s), "sample_rate", "sample_rate -i 8000"), pcmBytes(binary.LittleEndian, s))},
		"a/empty.wav":  {Data: nil},
		"a/text.wav":   {Data: []byte("0 3050 h#\n")},
		"a/short.wav":  {Data: []byte("RIF")},
		"a/nodata.wav": {Data: wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, 16000, 16)), wavChunkOf("data", nil))},
		"a/stereo.wav": {Data: wavRIFF(wavChunkOf("fmt ", wavFmt(1, 2, 8000, 16)), wavChunkOf("data", make([]byte, 8)))},
		"a/shorten.wav": {Data: sphereBytes(1024, timitFields(len(s), "sample_coding", "sample_coding -s26 pcm,embedded-shorten-v2.00"),
			[]byte{1, 2, 3})},
	}
	for _, tc := range []struct {
		name string
		err  string // the whole expected message: it is what the user sees
	}{
		{"a/riff.wav", ""},
		{"a/SA1.WAV", ""},
		{"a/big.wav", ""},
		{"a/8k.wav", "a/8k.wav: sample rate 8000 Hz, want 16000 Hz"},
		{"a/8k.sph", "a/8k.sph: sample rate 8000 Hz, want 16000 Hz"},
		{"a/empty.wav", "a/empty.wav: empty file"},
		{"a/text.wav", `a/text.wav: not a RIFF/WAVE or NIST SPHERE file (starts with "0 3050 h")`},
		{"a/short.wav", `a/short.wav: not a RIFF/WAVE or NIST SPHERE file (starts with "RIF")`},
		{"a/nodata.wav", "a/nodata.wav: no samples"},
		{"a/stereo.wav", "a/stereo.wav: PCM, 16-bit, 2 channels, 8000 Hz: want 16-bit PCM mono"},
		{"a/shorten.wav", `a/shorten.wav: compressed SPHERE file (shorten; sample_coding "pcm,embedded-shorten-v2.00"): decompress it first, e.g. with sph2pipe -f wav`},
		{"a/missing.wav", "open a/missing.wav: file does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadAudio(fsys, tc.name, 16000)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.SampleRate != 16000 || !slices.Equal(a.Samples, s) {
				t.Fatalf("got %d Hz %v", a.SampleRate, a.Samples)
			}
		})
	}
	_, err := ReadAudio(fsys, "a/missing.wav", 16000)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap fs.ErrNotExist", err)
	}
	if _, err := ReadAudio(fsys, "a/nodata.wav", 16000); !errors.Is(err, errNoSamples) || !strings.HasPrefix(err.Error(), "a/nodata.wav: ") {
		t.Errorf("no samples: %v", err)
	}
}
