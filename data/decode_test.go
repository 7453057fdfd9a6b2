package data

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
	"github.com/mewkiz/flac/meta"
)

// decodeSignal is the reference: 16-bit full-scale values, exactly
// representable at every PCM size from 8 bits up (multiples of 256) and in
// float, with room for the channel offsets of encodeWAVSamples.
var decodeSignal = []float64{0, 256, -256, 30720, -30720, 1024, -7936, 512}

// encodeWAVSamples renders x (16-bit scale, all channels equal unless
// spread) in format f.
func encodeWAVSamples(x []float64, f WAVFormat, spread bool) []byte {
	var b []byte
	le := binary.LittleEndian
	for _, v := range x {
		for c := range f.Channels {
			s := v
			if spread {
				s = v + float64(c)*256 // channel c is offset by c·256: the mean is v + 256·(C−1)/2
			}
			switch {
			case f.Encoding == EncodingFloat && f.Bits == 32:
				b = le.AppendUint32(b, math.Float32bits(float32(s/32768)))
			case f.Encoding == EncodingFloat:
				b = le.AppendUint64(b, math.Float64bits(s/32768))
			case f.Bits == 8:
				b = append(b, byte(int(s)/256+128))
			case f.Bits == 16:
				b = le.AppendUint16(b, uint16(int16(s)))
			case f.Bits == 24:
				v := uint32(int32(s * 256))
				b = append(b, byte(v), byte(v>>8), byte(v>>16))
			default:
				b = le.AppendUint32(b, uint32(int32(s*65536)))
			}
		}
	}
	return b
}

func wavOf(f WAVFormat, data []byte) []byte {
	tag := uint16(1)
	if f.Encoding == EncodingFloat {
		tag = 3
	}
	var fmtBody []byte
	if f.Extensible {
		fmtBody = wavFmtExt(tag, f.Channels, f.SampleRate, f.Bits, f.Bits)
	} else {
		fmtBody = wavFmt(tag, f.Channels, f.SampleRate, f.Bits)
	}
	return wavRIFF(wavChunkOf("fmt ", fmtBody), wavChunkOf("data", data))
}

func TestDecodeWAV(t *testing.T) {
	for _, f := range []WAVFormat{
		{EncodingPCM, 8, 1, 8000, false},
		{EncodingPCM, 16, 1, 16000, false},
		{EncodingPCM, 24, 2, 48000, false},
		{EncodingPCM, 32, 1, 44100, false},
		{EncodingFloat, 32, 2, 44100, false},
		{EncodingFloat, 64, 1, 96000, false},
		{EncodingPCM, 24, 6, 48000, true},
		{EncodingFloat, 32, 1, 16000, true},
	} {
		for _, ch := range []int{0, f.Channels} {
			name := f.String()
			rec, err := DecodeWAV(bytes.NewReader(wavOf(f, encodeWAVSamples(decodeSignal, f, true))), DecodeOptions{Channel: ch})
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if rec.SampleRate != f.SampleRate || rec.Format != name {
				t.Errorf("%s: got %d Hz %q", name, rec.SampleRate, rec.Format)
			}
			// Averaged: v + 128·(C−1); channel C: v + 256·(C−1).
			off := 128 * float64(f.Channels-1)
			if ch != 0 {
				off = 256 * float64(ch-1)
			}
			if len(rec.Samples) != len(decodeSignal) {
				t.Fatalf("%s: %d samples, want %d", name, len(rec.Samples), len(decodeSignal))
			}
			for i, v := range rec.Samples {
				want := decodeSignal[i] + off
				if v != want {
					t.Errorf("%s channel %d: sample %d = %g, want %g", name, ch, i, v, want)
				}
			}
		}
	}
}

func TestDecodeWAVErrors(t *testing.T) {
	data16 := encodeWAVSamples(decodeSignal, WAVFormat{EncodingPCM, 16, 1, 16000, false}, false)
	stereo := WAVFormat{EncodingPCM, 24, 2, 48000, false}
	for _, tc := range []struct {
		name string
		in   []byte
		ch   int
		err  string
	}{
		{"truncated 24-bit stereo", wavRIFF(wavChunkOf("fmt ", wavFmt(1, 2, 48000, 24)), wavChunk("data", 600, make([]byte, 60))), 0, "truncated: data chunk declares 600 bytes, file has 60"},
		{"partial frame", wavRIFF(wavChunkOf("fmt ", wavFmt(1, 2, 48000, 24)), wavChunkOf("data", make([]byte, 8))), 0, "data chunk of 8 bytes, not a whole number of 6-byte sample frames (2 channels of 24 bits)"},
		{"streamed size", wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, 16000, 16)), wavChunk("data", 0xFFFFFFFF, data16)), 0, "0xFFFFFFFF"},
		{"mu-law", wavRIFF(wavChunkOf("fmt ", wavFmt(7, 1, 8000, 8)), wavChunkOf("data", data16)), 0, "µ-law, 8-bit, 1 channel, 8000 Hz: want PCM of 8, 16, 24 or 32 bits or IEEE float of 32 or 64 bits"},
		{"12-bit", wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, 16000, 12)), wavChunkOf("data", data16)), 0, "PCM, 12-bit"},
		{"float 16", wavRIFF(wavChunkOf("fmt ", wavFmt(3, 1, 16000, 16)), wavChunkOf("data", data16)), 0, "IEEE float, 16-bit"},
		{"no channels", wavRIFF(wavChunkOf("fmt ", wavFmt(1, 0, 16000, 16)), wavChunkOf("data", data16)), 0, "want 1 to 64 channels"},
		{"bad align", func() []byte {
			b := wavFmt(1, 2, 16000, 16)
			b[12] = 2
			return wavRIFF(wavChunkOf("fmt ", b), wavChunkOf("data", data16))
		}(), 0, "block align 2: want 4"},
		{"channel 3 of 2", wavOf(stereo, encodeWAVSamples(decodeSignal, stereo, false)), 3, "channel 3 asked for, the file has 2 channels"},
		{"unknown guid", wavRIFF(wavChunkOf("fmt ", func() []byte { b := wavFmtExt(1, 1, 16000, 16, 16); b[39] = 0; return b }()), wavChunkOf("data", data16)), 0, "unknown subformat GUID"},
		{"zero rate", wavRIFF(wavChunkOf("fmt ", wavFmt(1, 1, 0, 16)), wavChunkOf("data", data16)), 0, "sample rate 0 Hz"},
	} {
		rec, err := DecodeWAV(bytes.NewReader(tc.in), DecodeOptions{Channel: tc.ch})
		if err == nil {
			t.Errorf("%s: accepted (%d samples)", tc.name, len(rec.Samples))
			continue
		}
		if !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %q, want it to contain %q", tc.name, err, tc.err)
		}
	}
}

// flacBytes encodes channels (equal lengths) as a FLAC stream of bps bits
// with mewkiz/flac's encoder, in blocks of 4096 samples.
func flacBytes(t testing.TB, rate, bps int, channels ...[]int32) []byte {
	t.Helper()
	var buf bytes.Buffer
	info := &meta.StreamInfo{BlockSizeMin: 16, BlockSizeMax: 4096, SampleRate: uint32(rate),
		NChannels: uint8(len(channels)), BitsPerSample: uint8(bps), NSamples: uint64(len(channels[0]))}
	enc, err := flac.NewEncoder(&buf, info)
	if err != nil {
		t.Fatal(err)
	}
	chans := []frame.Channels{0, frame.ChannelsMono, frame.ChannelsLR, frame.ChannelsLRC}[len(channels)]
	for start := 0; start < len(channels[0]); start += 4096 {
		end := min(start+4096, len(channels[0]))
		f := &frame.Frame{Header: frame.Header{HasFixedBlockSize: false, BlockSize: uint16(end - start),
			SampleRate: uint32(rate), Channels: chans, BitsPerSample: uint8(bps)}}
		for _, c := range channels {
			f.Subframes = append(f.Subframes, &frame.Subframe{SubHeader: frame.SubHeader{Pred: frame.PredVerbatim},
				Samples: c[start:end], NSamples: end - start})
		}
		if err := enc.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func flacSignal(n int, scale int32) []int32 {
	x := make([]int32, n)
	for i := range x {
		x[i] = int32(float64(scale) * math.Sin(float64(i)*0.01))
	}
	return x
}

func TestDecodeFLAC(t *testing.T) {
	l, r := flacSignal(10000, 1<<22), flacSignal(10000, -1<<21)
	in := flacBytes(t, 48000, 24, l, r)
	for _, ch := range []int{0, 1, 2} {
		rec, err := decode(in, DecodeOptions{Channel: ch})
		if err != nil {
			t.Fatal(err)
		}
		if rec.SampleRate != 48000 || len(rec.Samples) != len(l) || rec.Format != "FLAC, 24-bit, 2 channels, 48000 Hz" {
			t.Fatalf("got %d Hz, %d samples, %q", rec.SampleRate, len(rec.Samples), rec.Format)
		}
		for i, v := range rec.Samples {
			want := []float64{float64(l[i]+r[i]) / 2, float64(l[i]), float64(r[i])}[ch] / 256
			if v != want {
				t.Fatalf("channel %d sample %d: %g, want %g", ch, i, v, want)
			}
		}
	}
	mono := flacBytes(t, 16000, 16, flacSignal(5000, 20000))
	if rec, err := decode(mono, DecodeOptions{}); err != nil || len(rec.Samples) != 5000 {
		t.Fatalf("mono: %v", err)
	}
}

func TestDecodeFLACErrors(t *testing.T) {
	in := flacBytes(t, 44100, 16, flacSignal(10000, 20000))
	corrupt := bytes.Clone(in)
	corrupt[len(corrupt)/2] ^= 0x55
	// The MD5 signature is the last 16 bytes of STREAMINFO, the first
	// metadata block after "fLaC" and its 4-byte block header; metadata has
	// no CRC, so every frame still decodes and only the signature can tell.
	badMD5 := bytes.Clone(in)
	if string(badMD5[:4]) != "fLaC" || badMD5[4]&0x7f != 0 {
		t.Fatalf("stream does not start with STREAMINFO: % x", badMD5[:5])
	}
	badMD5[4+4+34-1] ^= 0x01
	for _, tc := range []struct {
		name string
		in   []byte
		ch   int
		err  string
	}{
		{"truncated", in[:len(in)*2/3], 0, "truncated"},
		{"header only", in[:30], 0, "truncated"},
		{"corrupt", corrupt, 0, "FLAC frame"},
		{"md5 mismatch", badMD5, 0, "does not match the stream's MD5 signature"},
		{"channel 2 of 1", in, 2, "channel 2 asked for, the file has 1 channel"},
		{"not flac", []byte("fLaX1234"), 0, "not a RIFF/WAVE, FLAC or NIST SPHERE file"},
	} {
		rec, err := decode(tc.in, DecodeOptions{Channel: tc.ch})
		if err == nil {
			t.Errorf("%s: accepted (%d samples)", tc.name, len(rec.Samples))
			continue
		}
		if !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q, want one line containing %q", tc.name, err, tc.err)
		}
	}
}

func TestRecordingAudio(t *testing.T) {
	rec := &Recording{SampleRate: 16000, Samples: []float64{0, 1.5, -1.5, 40000, -40000, 32767.4, -32768.4, math.NaN()}}
	a, clipped, err := rec.Audio(16000)
	if err != nil {
		t.Fatal(err)
	}
	want := []int16{0, 2, -2, 32767, -32768, 32767, -32768, 0}
	for i := range want {
		if a.Samples[i] != want[i] {
			t.Errorf("sample %d: %d, want %d", i, a.Samples[i], want[i])
		}
	}
	if clipped != 3 {
		t.Errorf("clipped %d, want 3", clipped)
	}
	rec = &Recording{SampleRate: 48000, Samples: make([]float64, 4800)}
	a, _, err = rec.Audio(16000)
	if err != nil || a.SampleRate != 16000 || len(a.Samples) != 1600 {
		t.Fatalf("48 kHz → 16 kHz: %v", err)
	}
}

// FuzzDecode: decode (WAV in every encoding, FLAC, SPHERE) never panics,
// returns one-line errors, and what it accepts is backed by the input (a
// WAV or SPHERE sample takes at least one byte; FLAC compresses).
func FuzzDecode(f *testing.F) {
	for _, tc := range wavCases() {
		f.Add(tc.in, 0)
	}
	stereo := WAVFormat{EncodingPCM, 24, 2, 48000, true}
	f.Add(wavOf(stereo, encodeWAVSamples(decodeSignal, stereo, true)), 2)
	fl := WAVFormat{EncodingFloat, 64, 1, 44100, false}
	f.Add(wavOf(fl, encodeWAVSamples(decodeSignal, fl, false)), 0)
	fb := flacBytes(f, 16000, 16, flacSignal(300, 1000), flacSignal(300, 2000))
	f.Add(fb, 1)
	f.Add(fb[:len(fb)-9], 0)
	f.Fuzz(func(t *testing.T, in []byte, ch int) {
		rec, err := decode(in, DecodeOptions{Channel: ch})
		if err != nil {
			if rec != nil {
				t.Fatal("recording returned with an error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of several lines: %q", err)
			}
			return
		}
		if rec.SampleRate <= 0 || len(rec.Samples) == 0 {
			t.Fatalf("accepted %d samples at %d Hz", len(rec.Samples), rec.SampleRate)
		}
		if !bytes.HasPrefix(in, []byte("fLaC")) && len(rec.Samples) > len(in) {
			t.Fatalf("%d samples from %d bytes", len(rec.Samples), len(in))
		}
	})
}

// FuzzDecodeFLAC: the FLAC wrapper never panics (a panic inside the
// decoder becomes an error), reports one line, and what it accepts has
// the declared length.
func FuzzDecodeFLAC(f *testing.F) {
	f.Add(flacBytes(f, 16000, 16, flacSignal(300, 1000)))
	f.Add(flacBytes(f, 48000, 24, flacSignal(5000, 1<<20), flacSignal(5000, -1<<19)))
	f.Add(flacBytes(f, 8000, 8, flacSignal(100, 100), flacSignal(100, 50), flacSignal(100, 20)))
	f.Fuzz(func(t *testing.T, in []byte) {
		rec, err := DecodeFLAC(bytes.NewReader(in), DecodeOptions{})
		if err != nil {
			if rec != nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q with recording %v", err, rec != nil)
			}
			return
		}
		if rec.SampleRate <= 0 || len(rec.Samples) == 0 {
			t.Fatalf("accepted %d samples at %d Hz", len(rec.Samples), rec.SampleRate)
		}
	})
}

func BenchmarkDecodeWAV24Stereo(b *testing.B) {
	// 3 s at 48 kHz, 24-bit stereo: a laptop recording of one sentence.
	f := WAVFormat{EncodingPCM, 24, 2, 48000, false}
	x := make([]float64, 3*48000)
	for i := range x {
		x[i] = float64(i%30000) - 15000
	}
	in := wavOf(f, encodeWAVSamples(x, f, false))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeWAV(bytes.NewReader(in), DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
