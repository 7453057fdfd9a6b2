package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// NIST SPHERE, the format of LDC TIMIT's .WAV files: the 8 bytes "NIST_1A\n",
// the header size as a decimal number on its own line ("   1024\n"), then
// "name -type value" lines (-i integer, -r real, -sN a string of exactly N
// bytes, which may hold spaces) up to a line "end_head", the whole header
// padded to its declared size; the samples follow.

const (
	sphereMagic = "NIST_1A\n"
	// maxSphereHeader bounds the declared header size so that a corrupt
	// size cannot make us allocate gigabytes; real headers are 1024 bytes.
	maxSphereHeader = 1 << 20
	// maxSphereSamples bounds a declared sample count (about 37 hours at 16 kHz);
	// larger counts are corrupt headers, not utterances.
	maxSphereSamples = 1 << 31
)

// sphereField is one header field: its type letter ('i', 'r' or 's') and its
// value as written.
type sphereField struct {
	typ   byte
	value string
}

// ReadSphere reads a NIST SPHERE file of 16-bit linear PCM mono samples in
// either byte order (sample_byte_format 01 little endian, 10 big endian).
// The header must declare sample_count, sample_rate, channel_count (1),
// sample_n_bytes (2) and sample_byte_format; sample_coding may be absent or
// "pcm". Compressed files (shorten, wavpack, shortpack) and µ-law or a-law
// are errors that say so: decompress them first, e.g. with sph2pipe.
//
// It reads exactly sample_count samples; a file with fewer is an error
// ("truncated"), and bytes after them are ignored, as sph2pipe does.
// Checksums (sample_checksum) are not verified.
func ReadSphere(r io.Reader) (*Audio, error) {
	var pre [16]byte
	n, err := io.ReadFull(r, pre[:])
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return nil, errors.New("empty file")
	case n < len(sphereMagic) || !bytes.HasPrefix(pre[:], []byte(sphereMagic)):
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
		return nil, fmt.Errorf("not a NIST SPHERE file (starts with %q, want %q)", pre[:n], sphereMagic)
	case err != nil:
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated SPHERE header: file has %d bytes", n)
		}
		return nil, err
	}
	sizeLine := pre[len(sphereMagic):]
	if sizeLine[len(sizeLine)-1] != '\n' {
		return nil, fmt.Errorf("bad SPHERE header size line %q", sizeLine)
	}
	hsize, err := strconv.Atoi(strings.TrimSpace(string(sizeLine[:len(sizeLine)-1])))
	if err != nil || hsize < len(pre) || hsize > maxSphereHeader {
		return nil, fmt.Errorf("bad SPHERE header size %q (want %d to %d bytes)",
			strings.TrimSpace(string(sizeLine)), len(pre), maxSphereHeader)
	}
	head := make([]byte, hsize-len(pre))
	if n, err := io.ReadFull(r, head); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			return nil, fmt.Errorf("truncated SPHERE header: declares %d bytes, file has %d", hsize, len(pre)+n)
		}
		return nil, err
	}
	fields, err := parseSphereFields(head)
	if err != nil {
		return nil, err
	}
	count, rate, bigEndian, err := sphereFormat(fields)
	if err != nil {
		return nil, err
	}
	samples, err := readSphereSamples(r, count, bigEndian)
	if err != nil {
		return nil, err
	}
	return &Audio{SampleRate: rate, Samples: samples}, nil
}

// readSphereSamples reads count 16-bit samples in blocks. The output grows
// with what the file really holds, from at most 1<<20 samples up front, so
// that a false sample_count on a short file cannot allocate gigabytes.
func readSphereSamples(r io.Reader, count int, bigEndian bool) ([]int16, error) {
	out := make([]int16, 0, min(count, 1<<20))
	buf := make([]byte, 2*min(count, 1<<15))
	for len(out) < count {
		m := min(count-len(out), len(buf)/2)
		n, err := io.ReadFull(r, buf[:2*m])
		at := len(out)
		out = slices.Grow(out, n/2)[:at+n/2]
		if bigEndian {
			for k := range n / 2 {
				out[at+k] = int16(binary.BigEndian.Uint16(buf[2*k:]))
			}
		} else {
			for k := range n / 2 {
				out[at+k] = int16(binary.LittleEndian.Uint16(buf[2*k:]))
			}
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated: %d of %d samples", len(out), count)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseSphereFields parses the header after its first two lines, up to
// end_head. Lines are numbered as in the file (the first field is line 3).
func parseSphereFields(head []byte) (map[string]sphereField, error) {
	fields := map[string]sphereField{}
	line := 2
	for p := 0; ; {
		line++
		if p >= len(head) {
			return nil, errors.New("SPHERE header has no end_head")
		}
		nl := bytes.IndexByte(head[p:], '\n')
		if nl < 0 {
			nl = len(head) - p
		}
		text := strings.TrimRight(string(head[p:p+nl]), " \r")
		if text == "end_head" {
			return fields, nil
		}
		if text == "" {
			p += nl + 1
			continue
		}
		// name, one space, -type, one space, value.
		name, rest, ok := strings.Cut(text, " ")
		if !ok || name == "" || !strings.HasPrefix(rest, "-") {
			return nil, fmt.Errorf("SPHERE header line %d: malformed field %q", line, clipValue(text))
		}
		typ, value, _ := strings.Cut(rest, " ")
		if _, dup := fields[name]; dup {
			return nil, fmt.Errorf("SPHERE header line %d: duplicate field %s", line, name)
		}
		switch {
		case typ == "-i":
			if _, err := strconv.ParseInt(value, 10, 64); err != nil {
				return nil, fmt.Errorf("SPHERE header line %d: %s: bad integer %q", line, name, clipValue(value))
			}
			fields[name] = sphereField{'i', value}
		case typ == "-r":
			if _, err := strconv.ParseFloat(value, 64); err != nil {
				return nil, fmt.Errorf("SPHERE header line %d: %s: bad real %q", line, name, clipValue(value))
			}
			fields[name] = sphereField{'r', value}
		case strings.HasPrefix(typ, "-s"):
			// The value is exactly N bytes from the byte after "-sN ",
			// and may run over spaces or even newlines.
			n, err := strconv.Atoi(typ[2:])
			start := p + len(name) + 1 + len(typ)
			if start < len(head) && head[start] == ' ' {
				start++
			} else if n > 0 {
				return nil, fmt.Errorf("SPHERE header line %d: %s: missing value", line, name)
			}
			if err != nil || n < 0 || start+n > len(head) {
				return nil, fmt.Errorf("SPHERE header line %d: %s: bad string length %q", line, name, clipValue(typ))
			}
			fields[name] = sphereField{'s', string(head[start : start+n])}
			end := start + n
			nl = bytes.IndexByte(head[end:], '\n')
			if nl < 0 {
				return nil, errors.New("SPHERE header has no end_head")
			}
			if strings.TrimRight(string(head[end:end+nl]), " \r") != "" {
				return nil, fmt.Errorf("SPHERE header line %d: %s: string longer than its declared %d bytes", line, name, n)
			}
			nl += end - p
		default:
			return nil, fmt.Errorf("SPHERE header line %d: %s: unknown type %q", line, name, clipValue(typ))
		}
		p += nl + 1
	}
}

// sphereFormat checks the fields that define the sample format.
func sphereFormat(f map[string]sphereField) (count, rate int, bigEndian bool, err error) {
	// Compression first: a compressed file is also "truncated", and the
	// useful message is the one that says how to fix it.
	coding := strings.ToLower(f["sample_coding"].value)
	order := strings.ToLower(f["sample_byte_format"].value)
	for _, c := range []string{"shorten", "wavpack", "shortpack"} {
		if strings.Contains(coding, c) || strings.Contains(order, c) {
			return 0, 0, false, fmt.Errorf("compressed SPHERE file (%s; sample_coding %q): decompress it first, e.g. with sph2pipe -f wav", c, f["sample_coding"].value)
		}
	}
	switch {
	case coding == "" || coding == "pcm":
	case strings.Contains(coding, "ulaw") || strings.Contains(coding, "mu-law"):
		return 0, 0, false, errors.New("µ-law SPHERE file, not 16-bit linear PCM: convert it first, e.g. with sph2pipe -f wav")
	case strings.Contains(coding, "alaw") || strings.Contains(coding, "a-law"):
		return 0, 0, false, errors.New("a-law SPHERE file, not 16-bit linear PCM: convert it first, e.g. with sph2pipe -f wav")
	default:
		return 0, 0, false, fmt.Errorf("unsupported SPHERE sample_coding %q, want pcm", clipValue(f["sample_coding"].value))
	}
	ints := map[string]int{}
	for _, k := range []string{"sample_count", "sample_rate", "channel_count", "sample_n_bytes"} {
		v, ok := f[k]
		if !ok {
			return 0, 0, false, fmt.Errorf("SPHERE header has no %s", k)
		}
		x, perr := sphereInt(v)
		if perr != nil {
			return 0, 0, false, fmt.Errorf("SPHERE header: %s: %v", k, perr)
		}
		ints[k] = x
	}
	if c := ints["channel_count"]; c != 1 {
		return 0, 0, false, fmt.Errorf("%d channels, want mono", c)
	}
	if b := ints["sample_n_bytes"]; b != 2 {
		return 0, 0, false, fmt.Errorf("%d-bit samples (sample_n_bytes %d), want 16-bit", 8*b, b)
	}
	if _, ok := f["sample_byte_format"]; !ok {
		return 0, 0, false, errors.New("SPHERE header has no sample_byte_format")
	}
	switch order {
	case "01":
	case "10":
		bigEndian = true
	default:
		return 0, 0, false, fmt.Errorf("SPHERE sample_byte_format %q, want 01 or 10 for 16-bit samples", clipValue(order))
	}
	count, rate = ints["sample_count"], ints["sample_rate"]
	if rate <= 0 {
		return 0, 0, false, fmt.Errorf("sample rate %d Hz", rate)
	}
	if count == 0 {
		return 0, 0, false, errNoSamples
	}
	if count < 0 || count > maxSphereSamples {
		return 0, 0, false, fmt.Errorf("SPHERE sample_count %d out of range", count)
	}
	return count, rate, bigEndian, nil
}

// sphereInt returns an integer field; a real with an integral value (some
// writers give sample_rate as -r 16000.0) is accepted too.
func sphereInt(v sphereField) (int, error) {
	switch v.typ {
	case 'i':
		x, err := strconv.ParseInt(v.value, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q out of range", v.value)
		}
		return int(x), nil
	case 'r':
		x, _ := strconv.ParseFloat(v.value, 64)
		if x != float64(int32(x)) {
			return 0, fmt.Errorf("%q is not a whole number", v.value)
		}
		return int(x), nil
	}
	return 0, fmt.Errorf("is a string (%q), want a number", clipValue(v.value))
}

// clip shortens a value quoted in an error so that binary junk cannot make
// the error line unreadable.
func clipValue(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
