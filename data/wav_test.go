package data

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

// wavChunk returns a chunk whose header declares size bytes, followed by body
// (which may be shorter or longer than size, to build broken files) and a pad
// byte when body has odd length.
func wavChunk(id string, size uint32, body []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], size)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func wavChunkOf(id string, body []byte) []byte { return wavChunk(id, uint32(len(body)), body) }

// wavRIFF wraps chunks in a RIFF WAVE header.
func wavRIFF(chunks ...[]byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// wavFmt returns a 16-byte fmt chunk body.
func wavFmt(tag uint16, channels, rate, bits int) []byte {
	b := make([]byte, 16)
	le := binary.LittleEndian
	align := channels * bits / 8
	le.PutUint16(b[0:], tag)
	le.PutUint16(b[2:], uint16(channels))
	le.PutUint32(b[4:], uint32(rate))
	le.PutUint32(b[8:], uint32(rate*align))
	le.PutUint16(b[12:], uint16(align))
	le.PutUint16(b[14:], uint16(bits))
	return b
}

// wavFmtExt returns a 40-byte WAVE_FORMAT_EXTENSIBLE fmt body with the
// standard GUID of subformat sub.
func wavFmtExt(sub uint16, channels, rate, bits, valid int) []byte {
	b := wavFmt(wavFormatExtensible, channels, rate, bits)
	le := binary.LittleEndian
	b = le.AppendUint16(b, 22)            // cbSize
	b = le.AppendUint16(b, uint16(valid)) // valid bits per sample
	b = le.AppendUint32(b, 4)             // channel mask: front centre
	b = le.AppendUint16(b, sub)
	return append(b, wavSubformatSuffix...)
}

// wavFile is a canonical 16-bit PCM mono file.
func wavFile(rate int, s []int16) []byte {
	return wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, rate, 16)), wavChunkOf("data", pcmBytes(binary.LittleEndian, s)))
}

// wavCases are the WAV test inputs, also the seeds of FuzzReadWAV.
func wavCases() []audioCase {
	s := sphereTestSamples
	pcm := pcmBytes(binary.LittleEndian, s)
	fmt16 := wavChunkOf("fmt ", wavFmt(1, 1, 16000, 16))
	data := wavChunkOf("data", pcm)
	fmt18 := wavChunkOf("fmt ", append(wavFmt(1, 1, 16000, 16), 0, 0))
	alignBad := wavFmt(1, 1, 16000, 16)
	alignBad[12] = 4
	return []audioCase{
		{name: "canonical", in: wavFile(16000, s), rate: 16000},
		{name: "8 kHz is read (ReadAudio checks the rate)", in: wavFile(8000, s), rate: 8000},
		{name: "18-byte fmt", in: wavRIFF(fmt18, data), rate: 16000},
		{name: "extensible pcm", in: wavRIFF(wavChunkOf("fmt ", wavFmtExt(1, 1, 16000, 16, 16)), data), rate: 16000},
		{name: "chunks before fmt and data, odd size padded", in: wavRIFF(wavChunkOf("LIST", []byte("INFOabc")), fmt16, wavChunkOf("fact", []byte{1, 0, 0, 0}), data), rate: 16000},
		{name: "chunks after data", in: wavRIFF(fmt16, data, wavChunkOf("LIST", []byte("INFO"))), rate: 16000},
		{name: "junk after data", in: append(wavFile(16000, s), 1, 2, 3), rate: 16000},
		{name: "wrong riff size", in: func() []byte { b := wavFile(16000, s); b[4] = 0xFF; b[5] = 0xFF; return b }(), rate: 16000},

		{name: "empty", in: nil, err: "empty file"},
		{name: "tiny", in: []byte("RIFF"), err: "not a RIFF/WAVE file (only 4 bytes)"},
		{name: "not audio", in: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), err: `not a RIFF/WAVE file (starts with "\x89PNG`},
		{name: "riff avi", in: []byte("RIFF\x04\x00\x00\x00AVI LIST"), err: `not a RIFF/WAVE file (starts with "RIFF\x04\x00\x00\x00AVI "`},
		{name: "sphere", in: sphereBytes(1024, timitFields(len(s)), pcm), err: "not a RIFF/WAVE file"},
		{name: "rifx", in: []byte("RIFX\x00\x00\x00\x24WAVEfmt "), err: "big-endian RIFX"},
		{name: "rf64", in: []byte("RF64\xff\xff\xff\xffWAVEds64"), err: "RF64"},
		{name: "stereo", in: wavRIFF(wavChunkOf("fmt ", wavFmt(1, 2, 16000, 16)), data), err: "PCM, 16-bit, 2 channels, 16000 Hz: want 16-bit PCM mono"},
		{name: "24-bit", in: wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, 16000, 24)), wavChunkOf("data", make([]byte, 24))), err: "PCM, 24-bit, 1 channel, 16000 Hz: want 16-bit PCM mono"},
		{name: "8-bit", in: wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, 8000, 8)), data), err: "PCM, 8-bit, 1 channel, 8000 Hz"},
		{name: "float", in: wavRIFF(wavChunkOf("fmt ", wavFmt(3, 1, 16000, 32)), wavChunkOf("data", make([]byte, 32))), err: "IEEE float, 32-bit, 1 channel, 16000 Hz: want 16-bit PCM mono"},
		{name: "float 16-bit field", in: wavRIFF(wavChunkOf("fmt ", wavFmt(3, 1, 16000, 16)), data), err: "IEEE float, 16-bit"},
		{name: "mu-law", in: wavRIFF(wavChunkOf("fmt ", wavFmt(7, 1, 8000, 8)), data), err: "µ-law, 8-bit, 1 channel, 8000 Hz"},
		{name: "a-law", in: wavRIFF(wavChunkOf("fmt ", wavFmt(6, 1, 8000, 8)), data), err: "A-law"},
		{name: "adpcm", in: wavRIFF(wavChunkOf("fmt ", wavFmt(0x11, 1, 16000, 4)), data), err: "IMA ADPCM, 4-bit"},
		{name: "unknown tag", in: wavRIFF(wavChunkOf("fmt ", wavFmt(0x1234, 1, 16000, 16)), data), err: "format tag 0x1234, 16-bit"},
		{name: "extensible float", in: wavRIFF(wavChunkOf("fmt ", wavFmtExt(3, 1, 16000, 32, 32)), data), err: "IEEE float, 32-bit"},
		{name: "extensible 20 of 24 bits", in: wavRIFF(wavChunkOf("fmt ", wavFmtExt(1, 1, 16000, 24, 20)), data), err: "PCM, 24-bit"},
		{name: "extensible 12 valid bits", in: wavRIFF(wavChunkOf("fmt ", wavFmtExt(1, 1, 16000, 16, 12)), data), err: "with 12 valid bits per sample"},
		{name: "extensible short", in: wavRIFF(wavChunkOf("fmt ", append(wavFmt(wavFormatExtensible, 1, 16000, 16), 0, 0)), data), err: "WAVE_FORMAT_EXTENSIBLE fmt chunk of 18 bytes"},
		{name: "extensible bad guid", in: wavRIFF(wavChunkOf("fmt ", func() []byte { b := wavFmtExt(1, 1, 16000, 16, 16); b[39] = 0; return b }()), data), err: "unknown subformat GUID"},
		{name: "block align", in: wavRIFF(wavChunkOf("fmt ", alignBad), data), err: "block align 4: want 2"},
		{name: "zero rate", in: wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, 0, 16)), data), err: "sample rate 0 Hz"},
		{name: "streamed size", in: wavRIFF(fmt16, wavChunk("data", 0xFFFFFFFF, pcm)), err: "data chunk size 0xFFFFFFFF"},
		{name: "truncated data", in: wavRIFF(fmt16, wavChunk("data", 100, pcm[:10])), err: "truncated: data chunk declares 100 bytes, file has 10"},
		{name: "odd data", in: wavRIFF(fmt16, wavChunk("data", 7, pcm[:8])), err: "data chunk of 7 bytes, not a whole number of 16-bit samples"},
		{name: "no samples", in: wavRIFF(fmt16, wavChunkOf("data", nil)), err: "no samples"},
		{name: "no data chunk", in: wavRIFF(fmt16), err: "no data chunk"},
		{name: "no fmt chunk", in: wavRIFF(wavChunkOf("LIST", []byte("INFO"))), err: "no fmt chunk"},
		{name: "only header", in: wavRIFF(), err: "no fmt chunk"},
		{name: "data before fmt", in: wavRIFF(data, fmt16), err: "data chunk before fmt chunk"},
		{name: "two fmt", in: wavRIFF(fmt16, fmt16, data), err: "two fmt chunks"},
		{name: "small fmt", in: wavRIFF(wavChunkOf("fmt ", make([]byte, 14)), data), err: "fmt chunk of 14 bytes, want 16"},
		{name: "huge fmt", in: wavRIFF(wavChunk("fmt ", 1<<30, wavFmt(1, 1, 16000, 16)), data), err: "fmt chunk of 1073741824 bytes"},
		{name: "truncated fmt", in: wavRIFF(wavChunk("fmt ", 40, wavFmt(1, 1, 16000, 16))), err: "truncated: fmt chunk declares 40 bytes, file has 16"},
		{name: "truncated other chunk", in: wavRIFF(wavChunk("LIST", 1000, []byte("INFO"))), err: `truncated: "LIST" chunk declares 1000 bytes, file has 4`},
	}
}

func TestReadWAV(t *testing.T) {
	s := sphereTestSamples
	for _, tc := range wavCases() {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadWAV(bytes.NewReader(tc.in))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("accepted: %d samples at %d Hz", len(a.Samples), a.SampleRate)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %q, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.SampleRate != tc.rate || !slices.Equal(a.Samples, s) {
				t.Fatalf("got %d Hz %v, want %d Hz %v", a.SampleRate, a.Samples, tc.rate, s)
			}
		})
	}
}

// TestReadWAVLong crosses the decoding buffer boundary (1<<15 samples).
func TestReadWAVLong(t *testing.T) {
	s := make([]int16, 100003)
	for i := range s {
		s[i] = int16(i*7919 + i>>3)
	}
	a, err := ReadWAV(bytes.NewReader(wavFile(16000, s)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Samples, s) {
		t.Fatal("samples differ")
	}
}

// FuzzReadWAV checks that ReadWAV never panics, and that what it accepts is
// plausible, backed by the input's bytes, and survives a rewrite as a
// canonical file.
func FuzzReadWAV(f *testing.F) {
	for _, tc := range wavCases() {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := ReadWAV(bytes.NewReader(in))
		if err != nil {
			if a != nil {
				t.Fatal("audio returned with an error")
			}
			return
		}
		if a.SampleRate <= 0 || len(a.Samples) == 0 {
			t.Fatalf("accepted %d samples at %d Hz", len(a.Samples), a.SampleRate)
		}
		// At least the RIFF header, a 16-byte fmt chunk and the data chunk header.
		if 44+2*len(a.Samples) > len(in) {
			t.Fatalf("%d samples from %d bytes", len(a.Samples), len(in))
		}
		b, err := ReadWAV(bytes.NewReader(wavFile(a.SampleRate, a.Samples)))
		if err != nil || b.SampleRate != a.SampleRate || !slices.Equal(b.Samples, a.Samples) {
			t.Fatalf("rewrite does not read back: %v", err)
		}
		c, err := readAudio(in)
		if err != nil || c.SampleRate != a.SampleRate || !slices.Equal(c.Samples, a.Samples) {
			t.Fatalf("readAudio disagrees: %v", err)
		}
	})
}

func BenchmarkReadWAV(b *testing.B) {
	// A 3 s utterance at 16 kHz, the length of a typical TIMIT sentence.
	s := make([]int16, 48000)
	for i := range s {
		s[i] = int16(i * 31)
	}
	in := wavFile(16000, s)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadWAV(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
