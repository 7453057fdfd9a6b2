package labels

import (
	"fmt"
	"sort"
)

// timitFolding lists the 61 TIMIT phones in their fixed order (the order of
// phones.txt: alphabetical, as in the LDC phone code list) with their 48- and
// 39-class foldings (Lee & Hon 1989). "-" means the phone has no folding: q
// (the glottal stop) is removed from scoring.
var timitFolding = [NumPhones][3]string{
	{"aa", "aa", "aa"},
	{"ae", "ae", "ae"},
	{"ah", "ah", "ah"},
	{"ao", "ao", "aa"},
	{"aw", "aw", "aw"},
	{"ax", "ax", "ah"},
	{"ax-h", "ax", "ah"},
	{"axr", "er", "er"},
	{"ay", "ay", "ay"},
	{"b", "b", "b"},
	{"bcl", "vcl", "sil"},
	{"ch", "ch", "ch"},
	{"d", "d", "d"},
	{"dcl", "vcl", "sil"},
	{"dh", "dh", "dh"},
	{"dx", "dx", "dx"},
	{"eh", "eh", "eh"},
	{"el", "el", "l"},
	{"em", "m", "m"},
	{"en", "en", "n"},
	{"eng", "ng", "ng"},
	{"epi", "epi", "sil"},
	{"er", "er", "er"},
	{"ey", "ey", "ey"},
	{"f", "f", "f"},
	{"g", "g", "g"},
	{"gcl", "vcl", "sil"},
	{"h#", "sil", "sil"},
	{"hh", "hh", "hh"},
	{"hv", "hh", "hh"},
	{"ih", "ih", "ih"},
	{"ix", "ix", "ih"},
	{"iy", "iy", "iy"},
	{"jh", "jh", "jh"},
	{"k", "k", "k"},
	{"kcl", "cl", "sil"},
	{"l", "l", "l"},
	{"m", "m", "m"},
	{"n", "n", "n"},
	{"ng", "ng", "ng"},
	{"nx", "n", "n"},
	{"ow", "ow", "ow"},
	{"oy", "oy", "oy"},
	{"p", "p", "p"},
	{"pau", "sil", "sil"},
	{"pcl", "cl", "sil"},
	{"q", "-", "-"},
	{"r", "r", "r"},
	{"s", "s", "s"},
	{"sh", "sh", "sh"},
	{"t", "t", "t"},
	{"tcl", "cl", "sil"},
	{"th", "th", "th"},
	{"uh", "uh", "uh"},
	{"uw", "uw", "uw"},
	{"ux", "uw", "uw"},
	{"v", "v", "v"},
	{"w", "w", "w"},
	{"y", "y", "y"},
	{"z", "z", "z"},
	{"zh", "zh", "sh"},
}

// NumPhones is the size of the TIMIT phone set.
const NumPhones = 61

// Excluded is the frame label of a frame whose centre lies outside every
// phone segment. It is stored as -1 in alignment archives and never scored.
const Excluded int32 = -1

// Unfolded marks a phone that has no class in a folded set (q).
const Unfolded = -1

// PhoneSet is an ordered set of phone labels. The zero value is empty; use
// TIMIT61, TIMIT48 or TIMIT39.
type PhoneSet struct {
	names []string
	index map[string]int
}

func newPhoneSet(names []string) *PhoneSet {
	s := &PhoneSet{names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		s.index[n] = i
	}
	return s
}

// TIMIT61 returns the 61 TIMIT phones in their fixed order (index 0 is aa,
// index 60 is zh).
func TIMIT61() *PhoneSet {
	names := make([]string, NumPhones)
	for i, r := range timitFolding {
		names[i] = r[0]
	}
	return newPhoneSet(names)
}

// folded returns the sorted distinct labels of column col.
func folded(col int) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range timitFolding {
		if r[col] != "-" && !seen[r[col]] {
			seen[r[col]] = true
			names = append(names, r[col])
		}
	}
	sort.Strings(names)
	return names
}

// TIMIT48 returns the 48 classes of the Lee & Hon folding, sorted.
func TIMIT48() *PhoneSet { return newPhoneSet(folded(1)) }

// TIMIT39 returns the 39 scoring classes of the Lee & Hon folding, sorted.
func TIMIT39() *PhoneSet { return newPhoneSet(folded(2)) }

// Len returns the number of phones in the set.
func (s *PhoneSet) Len() int { return len(s.names) }

// Name returns the label of phone i.
func (s *PhoneSet) Name(i int) string { return s.names[i] }

// Index returns the index of label name and whether it is in the set.
func (s *PhoneSet) Index(name string) (int, bool) {
	i, ok := s.index[name]
	return i, ok
}

// Names returns a copy of the labels in order.
func (s *PhoneSet) Names() []string { return append([]string(nil), s.names...) }

// Folding maps the 61 TIMIT phone indices to the classes of a smaller set.
type Folding struct {
	To  *PhoneSet
	Map [NumPhones]int // Unfolded for q
}

func newFolding(col int) *Folding {
	f := &Folding{To: newPhoneSet(folded(col))}
	for i, r := range timitFolding {
		if r[col] == "-" {
			f.Map[i] = Unfolded
			continue
		}
		j, _ := f.To.Index(r[col])
		f.Map[i] = j
	}
	return f
}

// Fold48 returns the folding of the 61 phones onto the 48 training classes.
func Fold48() *Folding { return newFolding(1) }

// Fold39 returns the folding of the 61 phones onto the 39 scoring classes.
func Fold39() *Folding { return newFolding(2) }

// Class returns the folded class of 61-phone index p, or Unfolded.
func (f *Folding) Class(p int) int {
	if p < 0 || p >= NumPhones {
		panic(fmt.Sprintf("labels: phone index %d out of range", p))
	}
	return f.Map[p]
}
