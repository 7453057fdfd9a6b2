package labels

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Segment is one phone segment of an utterance: the half-open sample range
// [Start, End) labelled with Phone, an index into TIMIT61.
type Segment struct {
	Start, End int
	Phone      int
}

// maxLine bounds the length of one .PHN line; real lines are under 20 bytes.
const maxLine = 4096

// ParsePHN reads a TIMIT .PHN phone segmentation: one segment per line,
// "start end label" separated by white space, times in samples, the end
// exclusive. It returns the segments in file order.
//
// Every line must have exactly three fields, non-negative integer times with
// end > start, a label in the 61-phone TIMIT set, and must not start before
// the previous segment ends. Gaps between segments are accepted (the frames in
// them are Excluded by Align). CRLF line ends and trailing blank lines are
// tolerated; a blank line between segments and a file without segments are
// errors. Errors carry the 1-based line number; callers add the file name.
func ParsePHN(r io.Reader) ([]Segment, error) {
	set := TIMIT61()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLine)
	var (
		segs    []Segment
		line    int
		blankAt int // line number of the first blank line in the current run, 0 if none
	)
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		f := strings.Fields(text)
		if len(f) == 0 {
			if blankAt == 0 {
				blankAt = line
			}
			continue
		}
		if blankAt != 0 {
			return nil, fmt.Errorf("line %d: blank line between segments", blankAt)
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: %d fields, want 3 (start end label)", line, len(f))
		}
		start, err := parseTime(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: start time %w", line, err)
		}
		end, err := parseTime(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: end time %w", line, err)
		}
		if end <= start {
			return nil, fmt.Errorf("line %d: reversed or empty segment %d %d", line, start, end)
		}
		phone, ok := set.Index(f[2])
		if !ok {
			return nil, fmt.Errorf("line %d: unknown phone %q (not one of the 61 TIMIT phones)", line, f[2])
		}
		if n := len(segs); n > 0 && start < segs[n-1].End {
			return nil, fmt.Errorf("line %d: segment starts at %d, overlapping the previous one that ends at %d", line, start, segs[n-1].End)
		}
		segs = append(segs, Segment{Start: start, End: end, Phone: phone})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: line longer than %d bytes", line+1, maxLine)
		}
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(segs) == 0 {
		return nil, errors.New("no phone segments (empty file)")
	}
	return segs, nil
}

// parseTime parses a sample time: decimal digits only, so that "+5", "0x10"
// and "1e3" are rejected rather than guessed at.
func parseTime(s string) (int, error) {
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%q is negative", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a non-negative integer", s)
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return v, nil
}

// CheckEnd reports an error if a segment ends more than tolerance samples
// past the end of audio that has numSamples samples. TIMIT's own .PHN files
// sometimes end a sample or two past the audio, so callers pass one frame
// shift as the tolerance; frames are never computed past the audio, so the
// overhang is harmless. The error names the segment's line, assuming segs
// came from ParsePHN (segment i is on line i+1).
func CheckEnd(segs []Segment, numSamples, tolerance int) error {
	if tolerance < 0 {
		tolerance = 0
	}
	for i, s := range segs {
		if s.End > numSamples+tolerance {
			return fmt.Errorf("line %d: segment ends at sample %d, %d samples past the end of the audio (%d samples; tolerance %d)",
				i+1, s.End, s.End-numSamples, numSamples, tolerance)
		}
	}
	return nil
}
