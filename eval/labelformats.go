package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// Format is a phone-label file format classify writes.
type Format int

const (
	// FormatPHN is TIMIT's .PHN: "start_sample end_sample phone" per line.
	FormatPHN Format = iota + 1
	// FormatTextGrid is a Praat TextGrid in the long text format: an
	// interval tier "phones" (61 labels) and, folded, a tier "phones39".
	FormatTextGrid
	// FormatAudacity is an Audacity label track: "start\tend\tlabel" in
	// seconds per line.
	FormatAudacity
	// FormatCTM is NIST's time-marked conversation format as Kaldi and
	// sclite use it: "utt 1 start duration phone confidence" per line.
	FormatCTM
	// FormatJSON is one object per utterance with its segments: start and
	// end in seconds and samples, label (and 39-class label when folded),
	// confidence.
	FormatJSON
)

var formatNames = [...]string{"", "phn", "textgrid", "audacity", "ctm", "json"}
var formatExts = [...]string{"", ".phn", ".TextGrid", ".txt", ".ctm", ".json"}

func (f Format) String() string {
	if f > 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Ext is the file name extension of the format (".TextGrid" as Praat
// names it, ".txt" as Audacity exports labels).
func (f Format) Ext() string {
	if f > 0 && int(f) < len(formatExts) {
		return formatExts[f]
	}
	return ""
}

// ParseFormat returns the format named s (phn, textgrid, audacity, ctm,
// json).
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if i > 0 && n == s {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("unknown format %q: want phn, textgrid, audacity, ctm or json", s)
}

// Labelling is what the label writers need of one classified utterance.
type Labelling struct {
	Name       string // the utterance, as CTM and JSON name it
	SampleRate int
	NumSamples int // the audio's length: TextGrid and JSON cover all of it
	Segments   []labels.Segment
	Phones     []string  // class names: Segments[i].Phone is Phones[…]
	Confidence []float64 // per segment, the mean posterior of its class; nil: none
	// Fold39 adds the Lee & Hon 39-class labels (a second TextGrid tier,
	// "phone39" in JSON); it needs the 61 TIMIT phones in order.
	Fold39 bool
}

// Labelling returns c's segments, named name, ready for WriteLabels:
// confidences are the mean posterior of each segment's class over its
// frames.
func (c *Classification) Labelling(name string, fold39 bool) *Labelling {
	return &Labelling{
		Name: name, SampleRate: c.SampleRate, NumSamples: c.NumSamples,
		Segments: c.Segments, Phones: c.Phones, Fold39: fold39,
		Confidence: SegmentConfidence(c.Segments, c.Posteriors, c.FrameShift),
	}
}

// SegmentConfidence returns, for every segment, the mean over its frames
// of the posterior of its class: segment [start, end) in samples covers
// frames start/shift … ⌈end/shift⌉−1, posteriors holds one row per frame.
func SegmentConfidence(segs []labels.Segment, posteriors *features.Matrix, shift int) []float64 {
	out := make([]float64, len(segs))
	for i, s := range segs {
		a, b := s.Start/shift, min((s.End+shift-1)/shift, posteriors.Rows)
		var sum float64
		for f := a; f < b; f++ {
			sum += float64(posteriors.Row(f)[s.Phone])
		}
		if b > a {
			out[i] = sum / float64(b-a)
		}
	}
	return out
}

// WriteLabels writes l in format f.
func WriteLabels(w io.Writer, f Format, l *Labelling) error {
	for _, s := range l.Segments {
		if s.Phone < 0 || s.Phone >= len(l.Phones) {
			return fmt.Errorf("segment %d–%d: class %d has no name (%d classes)", s.Start, s.End, s.Phone, len(l.Phones))
		}
	}
	if l.Confidence != nil && len(l.Confidence) != len(l.Segments) {
		return fmt.Errorf("%d confidences for %d segments", len(l.Confidence), len(l.Segments))
	}
	if (f != FormatPHN) && l.SampleRate <= 0 {
		return fmt.Errorf("%s needs the sample rate", f)
	}
	var fold []string
	if l.Fold39 {
		var err error
		if fold, err = fold39Names(l.Phones); err != nil {
			return err
		}
	}
	bw := bufio.NewWriter(w)
	switch f {
	case FormatPHN:
		if err := WritePHN(bw, l.Segments, l.Phones); err != nil {
			return err
		}
	case FormatTextGrid:
		writeTextGrid(bw, l, fold)
	case FormatAudacity:
		for _, s := range l.Segments {
			fmt.Fprintf(bw, "%s\t%s\t%s\n", l.seconds(s.Start), l.seconds(s.End), l.Phones[s.Phone])
		}
	case FormatCTM:
		name := ctmName(l.Name)
		for i, s := range l.Segments {
			fmt.Fprintf(bw, "%s 1 %s %s %s", name, l.seconds(s.Start), l.seconds(s.End-s.Start), l.Phones[s.Phone])
			if l.Confidence != nil {
				fmt.Fprintf(bw, " %.4f", l.Confidence[i])
			}
			bw.WriteByte('\n')
		}
	case FormatJSON:
		if err := writeLabelsJSON(bw, l, fold); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown format %v", f)
	}
	return bw.Flush()
}

// seconds formats a sample position in seconds with microsecond
// resolution, trailing zeros dropped (every sample at 16 kHz is exact).
func (l *Labelling) seconds(sample int) string {
	return strconv.FormatFloat(math.Round(float64(sample)/float64(l.SampleRate)*1e6)/1e6, 'f', -1, 64)
}

// ctmName makes an utterance name one CTM field (no white space).
func ctmName(s string) string {
	if s == "" {
		return "utt"
	}
	return strings.Join(strings.Fields(s), "_")
}

// fold39Names maps class names to Lee & Hon's 39 classes ("" for q, which
// has none).
func fold39Names(phones []string) ([]string, error) {
	t61, f39, t39 := labels.TIMIT61(), labels.Fold39(), labels.TIMIT39()
	out := make([]string, len(phones))
	for i, p := range phones {
		k, ok := t61.Index(p)
		if !ok {
			return nil, fmt.Errorf("--fold 39: class %q is not a TIMIT phone", p)
		}
		if c := f39.Class(k); c != labels.Unfolded {
			out[i] = t39.Name(c)
		}
	}
	return out, nil
}

// interval is one TextGrid interval in samples.
type interval struct {
	start, end int
	text       string
}

// tierIntervals covers [0, NumSamples) with the segments named by names,
// merging neighbours of equal name and filling gaps with empty intervals,
// as a Praat interval tier requires.
func (l *Labelling) tierIntervals(names []string) []interval {
	var out []interval
	add := func(start, end int, text string) {
		if end <= start {
			return
		}
		if n := len(out); n > 0 && out[n-1].text == text && out[n-1].end == start {
			out[n-1].end = end
			return
		}
		out = append(out, interval{start, end, text})
	}
	pos := 0
	for _, s := range l.Segments {
		add(pos, s.Start, "")
		add(s.Start, s.End, names[s.Phone])
		pos = max(pos, s.End)
	}
	add(pos, max(l.NumSamples, pos), "")
	return out
}

// writeTextGrid writes Praat's long text format.
func writeTextGrid(w *bufio.Writer, l *Labelling, fold []string) {
	end := max(l.NumSamples, 0)
	if n := len(l.Segments); n > 0 {
		end = max(end, l.Segments[n-1].End)
	}
	tiers := [][]interval{l.tierIntervals(l.Phones)}
	names := []string{"phones"}
	if fold != nil {
		tiers = append(tiers, l.tierIntervals(fold))
		names = append(names, "phones39")
	}
	xmax := l.seconds(end)
	fmt.Fprintf(w, "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\nxmin = 0\nxmax = %s\ntiers? <exists>\nsize = %d\nitem []:\n", xmax, len(tiers))
	for k, tier := range tiers {
		fmt.Fprintf(w, "    item [%d]:\n        class = \"IntervalTier\"\n        name = %s\n        xmin = 0\n        xmax = %s\n        intervals: size = %d\n",
			k+1, praatString(names[k]), xmax, len(tier))
		for i, iv := range tier {
			fmt.Fprintf(w, "        intervals [%d]:\n            xmin = %s\n            xmax = %s\n            text = %s\n",
				i+1, l.seconds(iv.start), l.seconds(iv.end), praatString(iv.text))
		}
	}
}

// praatString quotes s as Praat does: double quotes doubled.
func praatString(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

type jsonSegment struct {
	Start       float64  `json:"start"`
	End         float64  `json:"end"`
	StartSample int      `json:"start_sample"`
	EndSample   int      `json:"end_sample"`
	Phone       string   `json:"phone"`
	Phone39     *string  `json:"phone39,omitempty"`
	Confidence  *float64 `json:"confidence,omitempty"`
}

type jsonLabels struct {
	Utterance  string        `json:"utterance"`
	SampleRate int           `json:"sample_rate"`
	Samples    int           `json:"samples"`
	Segments   []jsonSegment `json:"segments"`
}

func writeLabelsJSON(w io.Writer, l *Labelling, fold []string) error {
	out := jsonLabels{Utterance: l.Name, SampleRate: l.SampleRate, Samples: l.NumSamples, Segments: []jsonSegment{}}
	for i, s := range l.Segments {
		js := jsonSegment{
			Start: float64(s.Start) / float64(l.SampleRate), End: float64(s.End) / float64(l.SampleRate),
			StartSample: s.Start, EndSample: s.End, Phone: l.Phones[s.Phone],
		}
		if fold != nil {
			js.Phone39 = &fold[s.Phone]
		}
		if l.Confidence != nil {
			c := math.Round(l.Confidence[i]*1e4) / 1e4
			js.Confidence = &c
		}
		out.Segments = append(out.Segments, js)
	}
	enc := json.NewEncoder(w)
	return enc.Encode(out)
}
