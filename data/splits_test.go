package data

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestSpeakerLists(t *testing.T) {
	core, dev := CoreTestSpeakers(), DevSpeakers()
	if len(core) != 24 || len(dev) != 50 {
		t.Fatalf("%d core and %d dev speakers, want 24 and 50", len(core), len(dev))
	}
	seen := map[string]bool{}
	for _, s := range append(core, dev...) {
		if seen[s] || !reSpeaker.MatchString(s) || s != strings.ToLower(s) {
			t.Errorf("speaker %q repeated or malformed", s)
		}
		seen[s] = true
	}
	// The core set has 2 male and 1 female speaker per dialect region.
	var f int
	for _, s := range core {
		if s[0] == 'f' {
			f++
		}
	}
	if f != 8 {
		t.Errorf("%d female core speakers, want 8", f)
	}
}

// ldcCorpus makes a Corpus in the LDC layout with utterances sa1, sa2, si1,
// sx1 for each speaker; group by speaker.
func ldcCorpus(train, test []string) *Corpus {
	c := &Corpus{Layout: LayoutLDC}
	for _, g := range []struct {
		name string
		spks []string
	}{{"train", train}, {"test", test}} {
		for _, s := range g.spks {
			for _, u := range []string{"sa1", "sa2", "si1", "sx1"} {
				c.Utterances = append(c.Utterances, Utterance{ID: s + "_" + u, Speaker: s, Name: u, Group: g.name})
			}
		}
	}
	sort.Slice(c.Utterances, func(i, j int) bool { return c.Utterances[i].ID < c.Utterances[j].ID })
	return c
}

func flatCorpus(layout Layout, spks ...string) *Corpus {
	c := ldcCorpus(spks, nil)
	c.Layout = layout
	for i := range c.Utterances {
		c.Utterances[i].Group = ""
	}
	return c
}

// splitSpeakers summarises splits as "name:spk,spk… n" (n utterances).
func splitSpeakers(sets []SplitSet) []string {
	var out []string
	for _, s := range sets {
		out = append(out, fmt.Sprintf("%s:%s %d", s.Name, strings.Join(speakersOf(s.Utterances), ","), len(s.Utterances)))
	}
	return out
}

func TestAssignSplits(t *testing.T) {
	// mdab0, mwbt0: core; faks0, fdac1: dev; mzzz0: other TEST speaker.
	ldc := ldcCorpus([]string{"fcjf0", "mabc0"}, []string{"mdab0", "mwbt0", "faks0", "fdac1", "mzzz0"})
	tests := []struct {
		name string
		c    *Corpus
		o    SplitOptions
		want []string
		err  string
	}{
		{"ldc core", ldc, SplitOptions{}, []string{"train:fcjf0,mabc0 4", "dev:faks0,fdac1 4", "test:mdab0,mwbt0 4"}, ""},
		{"ldc full", ldc, SplitOptions{TestSet: "full"}, []string{"train:fcjf0,mabc0 4", "dev:faks0,fdac1 4", "test:mdab0,mwbt0,mzzz0 6"}, ""},
		{"ldc keep sa", ldc, SplitOptions{KeepSA: true}, []string{"train:fcjf0,mabc0 8", "dev:faks0,fdac1 8", "test:mdab0,mwbt0 8"}, ""},
		{"ldc explicit dev", ldc, SplitOptions{DevSpeakers: []string{"MZZZ0"}}, []string{"train:fcjf0,mabc0 4", "dev:mzzz0 2", "test:mdab0,mwbt0 4"}, ""},
		{"ldc no core", ldcCorpus([]string{"fcjf0"}, []string{"mzzz0"}), SplitOptions{}, nil, "none of the 24 core test speakers"},
		{"ldc no core, full", ldcCorpus([]string{"fcjf0"}, []string{"mzzz0"}), SplitOptions{TestSet: "full"}, nil, "no dev speakers"},
		{"ldc no core, full, dev list", ldcCorpus([]string{"fcjf0", "mabc0"}, []string{"mzzz0"}), SplitOptions{TestSet: "full", DevSpeakers: []string{"mabc0"}}, []string{"train:fcjf0 2", "dev:mabc0 2", "test:mzzz0 2"}, ""},
		{"ldc no dev speakers", ldcCorpus([]string{"fcjf0"}, []string{"mdab0", "mzzz0"}), SplitOptions{}, nil, "no dev speakers: the corpus has none of the 50 standard TIMIT dev speakers"},
		{"ldc full, no other TEST speakers", ldcCorpus([]string{"fcjf0"}, []string{"faks0"}), SplitOptions{TestSet: "full"}, nil, "no test speakers: the corpus has no TEST speakers outside dev"},
		{"ldc without TEST, lists", ldcCorpus([]string{"fcjf0", "mabc0", "mxyz0"}, nil), SplitOptions{TestSpeakers: []string{"mabc0"}, DevSpeakers: []string{"mxyz0"}}, []string{"train:fcjf0 2", "dev:mxyz0 2", "test:mabc0 2"}, ""},
		{"named speaker with SA only", func() *Corpus {
			c := flatCorpus(LayoutFlat, "a", "b", "c")
			c.Utterances = slices.DeleteFunc(c.Utterances, func(u Utterance) bool { return u.Speaker == "b" && !u.IsSA() })
			return c
		}(), SplitOptions{TestSpeakers: []string{"a"}, DevSpeakers: []string{"b"}}, nil, "no dev speakers: b has no utterances left (SA1/SA2 are left out)"},
		{"ldc no dev list present, flag", ldcCorpus([]string{"fcjf0"}, []string{"mdab0", "mzzz0"}), SplitOptions{DevSpeakers: []string{"mzzz0"}}, []string{"train:fcjf0 2", "dev:mzzz0 2", "test:mdab0 2"}, ""},
		{"bad test set", ldc, SplitOptions{TestSet: "half"}, nil, "unknown test set"},
		{"flat lists", flatCorpus(LayoutFlat, "a", "b", "c", "d"), SplitOptions{TestSpeakers: []string{"a"}, DevSpeakers: []string{"b", " c "}}, []string{"train:d 2", "dev:b,c 4", "test:a 2"}, ""},
		{"flat all train", flatCorpus(LayoutFlat, "a", "b"), SplitOptions{}, []string{"train:a,b 4", "dev: 0", "test: 0"}, ""},
		{"nltk sample default", flatCorpus(LayoutNLTK, "fvmh0", "mcpm0", "faem0", "marc0", "falk0"), SplitOptions{}, []string{"train:falk0 2", "dev:faem0,marc0 4", "test:fvmh0,mcpm0 4"}, ""},
		{"nltk sample incomplete", flatCorpus(LayoutNLTK, "mcpm0", "faem0", "falk0"), SplitOptions{}, nil, "the corpus has only some of the TIMIT sample's held-out speakers (test fvmh0, mcpm0; dev faem0, marc0): fvmh0, marc0 missing"},
		{"nltk, none of the sample's speakers", flatCorpus(LayoutNLTK, "falk0", "madc0"), SplitOptions{}, []string{"train:falk0,madc0 4", "dev: 0", "test: 0"}, ""},
		{"nltk lists override", flatCorpus(LayoutNLTK, "fvmh0", "mcpm0", "faem0", "marc0", "falk0"), SplitOptions{TestSpeakers: []string{"falk0"}}, []string{"train:faem0,fvmh0,marc0,mcpm0 8", "dev: 0", "test:falk0 2"}, ""},
		{"unknown speaker", flatCorpus(LayoutFlat, "a", "b"), SplitOptions{TestSpeakers: []string{"zz", "a"}}, nil, "test speakers not in the corpus: zz"},
		{"both lists", flatCorpus(LayoutFlat, "a", "b"), SplitOptions{TestSpeakers: []string{"a"}, DevSpeakers: []string{"a"}}, nil, "both"},
		{"nothing to train", flatCorpus(LayoutFlat, "a"), SplitOptions{TestSpeakers: []string{"a"}}, nil, "no training utterances"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sets, err := AssignSplits(tc.c, tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "--") {
					t.Fatalf("error %v, want %q (and no flag)", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := splitSpeakers(sets); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := AssignSplits(ldcCorpus([]string{"fcjf0"}, []string{"mzzz0"}), SplitOptions{}); !errors.Is(err, ErrNoCoreTestSpeakers) {
		t.Errorf("no core speakers: %v, want ErrNoCoreTestSpeakers", err)
	}
	var empty *EmptySplitError
	if _, err := AssignSplits(ldcCorpus([]string{"fcjf0"}, []string{"mdab0"}), SplitOptions{}); !errors.As(err, &empty) || empty.Split != Dev {
		t.Errorf("no dev speakers: %v, want an *EmptySplitError for dev", err)
	}
	if _, err := AssignSplits(flatCorpus(LayoutNLTK, "fvmh0", "falk0"), SplitOptions{}); !errors.Is(err, ErrIncompleteSample) {
		t.Errorf("incomplete sample: %v, want ErrIncompleteSample", err)
	}
}
