package eval

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/phoneme/phoneme/labels"
)

// PhoneStat is one row of the per-phone table: how the frames whose
// reference is Phone were classified.
type PhoneStat struct {
	Phone     string  `json:"phone"`
	Frames    int64   `json:"frames"`    // scored frames with this reference
	Correct   int64   `json:"correct"`   // of those, classified as Phone
	Accuracy  float64 `json:"accuracy"`  // Correct/Frames; 0 when Frames is 0
	Predicted int64   `json:"predicted"` // scored frames classified as Phone
	// Confused is the most frequent wrong hypothesis for this reference
	// ("" when there is none) and ConfusedFrames its count.
	Confused       string `json:"confused,omitempty"`
	ConfusedFrames int64  `json:"confused_frames,omitempty"`
}

// PhoneStats returns the per-class table of c in class order.
func PhoneStats(c *Confusion) []PhoneStat {
	out := make([]PhoneStat, c.N())
	for r, name := range c.Labels {
		s := PhoneStat{Phone: name, Frames: c.RowTotal(r), Correct: c.At(r, r), Predicted: c.ColTotal(r)}
		if s.Frames > 0 {
			s.Accuracy = float64(s.Correct) / float64(s.Frames)
		}
		for h, v := range c.Row(r) {
			if h != r && v > s.ConfusedFrames {
				s.Confused, s.ConfusedFrames = c.Labels[h], v
			}
		}
		out[r] = s
	}
	return out
}

// Report is the result of scoring a model on a split: frame error rates over
// the 61 TIMIT phones and over the 39 Lee & Hon classes, per-phone tables and
// both confusion matrices.
type Report struct {
	FER61       float64     `json:"fer61"`
	FER39       float64     `json:"fer39"`
	Frames      int64       `json:"frames"`   // frames scored over 61 phones
	Frames39    int64       `json:"frames39"` // frames scored over 39 classes (reference q dropped)
	Sentences   int         `json:"sentences"`
	Phones      []PhoneStat `json:"phones"`
	Phones39    []PhoneStat `json:"phones39"`
	Confusion61 *Confusion  `json:"confusion61"`
	Confusion39 *Confusion  `json:"confusion39"`
	// Utterances scores each sentence, in the split's order (Evaluate and
	// EvaluateModel fill it; NewReport leaves it nil). It is not part of
	// the JSON report, whose form stays as it was.
	Utterances []UtteranceScore `json:"-"`
	// PERSummary holds the phone error rates when the model was evaluated
	// with a decoder (EvaluateModelPER); nil otherwise. Its fields (per61,
	// per39, subs, dels, ins, ref_phones, decoder, …) appear at the top
	// level of the JSON report.
	*PERSummary
}

// NewReport builds a report from a confusion matrix over the 61 TIMIT
// phones, folding it with labels.Fold39.
func NewReport(c61 *Confusion, sentences int) (*Report, error) {
	c39, err := c61.Fold(labels.Fold39())
	if err != nil {
		return nil, err
	}
	return &Report{
		FER61:       c61.ErrorRate(),
		FER39:       c39.ErrorRate(),
		Frames:      c61.Total(),
		Frames39:    c39.Total(),
		Sentences:   sentences,
		Phones:      PhoneStats(c61),
		Phones39:    PhoneStats(c39),
		Confusion61: c61,
		Confusion39: c39,
	}, nil
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes a short human summary: the error rates, the frame
// counts, and the worst phones (at most n, lowest accuracy first, then
// most frames; phones with no frames left out) with their most frequent confusion.
func (r *Report) WriteText(w io.Writer, worst int) error {
	fmt.Fprintf(w, "FER-61  %6.2f%%  (%d frames, %d sentences)\n", 100*r.FER61, r.Frames, r.Sentences)
	fmt.Fprintf(w, "FER-39  %6.2f%%  (%d frames; reference q not scored)\n", 100*r.FER39, r.Frames39)
	if p := r.PERSummary; p != nil {
		how := p.Decoder + " decoding"
		if p.Weights != nil {
			how += fmt.Sprintf(", prior scale %g, LM weight %g, insertion penalty %g", p.Weights.PriorScale, p.Weights.LMWeight, p.Weights.InsertionPenalty)
		}
		fmt.Fprintf(w, "PER-61  %6.2f%%  (%d phones; %s)\n", 100*p.PER61, p.Edits61.Ref, how)
		fmt.Fprintf(w, "PER-39  %6.2f%%  (%d phones: %d substitutions, %d deletions, %d insertions; q removed)\n",
			100*p.PER39, p.Ref, p.Sub, p.Del, p.Ins)
	}
	var rows []PhoneStat
	for _, p := range r.Phones {
		if p.Frames > 0 {
			rows = append(rows, p)
		}
	}
	// Among equally bad phones, the frequent ones cost more frames.
	slices.SortStableFunc(rows, func(a, b PhoneStat) int {
		return cmp.Or(cmp.Compare(a.Accuracy, b.Accuracy), cmp.Compare(b.Frames, a.Frames))
	})
	if len(rows) > worst {
		rows = rows[:worst]
	}
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nworst phones (61):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "phone\tframes\taccuracy\tmost confused with\t\n")
	for _, p := range rows {
		conf := "-"
		if p.ConfusedFrames > 0 {
			conf = fmt.Sprintf("%s (%.0f%%)", p.Confused, 100*float64(p.ConfusedFrames)/float64(p.Frames))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%s\t\n", p.Phone, p.Frames, 100*p.Accuracy, conf)
	}
	return tw.Flush()
}

// confusionJSON is the JSON form of a Confusion: counts as a list of rows.
type confusionJSON struct {
	Labels   []string  `json:"labels"`
	Counts   [][]int64 `json:"counts"`
	Unmapped []int64   `json:"unmapped,omitempty"`
}

// MarshalJSON writes the counts as rows (reference) of columns (hypothesis).
func (c *Confusion) MarshalJSON() ([]byte, error) {
	j := confusionJSON{Labels: c.Labels, Counts: make([][]int64, c.N())}
	for r := range c.Labels {
		j.Counts[r] = c.Row(r)
	}
	for _, v := range c.Unmapped {
		if v != 0 {
			j.Unmapped = c.Unmapped
			break
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form written by MarshalJSON, checking its shape.
func (c *Confusion) UnmarshalJSON(b []byte) error {
	var j confusionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	n := len(j.Labels)
	if len(j.Counts) != n {
		return fmt.Errorf("confusion: %d rows for %d labels", len(j.Counts), n)
	}
	if j.Unmapped != nil && len(j.Unmapped) != n {
		return fmt.Errorf("confusion: %d unmapped counts for %d labels", len(j.Unmapped), n)
	}
	out := NewConfusion(j.Labels)
	for r, row := range j.Counts {
		if len(row) != n {
			return fmt.Errorf("confusion: row %d has %d columns, want %d", r, len(row), n)
		}
		for _, v := range row {
			if v < 0 {
				return fmt.Errorf("confusion: row %d: negative count %d", r, v)
			}
		}
		copy(out.Row(r), row)
	}
	for _, v := range j.Unmapped {
		if v < 0 {
			return fmt.Errorf("confusion: negative unmapped count %d", v)
		}
	}
	copy(out.Unmapped, j.Unmapped)
	*c = *out
	return nil
}
