package data

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SampleStream is audio read as it arrives: Read fills dst with the next
// samples of one channel (16-bit full scale) and returns how many, io.EOF
// at the end.
type SampleStream interface {
	Read(dst []float64) (int, error)
	SampleRate() int
	Format() string
}

// OpenStream starts reading audio from r as it arrives: a RIFF WAVE file
// (any encoding DecodeWAV takes) when r starts with "RIFF", else raw
// 16-bit little-endian mono samples at rawRate Hz (what
// `arecord -f S16_LE -c 1` writes).
//
// A WAV header is read up to its data chunk. Unlike DecodeWAV it cannot
// check the data's size against the file's: the size a recorder writes
// before it knows the length (0, or 0x7FFFF000 and above, 0xFFFFFFFF among
// them) means "until the end of the input"; any other size is the length,
// and an input that ends before it is reported as truncated. An input that
// ends inside a sample frame is an error either way.
func OpenStream(r io.Reader, rawRate int, o DecodeOptions) (SampleStream, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(4)
	if err != nil && len(head) == 0 {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no input")
		}
		return nil, err
	}
	if string(head) == "RIFF" || string(head) == "RIFX" || string(head) == "RF64" {
		return openWAVStream(br, o)
	}
	if o.Channel > 1 {
		return nil, fmt.Errorf("channel %d asked for, raw input has 1 channel", o.Channel)
	}
	f := WAVFormat{Encoding: EncodingPCM, Bits: 16, Channels: 1, SampleRate: rawRate}
	return &frameStream{r: br, f: f, ch: -1, left: -1, format: fmt.Sprintf("raw S16_LE, 1 channel, %d Hz", rawRate)}, nil
}

// maxStreamChunk bounds a chunk before the data that a stream skips (a
// LIST or a JUNK chunk is a few kilobytes).
const maxStreamChunk = 1 << 20

func openWAVStream(r *bufio.Reader, o DecodeOptions) (SampleStream, error) {
	var hdr [12]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("not a RIFF/WAVE file (only %d bytes)", n)
	}
	if err := checkRIFFHeader(hdr); err != nil {
		return nil, err
	}
	var (
		f      WAVFormat
		gotFmt bool
		ch     [8]byte
	)
	for {
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if !gotFmt {
				return nil, errors.New("no fmt chunk")
			}
			return nil, errors.New("no data chunk")
		}
		id := string(ch[:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		switch id {
		case "fmt ":
			if gotFmt {
				return nil, errors.New("two fmt chunks")
			}
			if size < 16 || size > maxFmtChunk {
				return nil, fmt.Errorf("fmt chunk of %d bytes, want 16 to %d", size, maxFmtChunk)
			}
			b := make([]byte, size+size&1)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("truncated: fmt chunk declares %d bytes", size)
			}
			var err error
			if f, err = parseWAVFormat(b[:size]); err != nil {
				return nil, err
			}
			gotFmt = true
		case "data":
			if !gotFmt {
				return nil, errors.New("data chunk before fmt chunk")
			}
			c, err := o.channelIndex(f.Channels)
			if err != nil {
				return nil, err
			}
			left := size
			if size == 0 || size >= 0x7FFFF000 {
				left = -1 // until the end of the input
			} else if size%int64(f.frameSize()) != 0 {
				return nil, fmt.Errorf("data chunk of %d bytes, not a whole number of %d-byte sample frames", size, f.frameSize())
			}
			return &frameStream{r: r, f: f, ch: c, left: left, format: f.String()}, nil
		default:
			if size > maxStreamChunk {
				return nil, fmt.Errorf("%q chunk of %d bytes before the data", strings.TrimRight(id, " "), size)
			}
			if _, err := r.Discard(int(size + size&1)); err != nil {
				return nil, fmt.Errorf("truncated: %q chunk declares %d bytes", strings.TrimRight(id, " "), size)
			}
		}
	}
}

// frameStream decodes sample frames of format f from r.
type frameStream struct {
	r      *bufio.Reader
	f      WAVFormat
	ch     int   // channel, −1: mean
	left   int64 // data bytes still to come; −1: until EOF
	format string
	buf    []byte
	err    error
}

func (s *frameStream) SampleRate() int { return s.f.SampleRate }
func (s *frameStream) Format() string  { return s.format }

// Read decodes up to len(dst) samples. It returns what arrived so far
// rather than waiting to fill dst, so that a live input is labelled as it
// comes.
func (s *frameStream) Read(dst []float64) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	fs := s.f.frameSize()
	want := len(dst) * fs
	if s.left >= 0 {
		if s.left == 0 {
			s.err = io.EOF
			return 0, io.EOF
		}
		want = int(min(int64(want), s.left))
	}
	if cap(s.buf) < want {
		s.buf = make([]byte, want)
	}
	// At least one whole frame; more only if it is there already.
	n, err := io.ReadAtLeast(s.r, s.buf[:want], min(fs, want))
	if err == nil && n%fs != 0 {
		m, err2 := io.ReadFull(s.r, s.buf[n:n+fs-n%fs])
		n += m
		err = err2
	}
	whole := n - n%fs
	out := decodeFrames(dst[:0], s.buf[:whole], s.f, s.ch)
	if s.left >= 0 {
		s.left -= int64(whole)
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		switch {
		case n%fs != 0:
			s.err = fmt.Errorf("truncated: the input ends inside a %d-byte sample frame", fs)
		case s.left > 0:
			s.err = fmt.Errorf("truncated: the input ends %d bytes before the end of the data chunk", s.left)
		default:
			s.err = io.EOF
		}
	default:
		s.err = err
	}
	if len(out) > 0 {
		return len(out), nil
	}
	return 0, s.err
}
