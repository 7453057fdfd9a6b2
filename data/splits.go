package data

import (
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The standard TIMIT speaker lists (facts about the corpus, embedded so the
// tool needs nothing at run time): the 24-speaker core test set and the
// 50-speaker development set of Halberstadt (1998), as in Kaldi's recipe.
var (
	//go:embed timit/core_test_speakers.txt
	coreTestList string
	//go:embed timit/dev_speakers.txt
	devList string
)

// CoreTestSpeakers returns the 24 speakers of TIMIT's core test set.
func CoreTestSpeakers() []string { return strings.Fields(coreTestList) }

// DevSpeakers returns the 50 speakers of the standard TIMIT development set
// (taken from TIMIT's TEST folder; none is a core test speaker).
func DevSpeakers() []string { return strings.Fields(devList) }

// SampleTestSpeakers and SampleDevSpeakers return the default split of the
// 12-speaker TIMIT sample NLTK distributes (all of them TIMIT training
// speakers, so the standard lists do not apply): one female and one male
// speaker of dialect region 1 for test and of region 2 for dev; the eight
// speakers of regions 3–6 train.
func SampleTestSpeakers() []string { return []string{"fvmh0", "mcpm0"} }

// SampleDevSpeakers: see SampleTestSpeakers.
func SampleDevSpeakers() []string { return []string{"faem0", "marc0"} }

// Split names, in the order they are extracted.
const (
	Train = "train"
	Dev   = "dev"
	Test  = "test"
)

// SplitNames returns the split names in extraction order.
func SplitNames() []string { return []string{Train, Dev, Test} }

// SplitOptions choose which speakers go to which split.
type SplitOptions struct {
	// TestSet is "core" (default) or "full" for the LDC layout: the 24 core
	// test speakers, or every TEST speaker not in dev.
	TestSet string
	// TestSpeakers and DevSpeakers name speakers explicitly (lower case,
	// without dialect region). For LDC they override the standard lists;
	// for the other layouts they define test and dev, and the rest trains.
	TestSpeakers, DevSpeakers []string
	// KeepSA keeps the SA1/SA2 dialect sentences, left out by default.
	KeepSA bool
}

// ErrNoCoreTestSpeakers: AssignSplits found none of the 24 core test
// speakers in an LDC corpus with TestSet "core" and no TestSpeakers; TestSet
// "full" or an explicit TestSpeakers list would do.
var ErrNoCoreTestSpeakers = errors.New("the corpus has none of the 24 core test speakers")

// ErrIncompleteSample: AssignSplits found some but not all of the four
// held-out speakers of the TIMIT sample's default split in an NLTK-layout
// corpus given no speaker lists; explicit lists would do. The error names
// the missing speakers after this text.
var ErrIncompleteSample = errors.New("the corpus has only some of the TIMIT sample's held-out speakers (test fvmh0, mcpm0; dev faem0, marc0)")

// EmptySplitError: AssignSplits found no utterance for a split the corpus
// should have: dev and test of an LDC corpus or of the TIMIT sample, or a
// split whose speakers were named. Split is Dev or Test.
type EmptySplitError struct {
	Split  string
	Reason string
}

func (e *EmptySplitError) Error() string { return "no " + e.Split + " speakers: " + e.Reason }

// SplitSet is the utterances of one split, sorted by ID.
type SplitSet struct {
	Name       string
	Utterances []Utterance
}

// AssignSplits divides c into train, dev and test per o. It returns the
// three splits in that order; dev and test may be empty, train may not.
//
// LDC layout: train is TRAIN; dev is the 50-speaker development set where
// present (else DevSpeakers); test is the core test set, or with TestSet
// "full" every other TEST speaker. A corpus with none of the core speakers
// is ErrNoCoreTestSpeakers.
//
// Other layouts: TestSpeakers and DevSpeakers as given, everything else
// trains. With neither list given, the NLTK layout uses the sample's default
// split (SampleTestSpeakers, SampleDevSpeakers) when all four speakers are
// present, and is ErrIncompleteSample when only some are.
//
// A split that should have speakers and ends up without utterances is an
// *EmptySplitError: dev and test for LDC and the sample's default split,
// and any split whose speakers were named (they may have only SA1/SA2).
func AssignSplits(c *Corpus, o SplitOptions) ([]SplitSet, error) {
	if o.TestSet == "" {
		o.TestSet = "core"
	}
	if o.TestSet != "core" && o.TestSet != "full" {
		return nil, fmt.Errorf("unknown test set %q (want core or full)", o.TestSet)
	}
	present := map[string]string{} // speaker → LDC group
	for _, u := range c.Utterances {
		present[u.Speaker] = u.Group
	}
	test, err := speakerSet("test", o.TestSpeakers, present)
	if err != nil {
		return nil, err
	}
	dev, err := speakerSet("dev", o.DevSpeakers, present)
	if err != nil {
		return nil, err
	}
	for s := range test {
		if dev[s] {
			return nil, fmt.Errorf("speaker %s is in both the test and the dev list", s)
		}
	}

	switch {
	case c.Layout == LayoutLDC:
		if len(dev) == 0 {
			for _, s := range DevSpeakers() {
				if present[s] != "" {
					dev[s] = true
				}
			}
		}
		if len(test) == 0 {
			if o.TestSet == "core" {
				for _, s := range CoreTestSpeakers() {
					if present[s] != "" && !dev[s] {
						test[s] = true
					}
				}
				if len(test) == 0 {
					return nil, ErrNoCoreTestSpeakers
				}
			} else {
				for s, g := range present {
					if g == "test" && !dev[s] {
						test[s] = true
					}
				}
			}
		}
	case len(test) == 0 && len(dev) == 0 && c.Layout == LayoutNLTK:
		var missing []string
		sample := append(SampleTestSpeakers(), SampleDevSpeakers()...)
		for _, s := range sample {
			if _, ok := present[s]; !ok {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 && len(missing) < len(sample) {
			return nil, fmt.Errorf("%w: %s missing", ErrIncompleteSample, strings.Join(missing, ", "))
		}
		if len(missing) == 0 {
			for _, s := range SampleTestSpeakers() {
				test[s] = true
			}
			for _, s := range SampleDevSpeakers() {
				dev[s] = true
			}
		}
	}

	sets := []SplitSet{{Name: Train}, {Name: Dev}, {Name: Test}}
	for _, u := range c.Utterances {
		if u.IsSA() && !o.KeepSA {
			continue
		}
		switch {
		case test[u.Speaker]:
			sets[2].Utterances = append(sets[2].Utterances, u)
		case dev[u.Speaker]:
			sets[1].Utterances = append(sets[1].Utterances, u)
		case c.Layout == LayoutLDC && u.Group != "train":
			// TEST speakers outside dev and the core set are unused, as in
			// the standard recipe.
		default:
			sets[0].Utterances = append(sets[0].Utterances, u)
		}
	}
	if len(sets[0].Utterances) == 0 {
		return nil, fmt.Errorf("no training utterances left after taking out test and dev speakers")
	}
	for _, x := range []struct {
		set      SplitSet
		spk      map[string]bool
		named    bool
		standard string // why an LDC corpus has none
	}{
		{sets[2], test, len(o.TestSpeakers) > 0, "the corpus has no TEST speakers outside dev"},
		{sets[1], dev, len(o.DevSpeakers) > 0, "the corpus has none of the 50 standard TIMIT dev speakers"},
	} {
		if len(x.set.Utterances) > 0 || !(x.named || c.Layout == LayoutLDC || len(x.spk) > 0) {
			continue
		}
		reason := x.standard
		if len(x.spk) > 0 {
			names := make([]string, 0, len(x.spk))
			for s := range x.spk {
				names = append(names, s)
			}
			sort.Strings(names)
			verb := "have"
			if len(names) == 1 {
				verb = "has"
			}
			reason = fmt.Sprintf("%s %s no utterances left", strings.Join(names, ", "), verb)
			if !o.KeepSA {
				reason += " (SA1/SA2 are left out)"
			}
		}
		return nil, &EmptySplitError{Split: x.set.Name, Reason: reason}
	}
	return sets, nil
}

// speakerSet validates a user's speaker list against the corpus.
func speakerSet(what string, list []string, present map[string]string) (map[string]bool, error) {
	set := map[string]bool{}
	var missing []string
	for _, s := range list {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		if _, ok := present[s]; !ok {
			missing = append(missing, s)
		}
		set[s] = true
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%s speakers not in the corpus: %s", what, strings.Join(missing, ", "))
	}
	return set, nil
}
