package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/labels"
)

// ph returns the TIMIT61 indices of space-separated phone names; "-" stands
// for labels.Excluded.
func ph(t testing.TB, s string) []int32 {
	t.Helper()
	set := labels.TIMIT61()
	var out []int32
	for _, f := range strings.Fields(s) {
		if f == "-" {
			out = append(out, labels.Excluded)
			continue
		}
		i, ok := set.Index(f)
		if !ok {
			t.Fatalf("unknown phone %q", f)
		}
		out = append(out, int32(i))
	}
	return out
}

func TestScoring(t *testing.T) {
	// Rates are ratios of small integers; 1e-12 only absorbs the division.
	const tol = 1e-12
	tests := []struct {
		name     string
		hyp, ref string
		delay    int
		frames   int64 // scored over 61
		errors   int64
		frames39 int64
		errors39 int64
	}{
		{name: "all right", hyp: "aa b iy", ref: "aa b iy", frames: 3, frames39: 3},
		{name: "one wrong", hyp: "aa b iy s", ref: "aa b iy z", frames: 4, errors: 1, frames39: 4, errors39: 1},
		// ao→aa, bcl/pau→sil, ix→ih: wrong over 61, right over 39.
		{name: "fold merges", hyp: "aa pau ih", ref: "ao bcl ix", frames: 3, errors: 3, frames39: 3, errors39: 0},
		{name: "excluded not scored", hyp: "aa aa s s", ref: "- aa - z", frames: 2, errors: 1, frames39: 2, errors39: 1},
		// A reference q is scored over 61 (here wrongly) but dropped over 39.
		{name: "reference q", hyp: "aa t iy", ref: "aa q iy", frames: 3, errors: 1, frames39: 2, errors39: 0},
		{name: "reference q right", hyp: "q", ref: "q", frames: 1, errors: 0, frames39: 0, errors39: 0},
		// A hypothesis q has no 39-class, so it is an error there too.
		{name: "hypothesis q", hyp: "aa q iy", ref: "aa t iy", frames: 3, errors: 1, frames39: 3, errors39: 1},
		// delay 2: output t is scored against label t−2; outputs 0,1 and
		// labels 3,4 are unscored. Pairs: (hyp aa, ref aa), (b, b), (s, iy).
		{name: "delay", hyp: "z z aa b s", ref: "aa b iy y y", delay: 2, frames: 3, errors: 1, frames39: 3, errors39: 1},
		{name: "delay longer than sentence", hyp: "aa b", ref: "aa b", delay: 3},
		{name: "delay with excluded", hyp: "z aa b", ref: "- aa b", delay: 1, frames: 1, errors: 1, frames39: 1, errors39: 1},
		{name: "empty", hyp: "", ref: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfusion61()
			n, err := c.AddSentence(ph(t, tt.hyp), ph(t, tt.ref), tt.delay)
			if err != nil {
				t.Fatal(err)
			}
			if int64(n) != tt.frames || c.Total() != tt.frames || c.Errors() != tt.errors {
				t.Fatalf("61: scored %d (total %d), errors %d; want %d, %d", n, c.Total(), c.Errors(), tt.frames, tt.errors)
			}
			r, err := NewReport(c, 1)
			if err != nil {
				t.Fatal(err)
			}
			if r.Frames39 != tt.frames39 || r.Confusion39.Errors() != tt.errors39 {
				t.Fatalf("39: %d frames, %d errors; want %d, %d", r.Frames39, r.Confusion39.Errors(), tt.frames39, tt.errors39)
			}
			want61, want39 := ratio(tt.errors, tt.frames), ratio(tt.errors39, tt.frames39)
			if math.Abs(r.FER61-want61) > tol || math.Abs(r.FER39-want39) > tol {
				t.Fatalf("FER61 %g FER39 %g, want %g %g", r.FER61, r.FER39, want61, want39)
			}
		})
	}
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func TestAddSentenceRejects(t *testing.T) {
	tests := []struct {
		name     string
		hyp, ref []int32
		delay    int
	}{
		{"length mismatch", []int32{0, 1}, []int32{0}, 0},
		{"negative delay", []int32{0}, []int32{0}, -1},
		{"label too large", []int32{0}, []int32{61}, 0},
		{"label negative, not Excluded", []int32{0}, []int32{-2}, 0},
		{"hypothesis too large", []int32{99}, []int32{0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewConfusion61().AddSentence(tt.hyp, tt.ref, tt.delay); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestFoldCells(t *testing.T) {
	c := NewConfusion61()
	if _, err := c.AddSentence(ph(t, "aa pau q ih ih"), ph(t, "ao bcl t ix q"), 0); err != nil {
		t.Fatal(err)
	}
	f, err := c.Fold(labels.Fold39())
	if err != nil {
		t.Fatal(err)
	}
	set := labels.TIMIT39()
	idx := func(s string) int { i, _ := set.Index(s); return i }
	if got := f.At(idx("aa"), idx("aa")); got != 1 {
		t.Errorf("aa,aa = %d, want 1", got)
	}
	if got := f.At(idx("sil"), idx("sil")); got != 1 {
		t.Errorf("sil,sil = %d, want 1", got)
	}
	if got := f.Unmapped[idx("t")]; got != 1 {
		t.Errorf("unmapped t = %d, want 1", got)
	}
	if f.Total() != 4 || f.Correct() != 3 {
		t.Errorf("total %d correct %d, want 4 and 3", f.Total(), f.Correct())
	}
	if _, err := NewConfusion([]string{"a", "b"}).Fold(labels.Fold39()); err == nil {
		t.Error("folded a 2-class matrix")
	}
}

func TestDecode(t *testing.T) {
	scores := []float32{
		-1, -0.5, -3, // 1
		0, 0, -1, // tie → 0
		-9, -8, -0.1, // 2
	}
	got := Decode(make([]int32, 0, 1), scores, 3)
	if want := []int32{1, 0, 2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Decode = %v, want %v", got, want)
	}
}

func TestMergeAndStats(t *testing.T) {
	a, b := NewConfusion([]string{"x", "y"}), NewConfusion([]string{"x", "y"})
	a.Add(0, 0, 3)
	a.Add(0, 1, 1)
	b.Add(1, 0, 2)
	b.Add(1, 1, 2)
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	got := PhoneStats(a)
	want := []PhoneStat{
		{Phone: "x", Frames: 4, Correct: 3, Accuracy: 0.75, Predicted: 5, Confused: "y", ConfusedFrames: 1},
		{Phone: "y", Frames: 4, Correct: 2, Accuracy: 0.5, Predicted: 3, Confused: "x", ConfusedFrames: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PhoneStats = %+v\nwant %+v", got, want)
	}
	if err := a.Merge(NewConfusion([]string{"x", "z"})); err == nil {
		t.Error("merged different labels")
	}
	if err := a.Merge(NewConfusion([]string{"x"})); err == nil {
		t.Error("merged different sizes")
	}
}

func TestConfusionCSVRoundTrip(t *testing.T) {
	c := NewConfusion61()
	if _, err := c.AddSentence(ph(t, "aa q iy s s pau"), ph(t, "aa t iy z q h#"), 0); err != nil {
		t.Fatal(err)
	}
	f, _ := c.Fold(labels.Fold39())
	for _, m := range []*Confusion{c, f} {
		var buf bytes.Buffer
		if err := m.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadConfusionCSV(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("read back: %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of %d classes differs", m.N())
		}
		js, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var jb Confusion
		if err := json.Unmarshal(js, &jb); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&jb, m) {
			t.Fatalf("JSON round trip of %d classes differs", m.N())
		}
	}
	// The 39-class matrix has a hypothesis q, so it carries the (none) column.
	var buf bytes.Buffer
	f.WriteCSV(&buf)
	if first := strings.SplitN(buf.String(), "\n", 2)[0]; !strings.HasSuffix(first, ",(none)") {
		t.Errorf("39-class header %q lacks (none)", first)
	}
}

func TestReadConfusionCSVRejects(t *testing.T) {
	tests := map[string]string{
		"empty":          "",
		"bad corner":     "x,a,b\na,1,0\nb,0,1\n",
		"no labels":      "ref\\hyp\n",
		"only none":      "ref\\hyp,(none)\n",
		"repeated label": "ref\\hyp,a,a\na,1,0\na,0,1\n",
		"wrong row":      "ref\\hyp,a,b\nb,1,0\na,0,1\n",
		"missing row":    "ref\\hyp,a,b\na,1,0\n",
		"extra row":      "ref\\hyp,a,b\na,1,0\nb,0,1\nc,0,0\n",
		"negative":       "ref\\hyp,a,b\na,-1,0\nb,0,1\n",
		"not a number":   "ref\\hyp,a,b\na,x,0\nb,0,1\n",
		"short row":      "ref\\hyp,a,b\na,1\nb,0,1\n",
	}
	for name, in := range tests {
		if _, err := ReadConfusionCSV(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted %q", name, in)
		}
	}
}

func FuzzReadConfusionCSV(f *testing.F) {
	f.Add("ref\\hyp,a,b\na,1,0\nb,0,1\n")
	f.Add("ref\\hyp,a,b,(none)\na,1,0,2\nb,0,1,0\n")
	f.Add("ref\\hyp,a\na,\"7\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ReadConfusionCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		// Whatever is accepted must survive a round trip unchanged.
		var buf bytes.Buffer
		if err := c.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadConfusionCSV(&buf)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatal("round trip differs")
		}
	})
}

func BenchmarkScore(b *testing.B) {
	// One TIMIT-sized sentence: 300 frames × 61 log-posteriors.
	const frames = 300
	scores := make([]float32, frames*labels.NumPhones)
	ref := make([]int32, frames)
	for t := range frames {
		ref[t] = int32((t * 7) % labels.NumPhones)
		for j := range labels.NumPhones {
			scores[t*labels.NumPhones+j] = -float32((t + j*13) % 17)
		}
	}
	c := NewConfusion61()
	hyp := make([]int32, frames)
	b.SetBytes(int64(len(scores) * 4))
	for b.Loop() {
		hyp = Decode(hyp, scores, labels.NumPhones)
		if _, err := c.AddSentence(hyp, ref, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleConfusion() {
	set := labels.TIMIT61()
	id := func(s string) int32 { i, _ := set.Index(s); return int32(i) }
	// Four frames: the first is outside every phone segment; ao is taken for
	// aa (same class over 39); q is taken for t (an error in both sets).
	ref := []int32{labels.Excluded, id("ao"), id("t"), id("iy")}
	hyp := []int32{id("h#"), id("aa"), id("q"), id("iy")}
	c := NewConfusion61()
	if _, err := c.AddSentence(hyp, ref, 0); err != nil {
		fmt.Println(err)
		return
	}
	r, _ := NewReport(c, 1)
	fmt.Printf("FER-61 %.3f over %d frames\n", r.FER61, r.Frames)
	fmt.Printf("FER-39 %.3f over %d frames\n", r.FER39, r.Frames39)
	// Output:
	// FER-61 0.667 over 3 frames
	// FER-39 0.333 over 3 frames
}
