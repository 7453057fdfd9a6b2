package data

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mewkiz/flac"
)

// FLAC decoding through github.com/mewkiz/flac (v1.0.14, pure Go: frame
// headers' CRC-8 and frames' CRC-16 are checked by it), wrapped so that its
// errors become one line, a panic inside it becomes an error, and what it
// does not check is checked here: the sample count the STREAMINFO block
// declares (a truncated file ends early), the MD5 signature of the decoded
// audio, and that every frame keeps the stream's channels and sample size.

// maxFLACSamples bounds the declared length we allocate for up front (a
// minute at 16 kHz), so that a corrupt header cannot make us allocate
// gigabytes; longer streams grow as they decode.
const maxFLACSamples = 1 << 20

// DecodeFLAC decodes a FLAC stream of any sample size (4 to 32 bits), any
// number of channels (1 to 8) and any sample rate, reducing it to one
// channel as o says and scaling samples to 16-bit full scale.
func DecodeFLAC(r io.Reader, o DecodeOptions) (rec *Recording, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("corrupt FLAC stream (the decoder failed: %v)", p)
		}
	}()
	s, err := flac.New(r)
	if err != nil {
		return nil, flacError("FLAC header", err)
	}
	info := s.Info
	if info == nil {
		return nil, errors.New("FLAC stream without STREAMINFO")
	}
	nch, bps := int(info.NChannels), int(info.BitsPerSample)
	format := fmt.Sprintf("FLAC, %d-bit, %s, %d Hz", bps, channelsString(nch), info.SampleRate)
	if info.SampleRate == 0 {
		return nil, fmt.Errorf("%s: sample rate 0", format)
	}
	if bps < 4 || bps > 32 {
		return nil, fmt.Errorf("%s: want 4 to 32 bits per sample", format)
	}
	ch, err := o.channelIndex(nch)
	if err != nil {
		return nil, err
	}
	// 16-bit full scale: shift by bps−16 bits either way.
	scale := 1.0
	for b := bps; b < 16; b++ {
		scale *= 2
	}
	for b := bps; b > 16; b-- {
		scale /= 2
	}
	out := make([]float64, 0, min(info.NSamples, maxFLACSamples))
	sum := md5.New()
	for k := 0; ; k++ {
		f, err := s.ParseNext()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, flacError(fmt.Sprintf("FLAC frame %d", k), err)
		}
		if len(f.Subframes) != nch || int(f.BitsPerSample) != bps {
			return nil, fmt.Errorf("FLAC frame %d has %s of %d bits, the stream %s of %d", k, channelsString(len(f.Subframes)), f.BitsPerSample, channelsString(nch), bps)
		}
		f.Hash(sum)
		n := len(f.Subframes[0].Samples)
		for i := range n {
			if ch >= 0 {
				out = append(out, float64(f.Subframes[ch].Samples[i])*scale)
				continue
			}
			var v float64
			for _, sf := range f.Subframes {
				v += float64(sf.Samples[i])
			}
			out = append(out, v*scale/float64(nch))
		}
	}
	if info.NSamples != 0 && uint64(len(out)) != info.NSamples {
		return nil, fmt.Errorf("truncated: FLAC stream declares %d samples, has %d", info.NSamples, len(out))
	}
	if len(out) == 0 {
		return nil, errNoSamples
	}
	var zero [16]byte
	if info.MD5sum != zero && !bytes.Equal(sum.Sum(nil), info.MD5sum[:]) {
		return nil, errors.New("FLAC audio does not match the stream's MD5 signature (corrupt file)")
	}
	return &Recording{SampleRate: int(info.SampleRate), Format: format, Samples: out}, nil
}

// flacError turns a decoder error into one line: an early end of file is
// "truncated", other messages lose the decoder's function-name prefixes.
func flacError(where string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated: %s ends early", where)
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg[:i], ".") {
		msg = msg[i+2:]
	}
	return fmt.Errorf("%s: %s", where, msg)
}
