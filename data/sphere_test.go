package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// sphereTestSamples covers both extremes and both signs so that a byte-order
// or sign-extension mistake changes the result.
var sphereTestSamples = []int16{0, 1, -1, 258, -2197, 3080, 32767, -32768}

// sphereBytes builds a SPHERE file: the magic, the header size line, the
// given field lines, end_head, padding to hsize, then data.
func sphereBytes(hsize int, fields []string, data []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "NIST_1A\n%7d\n", hsize)
	for _, f := range fields {
		b.WriteString(f + "\n")
	}
	b.WriteString("end_head\n")
	for b.Len() < hsize {
		b.WriteByte(' ')
	}
	b.Write(data)
	return b.Bytes()
}

// timitFields returns header lines in the style of TIMIT's own files, with
// field k replaced by v ("" drops it).
func timitFields(count int, replace ...string) []string {
	fields := []string{
		"database_id -s5 TIMIT", "database_version -s3 1.0", "utterance_id -s8 aks0_sa1",
		"channel_count -i 1", fmt.Sprintf("sample_count -i %d", count), "sample_rate -i 16000",
		"sample_min -i -2197", "sample_max -i 3080", "sample_n_bytes -i 2",
		"sample_byte_format -s2 01", "sample_sig_bits -i 16",
	}
	for i := 0; i+1 < len(replace); i += 2 {
		k, v := replace[i], replace[i+1]
		found := false
		for j, f := range fields {
			if strings.HasPrefix(f, k+" ") {
				fields[j], found = v, true
			}
		}
		if !found {
			fields = append(fields, v)
		}
	}
	return slices.DeleteFunc(fields, func(s string) bool { return s == "" })
}

func pcmBytes(order binary.ByteOrder, s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		order.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// audioCase is one reader test: a good file (err "") must give
// sphereTestSamples at rate, a bad one an error containing err.
type audioCase struct {
	name string
	in   []byte
	rate int
	err  string
}

// sphereCases are the SPHERE test inputs, also the seeds of FuzzReadSphere.
func sphereCases() []audioCase {
	le := pcmBytes(binary.LittleEndian, sphereTestSamples)
	be := pcmBytes(binary.BigEndian, sphereTestSamples)
	n := len(sphereTestSamples)
	return []audioCase{
		{name: "timit little endian", in: sphereBytes(1024, timitFields(n), le), rate: 16000},
		{name: "big endian", in: sphereBytes(1024, timitFields(n, "sample_byte_format", "sample_byte_format -s2 10"), be), rate: 16000},
		{name: "trailing bytes ignored", in: sphereBytes(1024, timitFields(n), append(slices.Clone(le), 9, 9, 9)), rate: 16000},
		{name: "explicit pcm", in: sphereBytes(1024, timitFields(n, "sample_coding", "sample_coding -s3 pcm"), le), rate: 16000},
		{name: "real rate", in: sphereBytes(1024, timitFields(n, "sample_rate", "sample_rate -r 8000.0"), le), rate: 8000},
		{name: "string with spaces", in: sphereBytes(1024, timitFields(n, "utterance_id", "utterance_id -s11 a b  c -i 1"), le), rate: 16000},
		{name: "empty string", in: sphereBytes(1024, timitFields(n, "x", "comment -s0"), le), rate: 16000},
		{name: "crlf and blank lines", in: sphereBytes(1024, timitFields(n, "x", "\r\nspeaker -s3 abc\r"), le), rate: 16000},
		{name: "small header", in: sphereBytes(512, timitFields(n), le), rate: 16000},

		{name: "empty", in: nil, err: "empty file"},
		{name: "riff", in: []byte("RIFF\x24\x00\x00\x00WAVEfmt "), err: `not a NIST SPHERE file (starts with "RIFF`},
		{name: "text", in: []byte("hello"), err: "not a NIST SPHERE file"},
		{name: "short", in: []byte("NIST_1A\n   10"), err: "truncated SPHERE header: file has 13 bytes"},
		{name: "huge header", in: []byte("NIST_1A\n9999999\n"), err: "bad SPHERE header size \"9999999\""},
		{name: "header size word", in: []byte("NIST_1A\n   abcd\n"), err: "bad SPHERE header size"},
		{name: "header size no newline", in: []byte("NIST_1A\n   1024 "), err: "bad SPHERE header size line"},
		{name: "header cut short", in: sphereBytes(1024, timitFields(n), nil)[:300], err: "truncated SPHERE header: declares 1024 bytes, file has 300"},
		{name: "no end_head", in: append([]byte("NIST_1A\n     64\nsample_count -i 1\n"), bytes.Repeat([]byte(" "), 64-34)...), err: "no end_head"},
		{name: "shorten", in: sphereBytes(1024, timitFields(n, "sample_coding", "sample_coding -s26 pcm,embedded-shorten-v2.00"), le[:5]),
			err: "compressed SPHERE file (shorten; sample_coding \"pcm,embedded-shorten-v2.00\"): decompress it first, e.g. with sph2pipe"},
		{name: "wavpack", in: sphereBytes(1024, timitFields(n, "sample_coding", "sample_coding -s26 pcm,embedded-wavpack-v1.00"), le), err: "compressed SPHERE file (wavpack"},
		{name: "shortpack", in: sphereBytes(1024, timitFields(n, "sample_byte_format", "sample_byte_format -s12 shortpack-v0"), le), err: "compressed SPHERE file (shortpack"},
		{name: "ulaw", in: sphereBytes(1024, timitFields(n, "sample_coding", "sample_coding -s4 ulaw", "sample_n_bytes", "sample_n_bytes -i 1"), le), err: "µ-law SPHERE file"},
		{name: "alaw", in: sphereBytes(1024, timitFields(n, "sample_coding", "sample_coding -s4 alaw"), le), err: "a-law SPHERE file"},
		{name: "other coding", in: sphereBytes(1024, timitFields(n, "sample_coding", "sample_coding -s5 float"), le), err: "unsupported SPHERE sample_coding \"float\""},
		{name: "stereo", in: sphereBytes(1024, timitFields(n, "channel_count", "channel_count -i 2"), le), err: "2 channels, want mono"},
		{name: "8-bit", in: sphereBytes(1024, timitFields(n, "sample_n_bytes", "sample_n_bytes -i 1", "sample_byte_format", "sample_byte_format -s1 1"), le), err: "8-bit samples"},
		{name: "byte format 1", in: sphereBytes(1024, timitFields(n, "sample_byte_format", "sample_byte_format -s1 1"), le), err: `sample_byte_format "1", want 01 or 10`},
		{name: "no sample_count", in: sphereBytes(1024, timitFields(n, "sample_count", ""), le), err: "SPHERE header has no sample_count"},
		{name: "no sample_rate", in: sphereBytes(1024, timitFields(n, "sample_rate", ""), le), err: "SPHERE header has no sample_rate"},
		{name: "no channel_count", in: sphereBytes(1024, timitFields(n, "channel_count", ""), le), err: "SPHERE header has no channel_count"},
		{name: "no sample_n_bytes", in: sphereBytes(1024, timitFields(n, "sample_n_bytes", ""), le), err: "SPHERE header has no sample_n_bytes"},
		{name: "no byte format", in: sphereBytes(1024, timitFields(n, "sample_byte_format", ""), le), err: "SPHERE header has no sample_byte_format"},
		{name: "truncated data", in: sphereBytes(1024, timitFields(10), le[:7]), err: "truncated: 3 of 10 samples"},
		{name: "zero samples", in: sphereBytes(1024, timitFields(0), nil), err: "no samples"},
		{name: "negative count", in: sphereBytes(1024, timitFields(-4), le), err: "sample_count -4 out of range"},
		{name: "huge count", in: sphereBytes(1024, timitFields(1<<31-1), le), err: "truncated: 8 of 2147483647 samples"},
		{name: "count overflows", in: sphereBytes(1024, timitFields(1<<40), le), err: "sample_count: \"1099511627776\" out of range"},
		{name: "zero rate", in: sphereBytes(1024, timitFields(n, "sample_rate", "sample_rate -i 0"), le), err: "sample rate 0 Hz"},
		{name: "fractional rate", in: sphereBytes(1024, timitFields(n, "sample_rate", "sample_rate -r 16000.5"), le), err: "sample_rate: \"16000.5\" is not a whole number"},
		{name: "string rate", in: sphereBytes(1024, timitFields(n, "sample_rate", "sample_rate -s5 16000"), le), err: "sample_rate: is a string"},
		{name: "duplicate", in: sphereBytes(1024, timitFields(n, "x", "channel_count -i 1"), le), err: "line 14: duplicate field channel_count"},
		{name: "malformed", in: sphereBytes(1024, timitFields(n, "x", "garbage"), le), err: "line 14: malformed field \"garbage\""},
		{name: "bad integer", in: sphereBytes(1024, timitFields(n, "sample_rate", "sample_rate -i 16k"), le), err: "line 8: sample_rate: bad integer \"16k\""},
		{name: "bad real", in: sphereBytes(1024, timitFields(n, "x", "gain -r x"), le), err: "gain: bad real"},
		{name: "unknown type", in: sphereBytes(1024, timitFields(n, "x", "gain -f 1"), le), err: "gain: unknown type \"-f\""},
		{name: "string too long", in: sphereBytes(1024, timitFields(n, "utterance_id", "utterance_id -s3 aks0_sa1"), le), err: "utterance_id: string longer than its declared 3 bytes"},
		{name: "string past header", in: sphereBytes(1024, timitFields(n, "utterance_id", "utterance_id -s5000 x"), le), err: "utterance_id: bad string length \"-s5000\""},
		{name: "string no value", in: sphereBytes(1024, timitFields(n, "utterance_id", "utterance_id -s3"), le), err: "utterance_id: missing value"},
	}
}

func TestReadSphere(t *testing.T) {
	for _, tc := range sphereCases() {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadSphere(bytes.NewReader(tc.in))
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
			if a.SampleRate != tc.rate || !slices.Equal(a.Samples, sphereTestSamples) {
				t.Fatalf("got %d Hz %v, want %d Hz %v", a.SampleRate, a.Samples, tc.rate, sphereTestSamples)
			}
		})
	}
}

// FuzzReadSphere checks that ReadSphere never panics and that whatever it
// accepts is plausible audio backed by the bytes of the input.
func FuzzReadSphere(f *testing.F) {
	for _, tc := range sphereCases() {
		f.Add(tc.in)
	}
	// A minimal header, so that mutations reach the fields quickly.
	f.Add(sphereBytes(64, []string{"sample_count -i 1", "sample_rate -i 1", "channel_count -i 1", "sample_n_bytes -i 2", "sample_byte_format -s2 10"}, []byte{1, 2}))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := ReadSphere(bytes.NewReader(in))
		if err != nil {
			if a != nil {
				t.Fatal("audio returned with an error")
			}
			return
		}
		if a.SampleRate <= 0 || len(a.Samples) == 0 {
			t.Fatalf("accepted %d samples at %d Hz", len(a.Samples), a.SampleRate)
		}
		// The samples come after a header of at least 16 bytes.
		if 16+2*len(a.Samples) > len(in) {
			t.Fatalf("%d samples from %d bytes", len(a.Samples), len(in))
		}
		// Sniffing must route the same bytes to the same reader.
		b, err := readAudio(in)
		if err != nil || b.SampleRate != a.SampleRate || !slices.Equal(b.Samples, a.Samples) {
			t.Fatalf("readAudio disagrees: %v", err)
		}
	})
}

func BenchmarkReadSphere(b *testing.B) {
	// A 3 s TIMIT utterance: 1024-byte header, 48000 samples.
	s := make([]int16, 48000)
	for i := range s {
		s[i] = int16(i * 31)
	}
	in := sphereBytes(1024, timitFields(len(s)), pcmBytes(binary.LittleEndian, s))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadSphere(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
