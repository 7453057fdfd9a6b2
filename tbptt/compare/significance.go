package compare

// Significance of a difference between two schedules on test: the paired
// bootstrap of Bisani & Ney (2004) over test utterances or speakers, and
// plain sentences that report it. Everything here is pure: no I/O, and the
// only randomness is the *rand.Rand the caller passes (or the documented
// fixed seed BootstrapSeed).

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// DefaultReplicates is the number of bootstrap replicates a comparison
// draws unless told otherwise.
const DefaultReplicates = 10000

// BootstrapSeed seeds the random stream of PairedBootstrap when it is given
// a nil *rand.Rand: rand.New(rand.NewPCG(BootstrapSeed, 0)), a fresh stream
// for every call, so each comparison's interval is reproducible on its own,
// whatever other comparisons were made before it.
const BootstrapSeed = 20040517

// BootstrapRand returns the fixed-seed random stream PairedBootstrap uses
// when given nil.
func BootstrapRand() *rand.Rand { return rand.New(rand.NewPCG(BootstrapSeed, 0)) }

// UttCounts is one system's result on one test utterance: the frames scored
// and the frames misclassified over the 61 TIMIT phones and over the 39
// Lee & Hon classes (reference q is not scored over 39 classes, so Frames39
// may be smaller than Frames61). Counts are float64 so that errors averaged
// over seeds (AverageSeeds) can be represented; the frames of an utterance
// are the same for every seed and schedule.
type UttCounts struct {
	Utterance, Speaker                     string
	Frames61, Errors61, Frames39, Errors39 float64
}

// AverageSeeds turns per-seed results of one schedule into per-utterance
// counts with the errors averaged over seeds: perSeed[i] holds seed i's
// counts, one entry per utterance. Every seed must cover the same
// utterances, with the same speakers and frame counts. The result is in
// the order of perSeed[0].
//
// Because the frames of an utterance do not depend on the seed, the FER of
// the averaged counts equals the mean over seeds of the per-seed FERs,
// which is what the results table reports.
func AverageSeeds(perSeed ...[]UttCounts) ([]UttCounts, error) {
	if len(perSeed) == 0 {
		return nil, errors.New("compare: no seeds to average")
	}
	first := perSeed[0]
	index, err := utteranceIndex(first)
	if err != nil {
		return nil, fmt.Errorf("compare: averaging seeds: seed 1: %w", err)
	}
	out := slices.Clone(first)
	for s, counts := range perSeed[1:] {
		if err := sameUtterances(first, counts, index, "seed 1", fmt.Sprintf("seed %d", s+2)); err != nil {
			return nil, fmt.Errorf("compare: averaging seeds: %w", err)
		}
		for _, c := range counts {
			o := &out[index[c.Utterance]]
			o.Errors61 += c.Errors61
			o.Errors39 += c.Errors39
		}
	}
	n := float64(len(perSeed))
	for i := range out {
		out[i].Errors61 /= n
		out[i].Errors39 /= n
	}
	return out, nil
}

// utteranceIndex maps each utterance ID of counts to its position, and
// checks the counts: no duplicate or empty IDs, frames and errors finite
// and non-negative, errors not above frames.
func utteranceIndex(counts []UttCounts) (map[string]int, error) {
	index := make(map[string]int, len(counts))
	for i, c := range counts {
		if c.Utterance == "" {
			return nil, fmt.Errorf("entry %d has no utterance ID", i)
		}
		if _, dup := index[c.Utterance]; dup {
			return nil, fmt.Errorf("utterance %s appears twice", c.Utterance)
		}
		index[c.Utterance] = i
		for _, p := range [...]struct {
			name           string
			frames, errors float64
		}{{"61", c.Frames61, c.Errors61}, {"39", c.Frames39, c.Errors39}} {
			if !(p.frames >= 0 && p.errors >= 0 && p.errors <= p.frames) || math.IsInf(p.frames, 0) {
				return nil, fmt.Errorf("utterance %s: %v errors in %v frames over %s classes",
					c.Utterance, p.errors, p.frames, p.name)
			}
		}
	}
	return index, nil
}

// sameUtterances checks that b covers exactly the utterances of a (index
// being a's utteranceIndex), with the same speakers and frames; aName and
// bName name the two in errors.
func sameUtterances(a, b []UttCounts, index map[string]int, aName, bName string) error {
	bIndex, err := utteranceIndex(b)
	if err != nil {
		return fmt.Errorf("%s: %w", bName, err)
	}
	for _, x := range a {
		if _, ok := bIndex[x.Utterance]; !ok {
			return fmt.Errorf("utterance %s of %s missing from %s", x.Utterance, aName, bName)
		}
	}
	for _, y := range b {
		i, ok := index[y.Utterance]
		if !ok {
			return fmt.Errorf("utterance %s of %s missing from %s", y.Utterance, bName, aName)
		}
		x := a[i]
		switch {
		case x.Speaker != y.Speaker:
			return fmt.Errorf("utterance %s: speaker %q in %s, %q in %s", y.Utterance, x.Speaker, aName, y.Speaker, bName)
		case x.Frames61 != y.Frames61 || x.Frames39 != y.Frames39:
			return fmt.Errorf("utterance %s: %v/%v frames (61/39 classes) in %s, %v/%v in %s",
				y.Utterance, x.Frames61, x.Frames39, aName, y.Frames61, y.Frames39, bName)
		}
	}
	return nil
}

// BootstrapUnit is what the paired bootstrap resamples: test utterances or test
// speakers.
//
// The bootstrap treats its units as independent draws from the population
// a result is meant to generalise over. For TIMIT that population is
// speakers: the test set's speakers are disjoint from the training
// speakers, and a claim that one schedule is better is a claim about new
// speakers. The utterances of one speaker are correlated — the same voice,
// dialect and recording session make a system err on them together — so
// resampling utterances treats, say, eight utterances of one speaker as
// eight independent pieces of evidence when they are closer to one, and the
// interval comes out too narrow. The effect is large when few speakers are
// tested: on the 24-speaker core test set (192 utterances) resample
// speakers (--bootstrap speakers); that is the honest unit. With many
// speakers (the full 168-speaker test set, 1 344 utterances) the
// correlation matters less and utterances, the unit of Bisani & Ney, are
// fine; speakers remain the conservative choice.
type BootstrapUnit int

const (
	// Utterances resamples test utterances with replacement (Bisani & Ney
	// 2004).
	Utterances BootstrapUnit = iota
	// Speakers resamples test speakers with replacement; a drawn speaker
	// brings all of its utterances.
	Speakers
)

var bootstrapUnitNames = [...]string{Utterances: "utterances", Speakers: "speakers"}

// String returns "utterances" or "speakers", the spelling ParseBootstrapUnit reads.
func (u BootstrapUnit) String() string {
	if u < 0 || int(u) >= len(bootstrapUnitNames) {
		return fmt.Sprintf("BootstrapUnit(%d)", int(u))
	}
	return bootstrapUnitNames[u]
}

// ParseBootstrapUnit reads a bootstrap unit: "utterances" or "speakers".
func ParseBootstrapUnit(s string) (BootstrapUnit, error) {
	for u, name := range bootstrapUnitNames {
		if s == name {
			return BootstrapUnit(u), nil
		}
	}
	return 0, fmt.Errorf("compare: bootstrap unit %q: want utterances or speakers", s)
}

// Set parses s into u (flag.Value).
func (u *BootstrapUnit) Set(s string) error {
	v, err := ParseBootstrapUnit(s)
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// MarshalText returns the unit's name.
func (u BootstrapUnit) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText parses the unit's name.
func (u *BootstrapUnit) UnmarshalText(b []byte) error { return u.Set(string(b)) }

// Difference is a candidate schedule against the best one on one measure
// (FER-61 or FER-39), in percent.
type Difference struct {
	// Candidate and Best are the two systems' FERs in percent on the whole
	// test set: Σ errors / Σ frames × 100.
	Candidate, Best float64
	// Delta is Candidate − Best in percentage points: positive means the
	// candidate errs more.
	Delta float64
	// Lo and Hi bound the 95 % percentile interval of Delta over the
	// bootstrap replicates (the 2.5 % and 97.5 % quantiles, see
	// PairedBootstrap).
	Lo, Hi float64
	// PImprove, the probability of improvement, is the share of replicates
	// in which the best system is better (replicate Delta > 0), an exact
	// tie counting one half.
	PImprove float64
}

// Significant reports whether the 95 % interval excludes zero.
func (d Difference) Significant() bool { return d.Lo > 0 || d.Hi < 0 }

// Comparison is the outcome of PairedBootstrap: a candidate schedule
// against the best one on test FER-61 and FER-39.
type Comparison struct {
	BootstrapUnit BootstrapUnit // what was resampled
	Units         int           // utterances or speakers in the test set, drawn per replicate
	Utterances    int           // utterances in the test set
	Replicates    int
	FER61         Difference
	FER39         Difference
}

// PairedBootstrap compares candidate a with the best system b on the same
// test utterances by the paired bootstrap of M. Bisani and H. Ney,
// "Bootstrap estimates for confidence intervals in ASR performance
// evaluation", ICASSP 2004.
//
// Each replicate draws, with replacement, as many units as the test set
// has — utterances, or speakers with all their utterances (see BootstrapUnit) —
// and computes both systems' FERs on that same draw as Σ errors / Σ
// frames over the drawn utterances (the corpus-level FER, not a mean of
// per-utterance rates); the replicate's difference is a's FER minus b's,
// in percentage points.
// Pairing — both systems scored on the same draw — removes the variation
// of the test set's difficulty, which both systems share, from the
// difference. One draw serves both FER-61 and FER-39. The point difference
// is computed on the whole test set; the interval is the 2.5 % and 97.5 %
// quantiles of the replicate differences. Per-seed results are averaged
// per utterance first (AverageSeeds), so the interval is over test data,
// not over seeds.
//
// Exactly: the units are ordered by ID (utterance IDs, or speaker IDs),
// n of them; replicate r = 0 … replicates−1 makes n calls rng.IntN(n), in
// that order, each picking one unit; a replicate whose drawn utterances
// have no frames has difference 0. The replicate differences are sorted
// ascending, d[0] ≤ … ≤ d[R−1], and the quantile at p is the linear
// interpolation of type 7 of Hyndman & Fan (R's and NumPy's default):
// h = (R−1)·p, d[⌊h⌋] + (h−⌊h⌋)·(d[⌊h⌋+1] − d[⌊h⌋]). The probability of
// improvement is (#{d > 0} + #{d = 0}/2) / R.
//
// a and b must hold the same utterances, each once, with the same speakers
// and frame counts; the error names the first utterance of a that b lacks,
// or the first of b that a lacks. The order of the entries does not
// matter (but for the last bits of the sums). With Speakers every
// utterance needs a speaker. rng nil means BootstrapRand(); replicates is
// usually DefaultReplicates.
func PairedBootstrap(a, b []UttCounts, unit BootstrapUnit, replicates int, rng *rand.Rand) (Comparison, error) {
	if unit != Utterances && unit != Speakers {
		return Comparison{}, fmt.Errorf("compare: bootstrap: unknown unit %v", unit)
	}
	if replicates < 1 {
		return Comparison{}, fmt.Errorf("compare: bootstrap: %d replicates", replicates)
	}
	if len(a) == 0 {
		return Comparison{}, errors.New("compare: bootstrap: no test utterances")
	}
	index, err := utteranceIndex(a)
	if err != nil {
		return Comparison{}, fmt.Errorf("compare: bootstrap: candidate: %w", err)
	}
	if err := sameUtterances(a, b, index, "the candidate", "the best system"); err != nil {
		return Comparison{}, fmt.Errorf("compare: bootstrap: %w", err)
	}
	if rng == nil {
		rng = BootstrapRand()
	}
	u, err := newBootUnits(a, b, index, unit)
	if err != nil {
		return Comparison{}, fmt.Errorf("compare: bootstrap: %w", err)
	}

	c := Comparison{BootstrapUnit: unit, Units: len(u.f61), Utterances: len(a), Replicates: replicates}
	all := u.total()
	if all.f61 == 0 || all.f39 == 0 {
		return Comparison{}, errors.New("compare: bootstrap: the test set has no frames")
	}
	c.FER61 = Difference{Candidate: 100 * all.ea61 / all.f61, Best: 100 * all.eb61 / all.f61}
	c.FER39 = Difference{Candidate: 100 * all.ea39 / all.f39, Best: 100 * all.eb39 / all.f39}
	c.FER61.Delta = c.FER61.Candidate - c.FER61.Best
	c.FER39.Delta = c.FER39.Candidate - c.FER39.Best

	d61, d39 := make([]float64, replicates), make([]float64, replicates)
	u.replicates(rng, d61, d39)
	c.FER61.Lo, c.FER61.Hi, c.FER61.PImprove = bootSummary(d61)
	c.FER39.Lo, c.FER39.Hi, c.FER39.PImprove = bootSummary(d39)
	return c, nil
}

// bootUnits holds per unit (structure of arrays) the frames and the two
// systems' errors, a the candidate and b the best.
type bootUnits struct {
	f61, ea61, eb61, f39, ea39, eb39 []float64
}

// bootSums are the frames and errors of a set of units.
type bootSums struct {
	f61, ea61, eb61, f39, ea39, eb39 float64
}

// total bootSums all units.
func (u *bootUnits) total() bootSums {
	var s bootSums
	for i := range u.f61 {
		s.f61 += u.f61[i]
		s.ea61 += u.ea61[i]
		s.eb61 += u.eb61[i]
		s.f39 += u.f39[i]
		s.ea39 += u.ea39[i]
		s.eb39 += u.eb39[i]
	}
	return s
}

// newBootUnits bootSums a and b per unit, the units in ascending order of
// their IDs; index is a's utteranceIndex.
func newBootUnits(a, b []UttCounts, index map[string]int, unit BootstrapUnit) (bootUnits, error) {
	key := func(c UttCounts) string { return c.Utterance }
	if unit == Speakers {
		key = func(c UttCounts) string { return c.Speaker }
		for _, c := range a {
			if c.Speaker == "" {
				return bootUnits{}, fmt.Errorf("utterance %s has no speaker", c.Utterance)
			}
		}
	}
	ids := make([]string, 0, len(a))
	for _, c := range a {
		ids = append(ids, key(c))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	n := len(ids)
	u := bootUnits{make([]float64, n), make([]float64, n), make([]float64, n),
		make([]float64, n), make([]float64, n), make([]float64, n)}
	for _, c := range a {
		i := pos[key(c)]
		u.f61[i] += c.Frames61
		u.ea61[i] += c.Errors61
		u.f39[i] += c.Frames39
		u.ea39[i] += c.Errors39
	}
	for _, c := range b {
		i := pos[key(a[index[c.Utterance]])]
		u.eb61[i] += c.Errors61
		u.eb39[i] += c.Errors39
	}
	return u, nil
}

// replicates fills d61 and d39, one element per replicate, with the
// replicate differences in percentage points. It does not allocate.
func (u *bootUnits) replicates(rng *rand.Rand, d61, d39 []float64) {
	n := len(u.f61)
	f61, ea61, eb61 := u.f61[:n], u.ea61[:n], u.eb61[:n]
	f39, ea39, eb39 := u.f39[:n], u.ea39[:n], u.eb39[:n]
	for r := range d61 {
		var sf61, sa61, sb61, sf39, sa39, sb39 float64
		for range n {
			i := rng.IntN(n)
			sf61 += f61[i]
			sa61 += ea61[i]
			sb61 += eb61[i]
			sf39 += f39[i]
			sa39 += ea39[i]
			sb39 += eb39[i]
		}
		d61[r] = bootFERDiff(sa61, sb61, sf61)
		d39[r] = bootFERDiff(sa39, sb39, sf39)
	}
}

// bootFERDiff is 100·(ea/f − eb/f), 0 without frames.
func bootFERDiff(ea, eb, f float64) float64 {
	if f == 0 {
		return 0
	}
	return 100*ea/f - 100*eb/f
}

// bootSummary sorts the replicate differences d and returns their 2.5 % and
// 97.5 % quantiles and the probability of improvement.
func bootSummary(d []float64) (lo, hi, pImprove float64) {
	var better, ties int
	for _, x := range d {
		switch {
		case x > 0:
			better++
		case x == 0:
			ties++
		}
	}
	slices.Sort(d)
	return bootQuantile(d, 0.025), bootQuantile(d, 0.975), (float64(better) + float64(ties)/2) / float64(len(d))
}

// bootQuantile is the type-7 quantile at p of the sorted, non-empty s.
func bootQuantile(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	i := int(math.Floor(h))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

// Sentence says in plain words how schedule name compares with the best
// schedule on one measure, metric naming it ("test FER-39"):
//
//   - the interval contains zero: "tbptt:k1=20:k2=20 and sentence do not
//     differ significantly on test FER-39 (−0.4 points, 95 % CI −1.9 to
//     1.1)." — the signed difference name − best and its interval;
//   - the interval lies above zero: "frame:k2=1 is worse than sentence on
//     test FER-39 by 1.7 points (95 % CI 0.3 to 3.1, probability of
//     improvement 0.99)." — the probability that the best is better;
//   - the interval lies below zero: "frame:k2=1 is better than sentence on
//     test FER-61 by 0.6 points (95 % CI 0.2 to 1.0, probability that
//     frame:k2=1 is better 0.98)." — the amount, interval and probability
//     of name's advantage (1 − PImprove).
//
// Points have one decimal, probabilities two (0.995 and above print as
// 1.00); negative numbers take a true minus sign (−), and a number that
// rounds to zero prints as 0.0.
func Sentence(name, best, metric string, d Difference) string {
	switch {
	case d.Lo > 0:
		return fmt.Sprintf("%s is worse than %s on %s by %s points (95 %% CI %s to %s, probability of improvement %s).",
			name, best, metric, fmtPoints(d.Delta), fmtPoints(d.Lo), fmtPoints(d.Hi), fmtProb(d.PImprove))
	case d.Hi < 0:
		return fmt.Sprintf("%s is better than %s on %s by %s points (95 %% CI %s to %s, probability that %s is better %s).",
			name, best, metric, fmtPoints(-d.Delta), fmtPoints(-d.Hi), fmtPoints(-d.Lo), name, fmtProb(1-d.PImprove))
	default:
		return fmt.Sprintf("%s and %s do not differ significantly on %s (%s points, 95 %% CI %s to %s).",
			name, best, metric, fmtPoints(d.Delta), fmtPoints(d.Lo), fmtPoints(d.Hi))
	}
}

// Sentences returns Sentence for test FER-39 and then for test FER-61,
// joined by a space.
func (c Comparison) Sentences(name, best string) string {
	return Sentence(name, best, "test FER-39", c.FER39) + " " + Sentence(name, best, "test FER-61", c.FER61)
}

// fmtPoints formats x with one decimal and a true minus sign.
func fmtPoints(x float64) string { return minusSign(fmt.Sprintf("%.1f", x)) }

// fmtProb formats p with two decimals.
func fmtProb(p float64) string { return minusSign(fmt.Sprintf("%.2f", p)) }

// minusSign replaces a leading '-' with '−', dropping it when the number is
// zero after rounding ("-0.0").
func minusSign(s string) string {
	rest, neg := strings.CutPrefix(s, "-")
	if !neg {
		return s
	}
	if strings.Trim(rest, "0.") == "" {
		return rest
	}
	return "−" + rest
}
