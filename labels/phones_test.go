package labels

import (
	"slices"
	"strings"
	"testing"
)

// order61 is the documented phone order (doc.go), written out independently
// of phones.go so that a reordering of the table is caught.
const order61 = `aa ae ah ao aw ax ax-h axr ay b bcl ch d dcl dh dx eh el em en eng epi
er ey f g gcl h# hh hv ih ix iy jh k kcl l m n ng nx ow oy p pau pcl q r s sh t tcl th
uh uw ux v w y z zh`

// Lee & Hon (1989) folding written as groups: each key is a folded class and
// its value the TIMIT phones that map to it. Phones not listed map to
// themselves. q is in neither table: it is removed from scoring.
var (
	lh48 = map[string][]string{
		"ax": {"ax", "ax-h"}, "er": {"er", "axr"}, "hh": {"hh", "hv"},
		"m": {"m", "em"}, "n": {"n", "nx"}, "ng": {"ng", "eng"}, "uw": {"uw", "ux"},
		"cl": {"pcl", "tcl", "kcl"}, "vcl": {"bcl", "dcl", "gcl"}, "sil": {"h#", "pau"},
	}
	lh39 = map[string][]string{
		"aa": {"aa", "ao"}, "ah": {"ah", "ax", "ax-h"}, "er": {"er", "axr"},
		"hh": {"hh", "hv"}, "ih": {"ih", "ix"}, "l": {"l", "el"}, "m": {"m", "em"},
		"n": {"n", "en", "nx"}, "ng": {"ng", "eng"}, "sh": {"sh", "zh"}, "uw": {"uw", "ux"},
		"sil": {"pcl", "tcl", "kcl", "bcl", "dcl", "gcl", "h#", "pau", "epi"},
	}
)

func invert(groups map[string][]string) map[string]string {
	m := map[string]string{}
	for class, phones := range groups {
		for _, p := range phones {
			m[p] = class
		}
	}
	return m
}

func TestTIMIT61Order(t *testing.T) {
	want := strings.Fields(order61)
	got := TIMIT61().Names()
	if !slices.Equal(got, want) {
		t.Fatalf("TIMIT61 order\n got %v\nwant %v", got, want)
	}
	if len(got) != NumPhones {
		t.Fatalf("%d phones, want %d", len(got), NumPhones)
	}
	if !slices.IsSorted(got) {
		t.Error("TIMIT61 is not in byte order, as documented")
	}
	s := TIMIT61()
	for i, n := range want {
		if j, ok := s.Index(n); !ok || j != i {
			t.Errorf("Index(%q) = %d, %v; want %d", n, j, ok, i)
		}
	}
	if _, ok := s.Index("xx"); ok {
		t.Error(`Index("xx") found`)
	}
}

func TestFolding(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fold   *Folding
		set    *PhoneSet
		groups map[string][]string
		size   int
	}{
		{"48", Fold48(), TIMIT48(), lh48, 48},
		{"39", Fold39(), TIMIT39(), lh39, 39},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.set.Len() != tc.size || tc.fold.To.Len() != tc.size {
				t.Fatalf("set has %d classes, folding %d; want %d", tc.set.Len(), tc.fold.To.Len(), tc.size)
			}
			to := invert(tc.groups)
			used := map[int]bool{}
			for p, name := range strings.Fields(order61) {
				c := tc.fold.Class(p)
				if name == "q" {
					if c != Unfolded {
						t.Errorf("q folds to %d, want Unfolded", c)
					}
					continue
				}
				want, ok := to[name]
				if !ok {
					want = name
				}
				if c < 0 || c >= tc.size {
					t.Errorf("%s folds to index %d, out of range", name, c)
					continue
				}
				used[c] = true
				if got := tc.fold.To.Name(c); got != want {
					t.Errorf("%s folds to %s, want %s", name, got, want)
				}
				if got := tc.set.Name(c); got != want {
					t.Errorf("%s: TIMIT%s().Name(%d) = %s, want %s", name, tc.name, c, got, want)
				}
			}
			if len(used) != tc.size {
				t.Errorf("%d classes reached by folding, want all %d", len(used), tc.size)
			}
		})
	}
}
