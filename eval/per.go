package eval

import (
	"cmp"
	"slices"

	"github.com/phoneme/phoneme/labels"
)

// Edits counts the outcome of aligning a hypothesis phone string with a
// reference: Ref reference phones, of which Sub were substituted and Del
// deleted, and Ins hypothesis phones inserted. The phone error rate is
// (Sub + Del + Ins) / Ref.
type Edits struct {
	Ref int `json:"ref_phones"`
	Sub int `json:"subs"`
	Del int `json:"dels"`
	Ins int `json:"ins"`
}

// Errors returns Sub + Del + Ins, the edit distance.
func (e Edits) Errors() int { return e.Sub + e.Del + e.Ins }

// Rate returns Errors/Ref, or 0 when Ref is 0.
func (e Edits) Rate() float64 {
	if e.Ref == 0 {
		return 0
	}
	return float64(e.Errors()) / float64(e.Ref)
}

// Add returns the sum of e and f.
func (e Edits) Add(f Edits) Edits {
	return Edits{Ref: e.Ref + f.Ref, Sub: e.Sub + f.Sub, Del: e.Del + f.Del, Ins: e.Ins + f.Ins}
}

// EditDistance aligns hyp with ref by Levenshtein distance (unit costs for
// substitution, deletion and insertion) and returns the counts of one
// minimum-cost alignment. The total Errors() is the same for every
// minimum-cost alignment; how it splits into S, D and I is not, so ties are
// resolved as follows: tracing back from the end of both strings, a match
// or substitution is preferred to a deletion, and a deletion to an
// insertion. (Kaldi's compute-wer and sclite make similar but not always
// identical choices; PER does not depend on them.)
//
// It uses (len(ref)+1)·(len(hyp)+1) int32s of scratch; buf, if large
// enough, is used for it and returned for reuse.
func EditDistance(ref, hyp []int32, buf []int32) (Edits, []int32) {
	n, m := len(ref), len(hyp)
	w := m + 1
	if cap(buf) < (n+1)*w {
		buf = make([]int32, (n+1)*w)
	}
	d := buf[:(n+1)*w]
	for j := 0; j <= m; j++ {
		d[j] = int32(j)
	}
	for i := 1; i <= n; i++ {
		row, prev := d[i*w:(i+1)*w], d[(i-1)*w:i*w]
		row[0] = int32(i)
		for j := 1; j <= m; j++ {
			c := prev[j-1]
			if ref[i-1] != hyp[j-1] {
				c++
			}
			c = min(c, prev[j]+1, row[j-1]+1)
			row[j] = c
		}
	}
	e := Edits{Ref: n}
	i, j := n, m
	for i > 0 || j > 0 {
		cur := d[i*w+j]
		switch {
		case i > 0 && j > 0 && ref[i-1] == hyp[j-1] && cur == d[(i-1)*w+j-1]:
			i, j = i-1, j-1
		case i > 0 && j > 0 && cur == d[(i-1)*w+j-1]+1:
			e.Sub++
			i, j = i-1, j-1
		case i > 0 && cur == d[(i-1)*w+j]+1:
			e.Del++
			i--
		default:
			e.Ins++
			j--
		}
	}
	return e, buf
}

// FoldPhones appends to dst the 39-class string of a 61-phone string as
// PER-39 scores it (Kaldi's TIMIT recipe, local/timit_norm_trans.pl): each
// phone is mapped through f (Lee & Hon: the closures bcl dcl gcl pcl tcl kcl,
// epi, pau and h# all become sil) and q, which has no class, is removed.
// Neighbours that fold to the same class are kept, not merged (so "pau h#"
// gives "sil sil" and "bcl b" gives "sil b"), as in Kaldi's recipe.
func FoldPhones(dst, phones []int32, f *labels.Folding) []int32 {
	for _, p := range phones {
		if c := f.Class(int(p)); c != labels.Unfolded {
			dst = append(dst, int32(c))
		}
	}
	return dst
}

// Collapse merges runs of equal symbols in place and returns the shortened
// slice: the phone string of a sequence of frame decisions.
func Collapse(s []int32) []int32 {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// PhoneScore is the phone-level score of one utterance: the edits of the
// decoded phone string against the reference over the 61 phones (q kept)
// and over the 39 classes (FoldPhones on both sides).
type PhoneScore struct {
	ID, Speaker string
	Edits61     Edits
	Edits39     Edits
}

// ScorePhones scores the decoded 61-phone string hyp of one utterance
// against its reference ref. buf is scratch as EditDistance takes it.
func ScorePhones(ref, hyp []int32, buf []int32) (PhoneScore, []int32) {
	var s PhoneScore
	s.Edits61, buf = EditDistance(ref, hyp, buf)
	f := fold39()
	r39 := FoldPhones(make([]int32, 0, len(ref)), ref, f)
	h39 := FoldPhones(make([]int32, 0, len(hyp)), hyp, f)
	s.Edits39, buf = EditDistance(r39, h39, buf)
	return s, buf
}

// SpeakerPER is the phone error rate of one speaker's utterances.
type SpeakerPER struct {
	Speaker    string  `json:"speaker"`
	Utterances int     `json:"utterances"`
	PER61      float64 `json:"per61"`
	PER39      float64 `json:"per39"`
	Edits39    Edits   `json:"edits39"`
}

// PERSummary is the phone error rate of a split: totals over its
// utterances (PER = total edits / total reference phones, not a mean of
// per-utterance rates) and per speaker. Its fields appear at the top level
// of a Report's JSON.
type PERSummary struct {
	Decoder string `json:"decoder"` // greedy or viterbi
	// Weights are the Viterbi decoder's (nil for greedy decoding).
	Weights *DecoderWeights `json:"decoder_weights,omitempty"`
	PER61   float64         `json:"per61"`
	PER39   float64         `json:"per39"`
	// Edits over 39 classes; Edits61 over the 61 phones.
	Edits
	Edits61    Edits        `json:"edits61"`
	PerSpeaker []SpeakerPER `json:"per_speaker"`
	// PhoneScores scores each utterance, in the split's order; not in the
	// JSON report.
	PhoneScores []PhoneScore `json:"-"`
}

// SummarizePER totals per-utterance phone scores, per split and per speaker
// (speakers sorted by name).
func SummarizePER(decoder string, us []PhoneScore) *PERSummary {
	s := &PERSummary{Decoder: decoder, PhoneScores: us}
	bySpk := map[string]*SpeakerPER{}
	e61 := map[string]Edits{}
	for _, u := range us {
		s.Edits = s.Edits.Add(u.Edits39)
		s.Edits61 = s.Edits61.Add(u.Edits61)
		sp := bySpk[u.Speaker]
		if sp == nil {
			sp = &SpeakerPER{Speaker: u.Speaker}
			bySpk[u.Speaker] = sp
		}
		sp.Utterances++
		sp.Edits39 = sp.Edits39.Add(u.Edits39)
		e61[u.Speaker] = e61[u.Speaker].Add(u.Edits61)
	}
	s.PER39, s.PER61 = s.Edits.Rate(), s.Edits61.Rate()
	for name, sp := range bySpk {
		sp.PER39, sp.PER61 = sp.Edits39.Rate(), e61[name].Rate()
		s.PerSpeaker = append(s.PerSpeaker, *sp)
	}
	slices.SortFunc(s.PerSpeaker, func(a, b SpeakerPER) int { return cmp.Compare(a.Speaker, b.Speaker) })
	return s
}
