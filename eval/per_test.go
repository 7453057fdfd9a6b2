package eval

import (
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/labels"
)

// phones parses blank-separated TIMIT61 phone names.
func phones(t *testing.T, s string) []int32 {
	t.Helper()
	set := labels.TIMIT61()
	var out []int32
	for _, f := range strings.Fields(s) {
		p, ok := set.Index(f)
		if !ok {
			t.Fatalf("unknown phone %q", f)
		}
		out = append(out, int32(p))
	}
	return out
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		name, ref, hyp string
		want           Edits
	}{
		{"equal", "aa b iy", "aa b iy", Edits{Ref: 3}},
		{"one substitution", "aa b iy", "aa d iy", Edits{Ref: 3, Sub: 1}},
		{"one deletion", "aa b iy", "aa iy", Edits{Ref: 3, Del: 1}},
		{"one insertion", "aa b iy", "aa b s iy", Edits{Ref: 3, Ins: 1}},
		{"empty hypothesis", "aa b iy", "", Edits{Ref: 3, Del: 3}},
		{"empty reference", "", "aa b", Edits{Ins: 2}},
		{"both empty", "", "", Edits{}},
		{"mixed", "aa b iy s t ow", "aa iy s z t uw", Edits{Ref: 6, Sub: 1, Ins: 1, Del: 1}},
		// Cost 3 as S+I+D or as three substitutions: substitutions win.
		{"tie: three substitutions", "h# s ih t h#", "h# z ih ih t", Edits{Ref: 5, Sub: 3}},
		// Ties: "aa b" against "b aa" costs 2 either as two substitutions
		// or as a deletion and an insertion; substitutions are preferred.
		{"tie: substitutions first", "aa b", "b aa", Edits{Ref: 2, Sub: 2}},
		// "aa" against "b" "c": one substitution and one insertion, in
		// either order; the count is the same.
		{"tie: sub and ins", "aa", "b d", Edits{Ref: 1, Sub: 1, Ins: 1}},
		// Longer reference: deletion preferred to insertion where both fit.
		{"tie: sub and del", "b d", "aa", Edits{Ref: 2, Sub: 1, Del: 1}},
	}
	var buf []int32
	for _, tt := range tests {
		var got Edits
		got, buf = EditDistance(phones(t, tt.ref), phones(t, tt.hyp), buf)
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
		// The distance is symmetric; deletions and insertions swap.
		back, _ := EditDistance(phones(t, tt.hyp), phones(t, tt.ref), nil)
		if back.Errors() != got.Errors() {
			t.Errorf("%s: distance %d one way, %d the other", tt.name, got.Errors(), back.Errors())
		}
	}
	if r := (Edits{Ref: 4, Sub: 1, Del: 1, Ins: 1}).Rate(); r != 0.75 {
		t.Errorf("rate %g", r)
	}
}

// TestFoldPhones folds a text line to 39 classes as Kaldi's recipe does:
// closures, epi, pau and h# become sil, q is removed, neighbours folding to
// the same class are kept.
func TestFoldPhones(t *testing.T) {
	f := labels.Fold39()
	got := FoldPhones(nil, phones(t, "h# q ix n s ih m pcl p el ao zh epi pau h#"), f)
	set := labels.TIMIT39()
	var names []string
	for _, c := range got {
		names = append(names, set.Name(int(c)))
	}
	want := "sil ih n s ih m sil p l aa sh sil sil sil"
	if strings.Join(names, " ") != want {
		t.Errorf("folded %q, want %q", strings.Join(names, " "), want)
	}
}

func TestScorePhonesAndSummary(t *testing.T) {
	// 61: q→aa and ao→s (two substitutions, preferred to a deletion and an
	// insertion); 39: ao folds to aa and q is removed, so only the
	// inserted s remains.
	ref, hyp := phones(t, "h# q ao b h#"), phones(t, "h# aa s b h#")
	sc, _ := ScorePhones(ref, hyp, nil)
	if want := (Edits{Ref: 5, Sub: 2}); sc.Edits61 != want {
		t.Errorf("61: %+v", sc.Edits61)
	}
	if want := (Edits{Ref: 4, Ins: 1}); sc.Edits39 != want {
		t.Errorf("39: %+v, want %+v", sc.Edits39, want)
	}
	s := SummarizePER("greedy", []PhoneScore{
		{ID: "b_1", Speaker: "b", Edits39: Edits{Ref: 10, Sub: 1}, Edits61: Edits{Ref: 11, Sub: 2}},
		{ID: "a_1", Speaker: "a", Edits39: Edits{Ref: 30, Del: 3}, Edits61: Edits{Ref: 30, Del: 3}},
		{ID: "b_2", Speaker: "b", Edits39: Edits{Ref: 10, Ins: 3}, Edits61: Edits{Ref: 10, Ins: 3}},
	})
	// Totals, not means of rates: (1+3+3)/50.
	if s.PER39 != 7.0/50 || s.Edits != (Edits{Ref: 50, Sub: 1, Del: 3, Ins: 3}) || s.PER61 != 8.0/51 {
		t.Errorf("summary %+v", s)
	}
	if len(s.PerSpeaker) != 2 || s.PerSpeaker[0].Speaker != "a" || s.PerSpeaker[1].PER39 != 0.2 || s.PerSpeaker[1].Utterances != 2 {
		t.Errorf("per speaker %+v", s.PerSpeaker)
	}
	if !slices.Equal(Collapse([]int32{1, 1, 2, 2, 2, 1, 3, 3}), []int32{1, 2, 1, 3}) {
		t.Error("collapse")
	}
}

// TestFoldText folds a Kaldi-style text line, as extract writes it, to
// the 39 classes PER-39 scores.
func TestFoldText(t *testing.T) {
	es, err := data.ReadText(strings.NewReader("fvmh0_si2096 h# r ae nx ix w ey ix nx ax bcl b l ae kcl n ay q w ix th ax l ao f el w eh dx ix dcl m ae n h#\n"))
	if err != nil {
		t.Fatal(err)
	}
	set := labels.TIMIT39()
	var names []string
	for _, c := range FoldPhones(nil, es[0].Phones, labels.Fold39()) {
		names = append(names, set.Name(int(c)))
	}
	want := "sil r ae n ih w ey ih n ah sil b l ae sil n ay w ih th ah l aa f l w eh dx ih sil m ae n sil"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("folded\n%s\nwant\n%s", got, want)
	}
	if len(names) != len(es[0].Phones)-1 {
		t.Errorf("%d classes from %d phones: only q is removed", len(names), len(es[0].Phones))
	}
}
