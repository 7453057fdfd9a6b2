package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"

	"github.com/phoneme/phoneme/features"
)

// Decoding recordings in any common encoding, for classifying audio that
// nobody prepared (ReadAudio stays strict for corpora).

// Encoding is how a WAV file stores its samples.
type Encoding int

const (
	// EncodingPCM is linear PCM: 8-bit unsigned, 16/24/32-bit signed.
	EncodingPCM Encoding = iota + 1
	// EncodingFloat is IEEE float, 32 or 64 bits.
	EncodingFloat
)

// WAVFormat is a decodable WAV fmt chunk.
type WAVFormat struct {
	Encoding   Encoding
	Bits       int // bits per sample as stored: 8, 16, 24, 32 (PCM) or 32, 64 (float)
	Channels   int
	SampleRate int
	Extensible bool // WAVE_FORMAT_EXTENSIBLE
}

func (f WAVFormat) String() string {
	name := "PCM"
	if f.Encoding == EncodingFloat {
		name = "IEEE float"
	}
	if f.Extensible {
		name += " (extensible)"
	}
	return fmt.Sprintf("%s, %d-bit, %s, %d Hz", name, f.Bits, channelsString(f.Channels), f.SampleRate)
}

func channelsString(n int) string {
	if n == 1 {
		return "1 channel"
	}
	return fmt.Sprintf("%d channels", n)
}

// maxChannels bounds the channel count of a decodable file (WAV allows
// 65535; 64 covers microphone arrays).
const maxChannels = 64

// parseWAVFormat parses a fmt chunk body into a decodable format, or says
// what the file holds and what can be decoded.
func parseWAVFormat(b []byte) (WAVFormat, error) {
	le := binary.LittleEndian
	tag := le.Uint16(b[0:])
	f := WAVFormat{
		Channels:   int(le.Uint16(b[2:])),
		SampleRate: int(le.Uint32(b[4:])),
		Bits:       int(le.Uint16(b[14:])),
	}
	align := int(le.Uint16(b[12:]))
	valid := f.Bits
	if tag == wavFormatExtensible {
		if len(b) < 40 || le.Uint16(b[16:]) < 22 {
			return f, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, want 40", len(b))
		}
		valid = int(le.Uint16(b[18:]))
		sub := b[24:40]
		if !bytes.Equal(sub[2:], wavSubformatSuffix) {
			return f, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE with unknown subformat GUID %x: want PCM or IEEE float", sub)
		}
		tag = le.Uint16(sub)
		f.Extensible = true
	}
	name, known := wavFormatNames[tag]
	if !known {
		name = fmt.Sprintf("format tag 0x%04X", tag)
	}
	found := fmt.Sprintf("%s, %d-bit, %s, %d Hz", name, f.Bits, channelsString(f.Channels), f.SampleRate)
	switch {
	case tag == wavFormatPCM && (f.Bits == 8 || f.Bits == 16 || f.Bits == 24 || f.Bits == 32):
		f.Encoding = EncodingPCM
	case tag == 0x0003 && (f.Bits == 32 || f.Bits == 64):
		f.Encoding = EncodingFloat
	default:
		return f, fmt.Errorf("%s: want PCM of 8, 16, 24 or 32 bits or IEEE float of 32 or 64 bits", found)
	}
	if valid != 0 && (valid > f.Bits || valid < 1) {
		return f, fmt.Errorf("%s with %d valid bits per sample", found, valid)
	}
	if f.Channels < 1 || f.Channels > maxChannels {
		return f, fmt.Errorf("%s: want 1 to %d channels", found, maxChannels)
	}
	if want := f.Channels * f.Bits / 8; align != want {
		return f, fmt.Errorf("%s with block align %d: want %d", found, align, want)
	}
	if f.SampleRate <= 0 {
		return f, fmt.Errorf("sample rate %d Hz", f.SampleRate)
	}
	return f, nil
}

// frameSize is the bytes of one sample frame.
func (f WAVFormat) frameSize() int { return f.Channels * f.Bits / 8 }

// decodeFrames appends to dst one sample per whole frame of src: channel
// ch (0-based), or the mean of all channels when ch < 0. Samples are scaled
// to 16-bit full scale (±32768), so that features of a 24-bit or float file
// match those of its 16-bit rendering: 8-bit unsigned u gives (u−128)·256,
// 24-bit s gives s/256, 32-bit s/65536, float x gives 32768·x.
func decodeFrames(dst []float64, src []byte, f WAVFormat, ch int) []float64 {
	bps := f.Bits / 8
	fs := f.frameSize()
	le := binary.LittleEndian
	sample := func(b []byte) float64 {
		switch {
		case f.Encoding == EncodingFloat && bps == 4:
			return 32768 * float64(math.Float32frombits(le.Uint32(b)))
		case f.Encoding == EncodingFloat:
			return 32768 * math.Float64frombits(le.Uint64(b))
		case bps == 1:
			return (float64(b[0]) - 128) * 256
		case bps == 2:
			return float64(int16(le.Uint16(b)))
		case bps == 3:
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			return float64(v) / 256
		default:
			return float64(int32(le.Uint32(b))) / 65536
		}
	}
	for off := 0; off+fs <= len(src); off += fs {
		frame := src[off : off+fs]
		if ch >= 0 {
			dst = append(dst, sample(frame[ch*bps:]))
			continue
		}
		var s float64
		for c := range f.Channels {
			s += sample(frame[c*bps:])
		}
		dst = append(dst, s/float64(f.Channels))
	}
	return dst
}

// Recording is decoded audio of any supported encoding, reduced to one
// channel.
type Recording struct {
	SampleRate int
	// Format says what the file held, e.g. "PCM, 24-bit, 2 channels,
	// 48000 Hz" or "FLAC, 16-bit, 1 channel, 16000 Hz".
	Format string
	// Samples holds one channel (or the mean of all), scaled to 16-bit full
	// scale: ±32768.
	Samples []float64
}

// DecodeOptions choose what Decode makes of a multi-channel file.
type DecodeOptions struct {
	// Channel picks channel Channel (1-based) of a multi-channel file; 0
	// averages all channels.
	Channel int
}

// channelIndex checks o.Channel against a file of n channels and returns
// the 0-based channel, or −1 to average.
func (o DecodeOptions) channelIndex(n int) (int, error) {
	if o.Channel < 0 {
		return 0, fmt.Errorf("channel %d: channels are numbered from 1", o.Channel)
	}
	if o.Channel > n {
		return 0, fmt.Errorf("channel %d asked for, the file has %s", o.Channel, channelsString(n))
	}
	return o.Channel - 1, nil
}

// DecodeWAV decodes a RIFF WAVE file in any encoding parseWAVFormat
// accepts (PCM 8/16/24/32-bit, IEEE float 32/64-bit, either plain or
// WAVE_FORMAT_EXTENSIBLE, any number of channels up to 64, any sample
// rate). The checks of ReadWAV on the chunk structure stand: a truncated
// data chunk, an unknown length (0xFFFFFFFF) or a partial sample frame is
// an error.
func DecodeWAV(r io.ReadSeeker, o DecodeOptions) (*Recording, error) {
	var f WAVFormat
	w, err := walkWAV(r, func(b []byte) (wavUnit, error) {
		var err error
		if f, err = parseWAVFormat(b); err != nil {
			return wavUnit{}, err
		}
		if f.Channels == 1 {
			return wavUnit{f.frameSize(), fmt.Sprintf("%d-bit samples", f.Bits)}, nil
		}
		return wavUnit{f.frameSize(), fmt.Sprintf("%d-byte sample frames (%d channels of %d bits)", f.frameSize(), f.Channels, f.Bits)}, nil
	})
	if err != nil {
		return nil, err
	}
	ch, err := o.channelIndex(f.Channels)
	if err != nil {
		return nil, err
	}
	n := w.dataSize / int64(f.frameSize())
	out := make([]float64, 0, n)
	buf := make([]byte, f.frameSize()*int(min(n, 1<<14)))
	for left := w.dataSize; left > 0; {
		b := buf[:min(int64(len(buf)), left)]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		out = decodeFrames(out, b, f, ch)
		left -= int64(len(b))
	}
	return &Recording{SampleRate: f.SampleRate, Format: f.String(), Samples: out}, nil
}

// DecodeAudio reads the audio file name from fsys in any format Decode
// knows: WAV (DecodeWAV), FLAC (DecodeFLAC) or NIST SPHERE (ReadSphere's
// 16-bit PCM mono), told apart by their first bytes. Every error starts
// with the file name.
func DecodeAudio(fsys fs.FS, name string, o DecodeOptions) (*Recording, error) {
	b, err := readRegular(fsys, name)
	if err != nil {
		return nil, err
	}
	rec, err := decode(b, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rec, nil
}

func decode(b []byte, o DecodeOptions) (*Recording, error) {
	switch {
	case len(b) == 0:
		return nil, errors.New("empty file")
	case bytes.HasPrefix(b, []byte("fLaC")):
		return DecodeFLAC(bytes.NewReader(b), o)
	case bytes.HasPrefix(b, []byte("RIFF")), bytes.HasPrefix(b, []byte("RIFX")), bytes.HasPrefix(b, []byte("RF64")):
		return DecodeWAV(bytes.NewReader(b), o)
	case bytes.HasPrefix(b, []byte(sphereMagic[:7])):
		a, err := ReadSphere(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if _, err := o.channelIndex(1); err != nil {
			return nil, err
		}
		return &Recording{SampleRate: a.SampleRate, Format: fmt.Sprintf("NIST SPHERE, 16-bit, 1 channel, %d Hz", a.SampleRate), Samples: int16sToFloat(a.Samples)}, nil
	}
	return nil, fmt.Errorf("not a RIFF/WAVE, FLAC or NIST SPHERE file (starts with %q)", b[:min(len(b), 8)])
}

func int16sToFloat(s []int16) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// Audio returns the recording at rate Hz as 16-bit samples: resampled by
// features.Resample when the rates differ, rounded to the nearest integer
// and clipped to the 16-bit range. clipped counts the samples that were
// (a float file louder than full scale, or resampling overshoot of a signal
// at full scale); callers should tell the user when it is not 0.
func (r *Recording) Audio(rate int) (a *Audio, clipped int, err error) {
	x := r.Samples
	if rate != r.SampleRate {
		if x, err = features.Resample(x, r.SampleRate, rate); err != nil {
			return nil, 0, err
		}
	}
	out := make([]int16, len(x))
	for i, v := range x {
		out[i], clipped = toInt16(v, clipped)
	}
	if len(out) == 0 {
		return nil, 0, errNoSamples
	}
	return &Audio{SampleRate: rate, Samples: out}, clipped, nil
}

// ToInt16 appends x rounded to 16-bit samples to dst, clipping values
// outside the range, and returns the extended slice and how many samples
// were clipped (NaN counts, and becomes 0).
func ToInt16(dst []int16, x []float64) ([]int16, int) {
	clipped := 0
	for _, v := range x {
		var s int16
		s, clipped = toInt16(v, clipped)
		dst = append(dst, s)
	}
	return dst, clipped
}

// toInt16 rounds v to int16, clipping (and counting) values outside the
// range; NaN counts as clipped and becomes 0.
func toInt16(v float64, clipped int) (int16, int) {
	switch {
	case v != v:
		return 0, clipped + 1
	case v >= math.MaxInt16+0.5:
		return math.MaxInt16, clipped + 1
	case v <= math.MinInt16-0.5:
		return math.MinInt16, clipped + 1
	}
	return int16(math.Round(v)), clipped
}
