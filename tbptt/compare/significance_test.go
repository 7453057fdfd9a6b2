package compare

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// handCounts is a hand-made test set of four utterances by two speakers:
// candidate a errs on 100 of 400 frames over 61 classes (25 %) and on 60
// of 360 over 39 (16.67 %), best b on 80 (20 %) and 50 (13.89 %).
func handCounts() (a, b []UttCounts) {
	a = []UttCounts{
		{"s1/u1", "s1", 100, 30, 90, 18},
		{"s1/u2", "s1", 50, 10, 50, 5},
		{"s2/u1", "s2", 200, 40, 180, 27},
		{"s2/u2", "s2", 50, 20, 40, 10},
	}
	b = []UttCounts{
		{"s1/u1", "s1", 100, 20, 90, 9},
		{"s1/u2", "s1", 50, 10, 50, 5},
		{"s2/u1", "s2", 200, 50, 180, 36},
		{"s2/u2", "s2", 50, 0, 40, 0},
	}
	return a, b
}

// randomCounts makes a test set of speakers × perSpeaker utterances with
// integer counts, the two systems' error rates varying per speaker and
// per utterance, a's a little higher.
func randomCounts(seed uint64, speakers, perSpeaker int) (a, b []UttCounts) {
	rng := rand.New(rand.NewPCG(seed, 99))
	for s := range speakers {
		spk := fmt.Sprintf("spk%03d", s)
		hard := 0.15 + 0.2*rng.Float64() // the speaker's difficulty, shared
		for u := range perSpeaker {
			id := fmt.Sprintf("%s/si%04d", spk, rng.IntN(10000)*10+u)
			f61 := float64(100 + rng.IntN(400))
			f39 := f61 - float64(rng.IntN(10))
			errs := func(f, rate float64) float64 {
				return math.Min(f, math.Round(f*math.Max(0, rate+0.05*rng.NormFloat64())))
			}
			a = append(a, UttCounts{id, spk, f61, errs(f61, hard+0.02), f39, errs(f39, hard-0.05)})
			b = append(b, UttCounts{id, spk, f61, errs(f61, hard), f39, errs(f39, hard-0.07)})
		}
	}
	return a, b
}

// bruteForce recomputes PairedBootstrap straight from its documentation,
// drawing from rng in the documented order: units sorted by ID, per
// replicate n draws rng.IntN(n); the FERs summed over the drawn units'
// utterances; the interval by sorting and interpolating (type 7).
func bruteForce(a, b []UttCounts, unit BootstrapUnit, replicates int, rng *rand.Rand) Comparison {
	bOf := map[string]UttCounts{}
	for _, x := range b {
		bOf[x.Utterance] = x
	}
	members := map[string][]UttCounts{} // unit ID → a's utterances
	for _, x := range a {
		id := x.Utterance
		if unit == Speakers {
			id = x.Speaker
		}
		members[id] = append(members[id], x)
	}
	var ids []string
	for id := range members {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	fers := func(drawn []string) (d61, d39, a61, b61, a39, b39 float64) {
		var f61, ea61, eb61, f39, ea39, eb39 float64
		for _, id := range drawn {
			for _, x := range members[id] {
				y := bOf[x.Utterance]
				f61 += x.Frames61
				ea61 += x.Errors61
				eb61 += y.Errors61
				f39 += x.Frames39
				ea39 += x.Errors39
				eb39 += y.Errors39
			}
		}
		a61, b61, a39, b39 = 100*ea61/f61, 100*eb61/f61, 100*ea39/f39, 100*eb39/f39
		return a61 - b61, a39 - b39, a61, b61, a39, b39
	}
	percentile := func(d []float64, p float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		pos := p * float64(len(s)-1)
		whole, frac := math.Modf(pos)
		k := int(whole)
		if k+1 >= len(s) {
			return s[len(s)-1]
		}
		return (1-frac)*s[k] + frac*s[k+1]
	}
	improve := func(d []float64) float64 {
		var score float64
		for _, x := range d {
			if x > 0 {
				score++
			} else if x == 0 {
				score += 0.5
			}
		}
		return score / float64(len(d))
	}

	c := Comparison{BootstrapUnit: unit, Units: len(ids), Utterances: len(a), Replicates: replicates}
	c.FER61.Delta, c.FER39.Delta, c.FER61.Candidate, c.FER61.Best, c.FER39.Candidate, c.FER39.Best = fers(ids)
	var r61, r39 []float64
	for range replicates {
		drawn := make([]string, len(ids))
		for j := range drawn {
			drawn[j] = ids[rng.IntN(len(ids))]
		}
		d61, d39, _, _, _, _ := fers(drawn)
		r61, r39 = append(r61, d61), append(r39, d39)
	}
	c.FER61.Lo, c.FER61.Hi, c.FER61.PImprove = percentile(r61, 0.025), percentile(r61, 0.975), improve(r61)
	c.FER39.Lo, c.FER39.Hi, c.FER39.PImprove = percentile(r39, 0.025), percentile(r39, 0.975), improve(r39)
	return c
}

func TestPairedBootstrapPointDifference(t *testing.T) {
	a, b := handCounts()
	for _, unit := range []BootstrapUnit{Utterances, Speakers} {
		c, err := PairedBootstrap(a, b, unit, 100, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if c.FER61.Candidate != 25 || c.FER61.Best != 20 || c.FER61.Delta != 5 {
			t.Errorf("%v: FER-61 %v against %v, difference %v; want 25, 20, 5", unit, c.FER61.Candidate, c.FER61.Best, c.FER61.Delta)
		}
		if math.Abs(c.FER39.Candidate-500.0/30) > 1e-12 || math.Abs(c.FER39.Best-500.0/36) > 1e-12 ||
			math.Abs(c.FER39.Delta-25.0/9) > 1e-12 {
			t.Errorf("%v: FER-39 %v against %v, difference %v; want 50/3, 125/9, 25/9", unit, c.FER39.Candidate, c.FER39.Best, c.FER39.Delta)
		}
		wantUnits := map[BootstrapUnit]int{Utterances: 4, Speakers: 2}[unit]
		if c.BootstrapUnit != unit || c.Units != wantUnits || c.Utterances != 4 || c.Replicates != 100 {
			t.Errorf("%v: unit %v, %d units, %d utterances, %d replicates", unit, c.BootstrapUnit, c.Units, c.Utterances, c.Replicates)
		}
		for _, d := range []Difference{c.FER61, c.FER39} {
			if !(d.Lo <= d.Hi) || d.PImprove < 0 || d.PImprove > 1 {
				t.Errorf("%v: %+v", unit, d)
			}
		}
	}
}

// With integer counts every sum is exact, so the point differences, the
// replicate differences and hence the probabilities of improvement agree
// to the last bit; the interval bounds, interpolated by another formula,
// to rounding.
func TestPairedBootstrapMatchesBruteForce(t *testing.T) {
	ha, hb := handCounts()
	ra, rb := randomCounts(7, 12, 8)
	for _, tc := range []struct {
		name       string
		a, b       []UttCounts
		replicates int
	}{
		{"hand", ha, hb, 1000},
		{"random", ra, rb, 2000},
		{"random reversed", rb, ra, 2000},
		{"one replicate", ra, rb, 1},
		{"two replicates", ra, rb, 2},
	} {
		for _, unit := range []BootstrapUnit{Utterances, Speakers} {
			got, err := PairedBootstrap(tc.a, tc.b, unit, tc.replicates, rand.New(rand.NewPCG(42, 7)))
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(tc.a, tc.b, unit, tc.replicates, rand.New(rand.NewPCG(42, 7)))
			if !sameComparison(got, want) {
				t.Errorf("%s, %v:\n got %+v\nwant %+v", tc.name, unit, got, want)
			}
		}
	}
	// A nil stream is the documented fixed seed.
	got, err := PairedBootstrap(ra, rb, Utterances, 500, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := bruteForce(ra, rb, Utterances, 500, rand.New(rand.NewPCG(BootstrapSeed, 0))); !sameComparison(got, want) {
		t.Errorf("nil rng:\n got %+v\nwant %+v", got, want)
	}
}

// sameComparison compares c and d exactly but for the interval bounds,
// which may differ by rounding.
func sameComparison(c, d Comparison) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12*math.Max(1, math.Abs(y)) }
	for _, p := range [][2]*Difference{{&c.FER61, &d.FER61}, {&c.FER39, &d.FER39}} {
		if !near(p[0].Lo, p[1].Lo) || !near(p[0].Hi, p[1].Hi) {
			return false
		}
		p[0].Lo, p[0].Hi = p[1].Lo, p[1].Hi
	}
	return c == d
}

func TestPairedBootstrapOrderDoesNotMatter(t *testing.T) {
	a, b := randomCounts(3, 6, 5)
	want, err := PairedBootstrap(a, b, Speakers, 500, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	shuffle := rand.New(rand.NewPCG(8, 8))
	a, b = slices.Clone(a), slices.Clone(b)
	shuffle.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
	shuffle.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	got, err := PairedBootstrap(a, b, Speakers, 500, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	// Sums over a different order may differ in the last bit.
	for _, p := range [][2]Difference{{got.FER61, want.FER61}, {got.FER39, want.FER39}} {
		g, w := p[0], p[1]
		if math.Abs(g.Delta-w.Delta) > 1e-9 || math.Abs(g.Lo-w.Lo) > 1e-9 || math.Abs(g.Hi-w.Hi) > 1e-9 || g.PImprove != w.PImprove {
			t.Errorf("shuffled input: %+v, want %+v", g, w)
		}
	}
}

// The candidate errs more on every utterance of one speaker out of four,
// five utterances each, and equals the best elsewhere. Resampling
// utterances almost always draws some of that speaker's utterances, so the
// interval excludes zero; resampling speakers leaves that speaker out with
// probability (3/4)⁴ ≈ 0.32, so the interval starts at zero and the
// probability of improvement is about 1 − 0.32/2 ≈ 0.84.
func TestPairedBootstrapSpeakers(t *testing.T) {
	var a, b []UttCounts
	for s := range 4 {
		for u := range 5 {
			x := UttCounts{fmt.Sprintf("s%d/u%d", s, u), fmt.Sprintf("s%d", s), 100, 20, 100, 10}
			b = append(b, x)
			if s == 2 {
				x.Errors61 += 5
				x.Errors39 += 5
			}
			a = append(a, x)
		}
	}
	const replicates = 10000
	byUtt, err := PairedBootstrap(a, b, Utterances, replicates, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	bySpk, err := PairedBootstrap(a, b, Speakers, replicates, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if byUtt.FER39.Delta != 1.25 || bySpk.FER39.Delta != 1.25 {
		t.Errorf("difference %v and %v, want 1.25", byUtt.FER39.Delta, bySpk.FER39.Delta)
	}
	if byUtt.Units != 20 || bySpk.Units != 4 {
		t.Errorf("%d and %d units, want 20 and 4", byUtt.Units, bySpk.Units)
	}
	if !(byUtt.FER39.Lo > 0) || byUtt.FER39.PImprove < 0.99 {
		t.Errorf("utterances: %+v, want an interval above 0 and probability of improvement above 0.99", byUtt.FER39)
	}
	if bySpk.FER39.Lo != 0 || math.Abs(bySpk.FER39.PImprove-(1-math.Pow(0.75, 4)/2)) > 0.02 {
		t.Errorf("speakers: %+v, want an interval from 0 and probability of improvement %.3f", bySpk.FER39, 1-math.Pow(0.75, 4)/2)
	}
	if !(bySpk.FER39.Hi > byUtt.FER39.Hi) {
		t.Errorf("speaker interval %+v not wider than utterance interval %+v", bySpk.FER39, byUtt.FER39)
	}
	if !byUtt.FER39.Significant() || bySpk.FER39.Significant() {
		t.Errorf("significant: utterances %v, speakers %v; want true, false", byUtt.FER39.Significant(), bySpk.FER39.Significant())
	}
}

func TestPairedBootstrapIdentical(t *testing.T) {
	a, _ := randomCounts(11, 5, 6)
	for _, unit := range []BootstrapUnit{Utterances, Speakers} {
		c, err := PairedBootstrap(a, slices.Clone(a), unit, 1000, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []Difference{c.FER61, c.FER39} {
			if d.Delta != 0 || d.Lo != 0 || d.Hi != 0 || d.PImprove != 0.5 || d.Candidate != d.Best {
				t.Errorf("%v: identical systems: %+v", unit, d)
			}
		}
	}
}

func TestPairedBootstrapErrors(t *testing.T) {
	a, b := handCounts()
	edit := func(s []UttCounts, f func(s []UttCounts) []UttCounts) []UttCounts { return f(slices.Clone(s)) }
	for _, tc := range []struct {
		name       string
		a, b       []UttCounts
		unit       BootstrapUnit
		replicates int
		want       string
	}{
		{"missing from best", a, b[1:], Utterances, 10, "utterance s1/u1 of the candidate missing from the best system"},
		{"missing from candidate", edit(a, func(s []UttCounts) []UttCounts { return slices.Delete(s, 2, 3) }), b, Utterances, 10,
			"utterance s2/u1 of the best system missing from the candidate"},
		{"renamed", a, edit(b, func(s []UttCounts) []UttCounts { s[3].Utterance = "s2/u3"; return s }), Speakers, 10,
			"utterance s2/u2 of the candidate missing from the best system"},
		{"duplicate", edit(a, func(s []UttCounts) []UttCounts { return append(s, s[0]) }), b, Utterances, 10, "utterance s1/u1 appears twice"},
		{"speaker", a, edit(b, func(s []UttCounts) []UttCounts { s[1].Speaker = "s9"; return s }), Utterances, 10, `speaker "s1"`},
		{"frames", a, edit(b, func(s []UttCounts) []UttCounts { s[2].Frames39++; return s }), Utterances, 10, "utterance s2/u1: 200/180 frames"},
		{"errors above frames", edit(a, func(s []UttCounts) []UttCounts { s[0].Errors61 = 101; return s }), b, Utterances, 10, "101 errors in 100 frames"},
		{"negative", a, edit(b, func(s []UttCounts) []UttCounts { s[0].Errors39 = -1; return s }), Utterances, 10, "-1 errors in 90 frames"},
		{"NaN", a, edit(b, func(s []UttCounts) []UttCounts { s[0].Errors39 = math.NaN(); return s }), Utterances, 10, "NaN errors"},
		{"no ID", edit(a, func(s []UttCounts) []UttCounts { s[0].Utterance = ""; return s }), b, Utterances, 10, "no utterance ID"},
		{"no speaker", edit(a, func(s []UttCounts) []UttCounts { s[0].Speaker = ""; return s }),
			edit(b, func(s []UttCounts) []UttCounts { s[0].Speaker = ""; return s }), Speakers, 10, "utterance s1/u1 has no speaker"},
		{"no frames", edit(a, func(s []UttCounts) []UttCounts { s[0].Frames39, s[0].Errors39 = 0, 0; return s[:1] }),
			edit(b, func(s []UttCounts) []UttCounts { s[0].Frames39, s[0].Errors39 = 0, 0; return s[:1] }), Utterances, 10, "no frames"},
		{"empty", nil, nil, Utterances, 10, "no test utterances"},
		{"no replicates", a, b, Utterances, 0, "0 replicates"},
		{"unit", a, b, BootstrapUnit(5), 10, "unknown unit BootstrapUnit(5)"},
	} {
		_, err := PairedBootstrap(tc.a, tc.b, tc.unit, tc.replicates, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// Without speakers, utterances need none.
	noSpk := func(s []UttCounts) []UttCounts {
		for i := range s {
			s[i].Speaker = ""
		}
		return s
	}
	if _, err := PairedBootstrap(edit(a, noSpk), edit(b, noSpk), Utterances, 10, nil); err != nil {
		t.Errorf("utterances without speakers: %v", err)
	}
}

func TestAverageSeeds(t *testing.T) {
	seed1 := []UttCounts{{"u1", "s1", 100, 30, 90, 20}, {"u2", "s2", 50, 10, 50, 5}}
	seed2 := []UttCounts{{"u2", "s2", 50, 15, 50, 8}, {"u1", "s1", 100, 20, 90, 11}}
	got, err := AverageSeeds(seed1, seed2)
	if err != nil {
		t.Fatal(err)
	}
	want := []UttCounts{{"u1", "s1", 100, 25, 90, 15.5}, {"u2", "s2", 50, 12.5, 50, 6.5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AverageSeeds = %v, want %v", got, want)
	}
	if seed1[0].Errors61 != 30 {
		t.Error("AverageSeeds changed its input")
	}
	// The FER of the averages is the mean of the seeds' FERs.
	fer := func(s []UttCounts) float64 {
		var e, f float64
		for _, x := range s {
			e, f = e+x.Errors61, f+x.Frames61
		}
		return e / f
	}
	if m := (fer(seed1) + fer(seed2)) / 2; math.Abs(fer(got)-m) > 1e-15 {
		t.Errorf("FER of averages %v, mean FER %v", fer(got), m)
	}
	if one, err := AverageSeeds(seed1); err != nil || !reflect.DeepEqual(one, seed1) {
		t.Errorf("one seed: %v, %v", one, err)
	}
	for _, tc := range []struct {
		name  string
		seeds [][]UttCounts
		want  string
	}{
		{"none", nil, "no seeds"},
		{"missing", [][]UttCounts{seed1, seed2[:1]}, "utterance u1 of seed 1 missing from seed 2"},
		{"extra", [][]UttCounts{seed1, seed1, append(slices.Clone(seed2), UttCounts{"u3", "s3", 1, 0, 1, 0})}, "utterance u3 of seed 3 missing from seed 1"},
		{"frames", [][]UttCounts{seed1, {{"u1", "s1", 100, 30, 90, 20}, {"u2", "s2", 51, 10, 50, 5}}}, "utterance u2: 50/50 frames (61/39 classes) in seed 1, 51/50 in seed 2"},
	} {
		_, err := AverageSeeds(tc.seeds...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestBootQuantile(t *testing.T) {
	s := []float64{1, 2, 4, 8, 16}
	for _, tc := range []struct{ p, want float64 }{
		{0, 1}, {0.025, 1.1}, {0.25, 2}, {0.5, 4}, {0.625, 6}, {0.975, 15.2}, {1, 16},
	} {
		if got := bootQuantile(s, tc.p); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("quantile %v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := bootQuantile([]float64{3}, 0.975); got != 3 {
		t.Errorf("quantile of one = %v", got)
	}
}

func TestUnit(t *testing.T) {
	for _, u := range []BootstrapUnit{Utterances, Speakers} {
		got, err := ParseBootstrapUnit(u.String())
		if err != nil || got != u {
			t.Errorf("ParseBootstrapUnit(%q) = %v, %v", u.String(), got, err)
		}
		var v BootstrapUnit
		if err := v.UnmarshalText([]byte(u.String())); err != nil || v != u {
			t.Errorf("UnmarshalText(%q) = %v, %v", u.String(), v, err)
		}
		if b, _ := u.MarshalText(); string(b) != u.String() {
			t.Errorf("MarshalText = %q", b)
		}
	}
	if Utterances.String() != "utterances" || Speakers.String() != "speakers" || BootstrapUnit(-1).String() != "BootstrapUnit(-1)" {
		t.Errorf("names %q %q %q", Utterances, Speakers, BootstrapUnit(-1))
	}
	v := Speakers
	if err := v.Set("speaker"); err == nil || !strings.Contains(err.Error(), "want utterances or speakers") || v != Speakers {
		t.Errorf("Set(speaker): %v, unit %v", err, v)
	}
	if _, err := ParseBootstrapUnit(""); err == nil {
		t.Error("ParseBootstrapUnit accepted the empty string")
	}
}

func TestSentence(t *testing.T) {
	for _, tc := range []struct {
		name, best, metric string
		d                  Difference
		want               string
	}{
		{"tbptt:k1=20:k2=20", "sentence", "test FER-39", Difference{Delta: -0.4, Lo: -1.9, Hi: 1.1, PImprove: 0.3},
			"tbptt:k1=20:k2=20 and sentence do not differ significantly on test FER-39 (−0.4 points, 95 % CI −1.9 to 1.1)."},
		{"frame:k2=1", "sentence", "test FER-39", Difference{Delta: 1.7, Lo: 0.3, Hi: 3.1, PImprove: 0.9912},
			"frame:k2=1 is worse than sentence on test FER-39 by 1.7 points (95 % CI 0.3 to 3.1, probability of improvement 0.99)."},
		{"frame:k2=1", "sentence", "test FER-61", Difference{Delta: -0.64, Lo: -1.04, Hi: -0.16, PImprove: 0.015},
			"frame:k2=1 is better than sentence on test FER-61 by 0.6 points (95 % CI 0.2 to 1.0, probability that frame:k2=1 is better 0.98)."},
		// Rounding to zero drops the sign; 0.996 prints as 1.00.
		{"a", "b", "test FER-39", Difference{Delta: -0.04, Lo: -0.049, Hi: 0.3},
			"a and b do not differ significantly on test FER-39 (0.0 points, 95 % CI 0.0 to 0.3)."},
		{"a", "b", "test FER-39", Difference{Delta: 2.26, Lo: 0.04, Hi: 4.55, PImprove: 0.996},
			"a is worse than b on test FER-39 by 2.3 points (95 % CI 0.0 to 4.5, probability of improvement 1.00)."},
		// An interval touching zero is not significant.
		{"a", "b", "test FER-61", Difference{Delta: 1, Lo: 0, Hi: 2, PImprove: 0.97},
			"a and b do not differ significantly on test FER-61 (1.0 points, 95 % CI 0.0 to 2.0)."},
		{"a", "b", "test FER-61", Difference{Delta: -12.5, Lo: -20.25, Hi: -0.5, PImprove: 0},
			"a is better than b on test FER-61 by 12.5 points (95 % CI 0.5 to 20.2, probability that a is better 1.00)."},
	} {
		if got := Sentence(tc.name, tc.best, tc.metric, tc.d); got != tc.want {
			t.Errorf("Sentence(%+v)\n got %s\nwant %s", tc.d, got, tc.want)
		}
	}
	c := Comparison{FER39: Difference{Delta: 1.7, Lo: 0.3, Hi: 3.1, PImprove: 0.99}, FER61: Difference{Delta: 0.5, Lo: -0.5, Hi: 1.5, PImprove: 0.8}}
	want := "x is worse than y on test FER-39 by 1.7 points (95 % CI 0.3 to 3.1, probability of improvement 0.99). " +
		"x and y do not differ significantly on test FER-61 (0.5 points, 95 % CI −0.5 to 1.5)."
	if got := c.Sentences("x", "y"); got != want {
		t.Errorf("Sentences\n got %s\nwant %s", got, want)
	}
}

func TestBootstrapReplicatesDoNotAllocate(t *testing.T) {
	a, b := randomCounts(1, 10, 10)
	index, err := utteranceIndex(a)
	if err != nil {
		t.Fatal(err)
	}
	u, err := newBootUnits(a, b, index, Utterances)
	if err != nil {
		t.Fatal(err)
	}
	d61, d39 := make([]float64, 100), make([]float64, 100)
	rng := rand.New(rand.NewPCG(1, 1))
	if n := testing.AllocsPerRun(10, func() { u.replicates(rng, d61, d39) }); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}

// BenchmarkPairedBootstrap: 1 680 utterances (the full TIMIT test set's
// 168 speakers × 10, SA sentences included), DefaultReplicates replicates.
func BenchmarkPairedBootstrap(b *testing.B) {
	for _, unit := range []BootstrapUnit{Utterances, Speakers} {
		b.Run(unit.String(), func(b *testing.B) {
			x, y := randomCounts(1, 168, 10)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := PairedBootstrap(x, y, unit, DefaultReplicates, rand.New(rand.NewPCG(1, 2))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
