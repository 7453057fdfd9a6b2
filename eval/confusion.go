package eval

import (
	"fmt"

	"github.com/phoneme/phoneme/labels"
)

// Confusion counts scored frames by reference class (rows) and hypothesis
// class (columns). Unmapped[r] counts frames with reference r whose
// hypothesis has no class in Labels — after folding 61→39 that is a
// hypothesis of q — and which are therefore errors.
type Confusion struct {
	Labels   []string
	Counts   []int64 // len(Labels)² row-major: Counts[ref*N+hyp]
	Unmapped []int64 // len(Labels)
}

// NewConfusion returns an empty confusion matrix over labels.
func NewConfusion(labels []string) *Confusion {
	n := len(labels)
	return &Confusion{
		Labels:   append([]string(nil), labels...),
		Counts:   make([]int64, n*n),
		Unmapped: make([]int64, n),
	}
}

// NewConfusion61 returns an empty confusion matrix over the 61 TIMIT phones.
func NewConfusion61() *Confusion { return NewConfusion(labels.TIMIT61().Names()) }

// N returns the number of classes.
func (c *Confusion) N() int { return len(c.Labels) }

// At returns the number of frames with reference ref and hypothesis hyp.
func (c *Confusion) At(ref, hyp int) int64 { return c.Counts[ref*len(c.Labels)+hyp] }

// Add counts n frames with reference ref and hypothesis hyp.
func (c *Confusion) Add(ref, hyp int, n int64) { c.Counts[ref*len(c.Labels)+hyp] += n }

// Row returns the counts of reference class ref (a view, not a copy).
func (c *Confusion) Row(ref int) []int64 {
	n := len(c.Labels)
	return c.Counts[ref*n : (ref+1)*n]
}

// RowTotal returns the number of scored frames whose reference is ref.
func (c *Confusion) RowTotal(ref int) int64 {
	s := c.Unmapped[ref]
	for _, v := range c.Row(ref) {
		s += v
	}
	return s
}

// ColTotal returns the number of scored frames whose hypothesis is hyp.
func (c *Confusion) ColTotal(hyp int) int64 {
	var s int64
	for r := range c.Labels {
		s += c.At(r, hyp)
	}
	return s
}

// Total returns the number of scored frames.
func (c *Confusion) Total() int64 {
	var s int64
	for _, v := range c.Counts {
		s += v
	}
	for _, v := range c.Unmapped {
		s += v
	}
	return s
}

// Correct returns the number of frames on the diagonal.
func (c *Confusion) Correct() int64 {
	var s int64
	for i := range c.Labels {
		s += c.At(i, i)
	}
	return s
}

// Errors returns the number of scored frames off the diagonal.
func (c *Confusion) Errors() int64 { return c.Total() - c.Correct() }

// ErrorRate returns the frame error rate, errors over scored frames; 0 when
// nothing was scored.
func (c *Confusion) ErrorRate() float64 {
	t := c.Total()
	if t == 0 {
		return 0
	}
	return float64(t-c.Correct()) / float64(t)
}

// Merge adds the counts of o, which must have the same labels.
func (c *Confusion) Merge(o *Confusion) error {
	if len(o.Labels) != len(c.Labels) {
		return fmt.Errorf("merge confusion: %d classes into %d", len(o.Labels), len(c.Labels))
	}
	for i, l := range c.Labels {
		if o.Labels[i] != l {
			return fmt.Errorf("merge confusion: class %d is %q, want %q", i, o.Labels[i], l)
		}
	}
	for i, v := range o.Counts {
		c.Counts[i] += v
	}
	for i, v := range o.Unmapped {
		c.Unmapped[i] += v
	}
	return nil
}

// AddSentence scores one sentence: hyp[t] is the class predicted by output t
// and ref[t] the reference label of frame t (a class index or
// labels.Excluded). With target delay d, output t is scored against label
// t−d, so outputs t < d and the last d labels are not scored; excluded
// reference frames are not scored either. It returns the number of frames
// scored and rejects labels outside the class range.
func (c *Confusion) AddSentence(hyp, ref []int32, delay int) (int, error) {
	return c.addSentence(hyp, ref, delay, nil, nil)
}

// addSentence is AddSentence that, when u is not nil, also adds the
// sentence's counts to u: every frame it scores to Frames61, and to
// Errors61 when off the diagonal; and, over the classes of f, each such
// frame as Fold counts it (foldFrame). Summed over sentences, u then agrees
// exactly with c and with c.Fold(f). A c over the 61 TIMIT phones is
// expected when u is not nil.
func (c *Confusion) addSentence(hyp, ref []int32, delay int, f *labels.Folding, u *UtteranceScore) (int, error) {
	if len(hyp) != len(ref) {
		return 0, fmt.Errorf("%d outputs for %d labels", len(hyp), len(ref))
	}
	if delay < 0 {
		return 0, fmt.Errorf("negative target delay %d", delay)
	}
	n := int32(len(c.Labels))
	scored := 0
	for t := delay; t < len(hyp); t++ {
		r, h := ref[t-delay], hyp[t]
		if r == labels.Excluded {
			continue
		}
		if r < 0 || r >= n {
			return scored, fmt.Errorf("frame %d: label %d outside 0..%d", t-delay, r, n-1)
		}
		if h < 0 || h >= n {
			return scored, fmt.Errorf("frame %d: hypothesis %d outside 0..%d", t, h, n-1)
		}
		c.Counts[int(r)*int(n)+int(h)]++
		scored++
		if u != nil {
			u.add(f, int(r), int(h))
		}
	}
	return scored, nil
}

// Decode writes the most probable class of every row of scores (row-major
// frames × classes, e.g. log-posteriors) into dst, reusing its storage, and
// returns it. Ties go to the lower class index.
func Decode(dst []int32, scores []float32, classes int) []int32 {
	rows := len(scores) / classes
	if cap(dst) < rows {
		dst = make([]int32, rows)
	}
	dst = dst[:rows]
	for t := range dst {
		row := scores[t*classes : (t+1)*classes]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		dst[t] = int32(best)
	}
	return dst
}

// Fold maps a confusion matrix over the 61 TIMIT phones onto the classes of
// f. Frames whose reference has no class (q) are dropped: they are not
// scored. Frames whose hypothesis has no class are kept as errors in
// Unmapped, since the network did output a wrong label for them.
func (c *Confusion) Fold(f *labels.Folding) (*Confusion, error) {
	if len(c.Labels) != labels.NumPhones {
		return nil, fmt.Errorf("fold confusion: %d classes, want the %d TIMIT phones", len(c.Labels), labels.NumPhones)
	}
	out := NewConfusion(f.To.Names())
	for r := range labels.NumPhones {
		for h, v := range c.Row(r) {
			out.addFolded(f, r, h, v)
		}
		out.addFolded(f, r, labels.Unfolded, c.Unmapped[r])
	}
	return out, nil
}

// addFolded adds v frames with 61-phone reference r and hypothesis h
// (labels.Unfolded for a hypothesis that already has no class) to c, a
// matrix over the classes of f, where foldFrame puts them.
func (c *Confusion) addFolded(f *labels.Folding, r, h int, v int64) {
	if v == 0 {
		return
	}
	fr, fh, scored := foldFrame(f, r, h)
	switch {
	case !scored:
	case fh == labels.Unfolded:
		c.Unmapped[fr] += v
	default:
		c.Add(fr, fh, v)
	}
}

// foldFrame is the rule by which Fold scores a frame with 61-phone
// reference r and hypothesis h (labels.Unfolded for a hypothesis that
// already has no class) over the classes of f. When r has no class (q) the
// frame is not scored (scored is false). Otherwise it counts in row fr and
// column fh, or, when fh is labels.Unfolded (a hypothesis q), in
// Unmapped[fr]; it is correct exactly when fh == fr.
func foldFrame(f *labels.Folding, r, h int) (fr, fh int, scored bool) {
	fr = f.Class(r)
	if fr == labels.Unfolded {
		return fr, labels.Unfolded, false
	}
	fh = labels.Unfolded
	if h != labels.Unfolded {
		fh = f.Class(h)
	}
	return fr, fh, true
}
