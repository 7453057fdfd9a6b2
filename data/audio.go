package data

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
)

// Audio is one utterance of 16-bit mono speech.
type Audio struct {
	SampleRate int // samples per second
	Samples    []int16
}

// errNoSamples is returned for files whose header declares no audio at all.
var errNoSamples = errors.New("no samples")

// ReadAudio reads the speech file name from fsys, NIST SPHERE or RIFF WAV
// (told apart by their first bytes, not the file name: TIMIT's SPHERE files
// are called .WAV), and checks that it is sampled at wantRate. Anything but
// a regular file (after following symbolic links) is refused before it is
// opened: a named pipe would block. Every error starts with the file name.
func ReadAudio(fsys fs.FS, name string, wantRate int) (*Audio, error) {
	// Utterances are a few hundred kilobytes: read the whole file, which also
	// gives ReadWAV the io.ReadSeeker that an fs.File need not be.
	b, err := readRegular(fsys, name)
	if err != nil {
		return nil, err // *fs.PathError already names the file
	}
	a, err := readAudio(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if a.SampleRate != wantRate {
		return nil, fmt.Errorf("%s: sample rate %d Hz, want %d Hz", name, a.SampleRate, wantRate)
	}
	return a, nil
}

func readAudio(b []byte) (*Audio, error) {
	switch {
	case len(b) == 0:
		return nil, errors.New("empty file")
	case bytes.HasPrefix(b, []byte(sphereMagic[:7])): // "NIST_1A", so a bad line end gets ReadSphere's error
		return ReadSphere(bytes.NewReader(b))
	case bytes.HasPrefix(b, []byte("RIFF")), bytes.HasPrefix(b, []byte("RIFX")), bytes.HasPrefix(b, []byte("RF64")):
		return ReadWAV(bytes.NewReader(b))
	}
	return nil, fmt.Errorf("not a RIFF/WAVE or NIST SPHERE file (starts with %q)", b[:min(len(b), 8)])
}
