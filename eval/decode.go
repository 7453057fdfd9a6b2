package eval

import (
	"fmt"
	"math"

	"github.com/phoneme/phoneme/labels"
)

// DecoderKind chooses how frame posteriors become a phone string.
type DecoderKind int

const (
	// Greedy takes the arg-max phone of every frame and merges
	// consecutive repeats.
	Greedy DecoderKind = iota
	// Viterbi finds the best path through a phone loop (PhoneLoop).
	Viterbi
)

func (k DecoderKind) String() string {
	switch k {
	case Greedy:
		return "greedy"
	case Viterbi:
		return "viterbi"
	}
	return fmt.Sprintf("DecoderKind(%d)", int(k))
}

// ParseDecoderKind parses "greedy" or "viterbi".
func ParseDecoderKind(s string) (DecoderKind, error) {
	switch s {
	case "greedy":
		return Greedy, nil
	case "viterbi":
		return Viterbi, nil
	}
	return 0, fmt.Errorf("unknown decoder %q (want greedy or viterbi)", s)
}

// GreedyPhones appends to dst the phone string of log-posteriors lp
// (frames × classes, row-major): the arg-max of each frame (Decode), runs
// of equal decisions merged.
func GreedyPhones(dst []int32, lp []float32, classes int) []int32 {
	start := len(dst)
	dst = append(dst, Decode(nil, lp, classes)...)
	return append(dst[:start], Collapse(dst[start:])...)
}

// PhoneLoop is the decoding graph of the Viterbi decoder, built from a
// training split's statistics and three weights (NewPhoneLoop). It is only
// read while decoding: one PhoneLoop serves any number of ViterbiDecoders.
//
// Each of the 61 phones p is a left-to-right chain of MinFrames[p] states
// sharing one emission score, log posterior(p) − α·log prior(p); the last
// state loops on itself with probability a_p and leaves with 1 − a_p. From
// the end of phone p the path enters the first state of any phone q
// (p itself included) with score λ·log P(q|p) + β, λ the LM weight and β
// the insertion penalty; a sentence starts with λ·log P(q|<s>) + β and ends
// with λ·log P(</s>|p) from the last state of its final phone (taking the
// exit 1 − a_p). Every phone therefore lasts at least MinFrames[p] frames.
//
// Estimates, from DecoderStats:
//   - prior(p) = (Frames[p] + 1) / (F + 61), F the training frames
//     (add-one, so that a phone unseen in training has a finite score);
//   - a_p, the self-loop probability, is the maximum-likelihood geometric
//     fit to the frames beyond the minimum: with E extra frames over C
//     runs, a_p = (E + 1) / (E + C + 2) (one pseudo-run of each kind,
//     keeping 0 < a_p < 1); a phone without runs takes the pooled
//     estimate of all phones;
//   - P(q|p) is Witten-Bell interpolation of the bigram counts with the
//     add-one unigram U(q) = (c(q) + 1) / (N + 62) over the 61 phones and
//     </s>: P(q|p) = (c(p,q) + T(p)·U(q)) / (c(p) + T(p)), T(p) the number
//     of distinct successors of p; a context never seen falls back to U.
type PhoneLoop struct {
	weights DecoderWeights
	phones  int
	minDur  []int
	offset  []int     // chain of p: states offset[p]…offset[p+1]−1
	prior   []float32 // α·log prior(p)
	selfLp  []float32 // log a_p
	// trans[p*phones+q] = log(1 − a_p) + λ·log P(q|p) + β.
	trans  []float32
	start  []float32 // λ·log P(q|<s>) + β
	finish []float32 // log(1 − a_p) + λ·log P(</s>|p)
	colMax []float32 // colMax[q] = max over p of trans[p*phones+q]
}

// newLoop allocates a graph of n phones with the given minimum durations;
// the caller fills the scores.
func newLoop(minDur []int) *PhoneLoop {
	n := len(minDur)
	g := &PhoneLoop{
		phones: n, minDur: minDur, offset: make([]int, n+1), prior: make([]float32, n), selfLp: make([]float32, n),
		trans: make([]float32, n*n), start: make([]float32, n), finish: make([]float32, n), colMax: make([]float32, n),
	}
	for p, d := range minDur {
		g.offset[p+1] = g.offset[p] + d
	}
	return g
}

// NewPhoneLoop builds the decoding graph of st with weights w.
func NewPhoneLoop(st *DecoderStats, w DecoderWeights) (*PhoneLoop, error) {
	if err := st.check(); err != nil {
		return nil, err
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	const n = labels.NumPhones
	g := newLoop(append([]int(nil), st.MinFrames...))
	g.weights = w
	var frames int64
	for _, f := range st.Frames {
		frames += f
	}
	var poolE, poolC int64
	for p := range n {
		g.prior[p] = float32(w.PriorScale * math.Log(float64(st.Frames[p]+1)/float64(frames+n)))
		if st.Segments[p] > 0 {
			poolE += st.RunFrames[p] - st.Segments[p]*int64(st.MinFrames[p])
			poolC += st.Segments[p]
		}
	}
	exit := make([]float64, n)
	for p := range n {
		e, c := poolE, poolC
		if st.Segments[p] > 0 {
			e, c = st.RunFrames[p]-st.Segments[p]*int64(st.MinFrames[p]), st.Segments[p]
		}
		a := float64(e+1) / float64(e+c+2)
		g.selfLp[p] = float32(math.Log(a))
		exit[p] = math.Log(1 - a)
	}
	// Unigram over the 61 phones and </s>, from the bigram counts.
	uni := make([]float64, n+1)
	var tokens int64
	for q := range n {
		c := st.Start[q]
		for p := range n {
			c += st.Pairs[p*n+q]
		}
		uni[q] = float64(c)
		tokens += c
	}
	var ends int64
	for _, c := range st.End {
		ends += c
	}
	uni[n], tokens = float64(ends), tokens+ends
	for q := range uni {
		uni[q] = (uni[q] + 1) / float64(tokens+n+1)
	}
	// bigram fills probs with P(·|context) given the context's counts
	// (successor q = n is </s>).
	probs := make([]float64, n+1)
	bigram := func(counts func(q int) int64) {
		var c, types int64
		for q := range n + 1 {
			if v := counts(q); v > 0 {
				c += v
				types++
			}
		}
		for q := range n + 1 {
			if c == 0 {
				probs[q] = uni[q]
				continue
			}
			probs[q] = (float64(counts(q)) + float64(types)*uni[q]) / float64(c+types)
		}
	}
	lw, pen := w.LMWeight, w.InsertionPenalty
	bigram(func(q int) int64 {
		if q == n {
			return 0 // no empty sentences
		}
		return st.Start[q]
	})
	for q := range n {
		g.start[q] = float32(lw*math.Log(probs[q]) + pen)
	}
	for p := range n {
		bigram(func(q int) int64 {
			if q == n {
				return st.End[p]
			}
			return st.Pairs[p*n+q]
		})
		for q := range n {
			g.trans[p*n+q] = float32(exit[p] + lw*math.Log(probs[q]) + pen)
		}
		g.finish[p] = float32(exit[p] + lw*math.Log(probs[n]))
	}
	g.setColMax()
	return g, nil
}

// setColMax computes colMax from trans.
func (g *PhoneLoop) setColMax() {
	n := g.phones
	for q := range n {
		m := negInf
		for p := range n {
			m = max(m, g.trans[p*n+q])
		}
		g.colMax[q] = m
	}
}

// Weights returns the weights the graph was built with.
func (g *PhoneLoop) Weights() DecoderWeights { return g.weights }

// MinFrames returns the minimum duration of phone p in frames.
func (g *PhoneLoop) MinFrames(p int) int { return g.minDur[p] }

// States returns the number of states of the graph.
func (g *PhoneLoop) States() int { return g.offset[g.phones] }

// ViterbiDecoder decodes with a PhoneLoop. It keeps its scratch memory
// between utterances, so that decoding allocates only when an utterance is
// longer than every one before; it is not safe for concurrent use (use one
// per goroutine).
type ViterbiDecoder struct {
	g          *PhoneLoop
	prev, cur  []float32
	emit, best []float32
	from       []uint8 // from[t*phones+q]: the phone left for q at frame t
	stay       []bool  // stay[t*phones+q]: q's last state looped at frame t
	runs       []Run
	score      float32
	exitScore  []float32
	order      []int // phones by decreasing exit score (entries)
}

// NewDecoder returns a decoder over g.
func (g *PhoneLoop) NewDecoder() *ViterbiDecoder {
	s, n := g.States(), g.phones
	d := &ViterbiDecoder{
		g: g, prev: make([]float32, s), cur: make([]float32, s), emit: make([]float32, n), best: make([]float32, n),
		exitScore: make([]float32, n), order: make([]int, n),
	}
	for p := range d.order {
		d.order[p] = p
	}
	return d
}

var negInf = float32(math.Inf(-1))

// Run is one decoded phone: outputs Start to End−1 of an utterance.
type Run struct{ Phone, Start, End int }

// Decode appends to dst the phone string of the best path through the
// phone loop for log-posteriors lp (frames × classes, row-major, classes
// the loop's phones): DecodeRuns' phones.
func (d *ViterbiDecoder) Decode(dst []int32, lp []float32, classes int) []int32 {
	d.runs = d.DecodeRuns(d.runs[:0], lp, classes)
	for _, r := range d.runs {
		dst = append(dst, int32(r.Phone))
	}
	return dst
}

// Score returns the score of the best path of the last decoded utterance
// (−Inf if none was found).
func (d *ViterbiDecoder) Score() float32 { return d.score }

// DecodeRuns appends to dst the phones of the best path through the phone
// loop for log-posteriors lp, with the frames each occupies, found by
// exact Viterbi search in time linear in frames × (states + phones²).
// Ties between equal scores go to staying in a phone (fewer phones) and,
// among predecessors, to the lower phone index. An utterance too short for
// any path (shorter than every minimum duration) decodes greedily.
func (d *ViterbiDecoder) DecodeRuns(dst []Run, lp []float32, classes int) []Run {
	g := d.g
	n := g.phones
	if classes != n {
		panic(fmt.Sprintf("eval: the phone loop has %d phones, the posteriors %d classes", n, classes))
	}
	T := len(lp) / n
	d.score = negInf
	if T == 0 {
		return dst
	}
	if cap(d.from) < T*n {
		d.from = make([]uint8, T*n)
		d.stay = make([]bool, T*n)
	}
	from, stay := d.from[:T*n], d.stay[:T*n]
	prev, cur := d.prev, d.cur
	emit, best := d.emit, d.best
	for t := range T {
		row := lp[t*n : (t+1)*n]
		for q := range n {
			emit[q] = row[q] - g.prior[q]
		}
		fr, st := from[t*n:(t+1)*n], stay[t*n:(t+1)*n]
		// Entry score of each phone: the best exit from the previous frame.
		if t == 0 {
			copy(best, g.start)
			clear(fr)
		} else {
			d.entries(prev, best, fr)
		}
		for q := range n {
			o, last := g.offset[q], g.offset[q+1]-1
			e := emit[q]
			if t == 0 {
				for s := o; s <= last; s++ {
					cur[s] = negInf
				}
				cur[o] = best[q] + e
				st[q] = false
				continue
			}
			loop := prev[last] + g.selfLp[q]
			if last == o {
				st[q] = loop >= best[q]
				cur[o] = max(loop, best[q]) + e
				continue
			}
			st[q] = loop >= prev[last-1]
			cur[last] = max(loop, prev[last-1]) + e
			// The other states advance one per frame.
			for s := last - 1; s > o; s-- {
				cur[s] = prev[s-1] + e
			}
			cur[o] = best[q] + e
		}
		prev, cur = cur, prev
	}
	// prev holds the last frame's scores.
	bestQ := -1
	for q := range n {
		if s := prev[g.offset[q+1]-1] + g.finish[q]; s > d.score {
			bestQ, d.score = q, s
		}
	}
	if bestQ < 0 {
		return greedyRuns(dst, lp, classes)
	}
	begin := len(dst)
	q, s, end := bestQ, g.minDur[bestQ]-1, T
	for t := T - 1; t >= 0; t-- {
		switch {
		case s == g.minDur[q]-1 && stay[t*n+q]:
			// looped in the last state
		case s > 0:
			s--
		default: // entered q at frame t
			dst = append(dst, Run{Phone: q, Start: t, End: end})
			end = t
			if t > 0 {
				q = int(from[t*n+q])
				s = g.minDur[q] - 1
			}
		}
	}
	// The phones were found last first.
	for i, j := begin, len(dst)-1; i < j; i, j = i+1, j-1 {
		dst[i], dst[j] = dst[j], dst[i]
	}
	return dst
}

// entries sets best[q] to the best score of entering phone q from the
// exit of any phone p in the previous frame (prev), max over p of
// prev[last state of p] + trans[p, q], and fr[q] to that p (the lowest
// such p on ties). Rather than all phones² sums, it visits the
// predecessors in decreasing order of their exit score and stops once
// even the best transition into q (colMax[q]) cannot reach best[q]: the
// result is exact. On the dev posteriors of a trained network (TIMIT
// sample) 2 to 4.4 predecessors per phone and frame were visited, not 61.
func (d *ViterbiDecoder) entries(prev, best []float32, fr []uint8) {
	g := d.g
	n := g.phones
	x, order := d.exitScore, d.order
	for p := range n {
		x[p] = prev[g.offset[p+1]-1]
	}
	// Insertion sort, by decreasing exit score: the order changes little
	// from frame to frame, so this is close to linear.
	for i := 1; i < n; i++ {
		p := order[i]
		j := i
		for ; j > 0 && x[order[j-1]] < x[p]; j-- {
			order[j] = order[j-1]
		}
		order[j] = p
	}
	for q := range n {
		b, from, cm := negInf, -1, g.colMax[q]
		for _, p := range order {
			xp := x[p]
			if xp+cm < b || xp == negInf {
				break
			}
			if s := xp + g.trans[p*n+q]; s > b || s == b && p < from {
				b, from = s, p
			}
		}
		best[q] = b
		fr[q] = uint8(max(from, 0))
	}
}

// greedyRuns appends the runs of equal arg-max decisions of lp.
func greedyRuns(dst []Run, lp []float32, classes int) []Run {
	for t, p := range Decode(nil, lp, classes) {
		if k := len(dst) - 1; t > 0 && k >= 0 && dst[k].Phone == int(p) && dst[k].End == t {
			dst[k].End++
			continue
		}
		dst = append(dst, Run{Phone: int(p), Start: t, End: t + 1})
	}
	return dst
}

// DecodedSegments decodes a classified utterance's log-posteriors with dec
// and returns its phones as segments in samples, as Segments does for the
// frame decisions: the outputs before the target delay are dropped, the
// phone occupying frames a…b covers samples [a·shift, (b+1)·shift),
// clipped to numSamples (the audio's length). With greedy decoding they
// are Classification.Segments. Consecutive runs of one phone (which the
// Viterbi decoder may find) stay separate segments.
func DecodedSegments(c *Classification, dec Decoding, numSamples int) ([]labels.Segment, error) {
	if err := dec.check(); err != nil {
		return nil, err
	}
	lp := c.LogProbs
	if lp.Cols != labels.NumPhones {
		return nil, fmt.Errorf("%d classes, decoding needs the %d TIMIT phones", lp.Cols, labels.NumPhones)
	}
	x := lp.Data[min(c.TargetDelay, lp.Rows)*lp.Cols : lp.Rows*lp.Cols]
	var runs []Run
	if dec.Kind == Viterbi {
		runs = dec.Loop.NewDecoder().DecodeRuns(nil, x, lp.Cols)
	} else {
		runs = greedyRuns(nil, x, lp.Cols)
	}
	var segs []labels.Segment
	for _, r := range runs {
		start, end := r.Start*c.FrameShift, min(r.End*c.FrameShift, numSamples)
		if start >= end {
			break
		}
		segs = append(segs, labels.Segment{Start: start, End: end, Phone: r.Phone})
	}
	return segs, nil
}
