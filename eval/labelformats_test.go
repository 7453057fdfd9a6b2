package eval

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// labellingFixture: three segments at 16 kHz (the second q, which has no
// 39-class; the third and fourth both fold to "sil"), a gap left by the
// target delay's undescribed frames at the end.
func labellingFixture() *Labelling {
	t61 := labels.TIMIT61()
	idx := func(p string) int { k, _ := t61.Index(p); return k }
	return &Labelling{
		Name: "sa1", SampleRate: 16000, NumSamples: 5000,
		Segments: []labels.Segment{
			{Start: 0, End: 1600, Phone: idx("h#")},
			{Start: 1600, End: 2400, Phone: idx("q")},
			{Start: 2400, End: 3200, Phone: idx("pcl")},
			{Start: 3200, End: 4800, Phone: idx("tcl")},
		},
		Phones:     t61.Names(),
		Confidence: []float64{0.9, 0.5, 0.25, 0.123456},
	}
}

func TestWriteLabels(t *testing.T) {
	l := labellingFixture()
	fold := *l
	fold.Fold39 = true
	noConf := *l
	noConf.Confidence = nil
	for _, tc := range []struct {
		name string
		f    Format
		l    *Labelling
		want string
	}{
		{"phn", FormatPHN, l, "0 1600 h#\n1600 2400 q\n2400 3200 pcl\n3200 4800 tcl\n"},
		{"audacity", FormatAudacity, l, "0\t0.1\th#\n0.1\t0.15\tq\n0.15\t0.2\tpcl\n0.2\t0.3\ttcl\n"},
		{"ctm", FormatCTM, l, "sa1 1 0 0.1 h# 0.9000\nsa1 1 0.1 0.05 q 0.5000\nsa1 1 0.15 0.05 pcl 0.2500\nsa1 1 0.2 0.1 tcl 0.1235\n"},
		{"ctm without confidence", FormatCTM, &noConf, "sa1 1 0 0.1 h#\nsa1 1 0.1 0.05 q\nsa1 1 0.15 0.05 pcl\nsa1 1 0.2 0.1 tcl\n"},
		{"textgrid", FormatTextGrid, l, `File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 0.3125
tiers? <exists>
size = 1
item []:
    item [1]:
        class = "IntervalTier"
        name = "phones"
        xmin = 0
        xmax = 0.3125
        intervals: size = 5
        intervals [1]:
            xmin = 0
            xmax = 0.1
            text = "h#"
        intervals [2]:
            xmin = 0.1
            xmax = 0.15
            text = "q"
        intervals [3]:
            xmin = 0.15
            xmax = 0.2
            text = "pcl"
        intervals [4]:
            xmin = 0.2
            xmax = 0.3
            text = "tcl"
        intervals [5]:
            xmin = 0.3
            xmax = 0.3125
            text = ""
`},
	} {
		var b bytes.Buffer
		if err := WriteLabels(&b, tc.f, tc.l); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: wrote\n%s\nwant\n%s", tc.name, b.String(), tc.want)
		}
		if tc.f == FormatTextGrid {
			keepTextGrid(t, tc.name, b.Bytes())
		}
	}

	// Folded: the second tier merges pcl and tcl (both "sil") and leaves
	// q, which has no class, empty.
	var b bytes.Buffer
	if err := WriteLabels(&b, FormatTextGrid, &fold); err != nil {
		t.Fatal(err)
	}
	tg := b.String()
	keepTextGrid(t, "fold39", b.Bytes())
	tier2 := tg[strings.Index(tg, "item [2]:"):]
	for _, want := range []string{"size = 2\n", `name = "phones39"`, "intervals: size = 4\n", `text = "sil"`} {
		if !strings.Contains(tg, want) {
			t.Errorf("folded TextGrid lacks %q:\n%s", want, tg)
		}
	}
	if strings.Count(tier2, `text = "sil"`) != 2 || strings.Count(tier2, `text = ""`) != 2 {
		t.Errorf("phones39 tier: want h#→sil, q→\"\", pcl+tcl→sil, tail \"\":\n%s", tier2)
	}

	b.Reset()
	if err := WriteLabels(&b, FormatJSON, &fold); err != nil {
		t.Fatal(err)
	}
	var got jsonLabels
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Utterance != "sa1" || got.SampleRate != 16000 || got.Samples != 5000 || len(got.Segments) != 4 {
		t.Fatalf("json: %+v", got)
	}
	s := got.Segments[3]
	if s.Start != 0.2 || s.End != 0.3 || s.StartSample != 3200 || s.EndSample != 4800 || s.Phone != "tcl" || *s.Phone39 != "sil" || *s.Confidence != 0.1235 {
		t.Errorf("json segment 3: %+v", s)
	}
}

func TestWriteLabelsErrors(t *testing.T) {
	l := labellingFixture()
	l.Segments[1].Phone = 99
	if err := WriteLabels(&bytes.Buffer{}, FormatCTM, l); err == nil || !strings.Contains(err.Error(), "class 99 has no name") {
		t.Errorf("unnamed class: %v", err)
	}
	l = labellingFixture()
	l.Phones = append([]string{"xx"}, l.Phones[1:]...)
	l.Fold39 = true
	if err := WriteLabels(&bytes.Buffer{}, FormatTextGrid, l); err == nil || !strings.Contains(err.Error(), `"xx" is not a TIMIT phone`) {
		t.Errorf("fold of a non-TIMIT class: %v", err)
	}
	if _, err := ParseFormat("praat"); err == nil {
		t.Error("ParseFormat(praat): no error")
	}
	for _, f := range []Format{FormatPHN, FormatTextGrid, FormatAudacity, FormatCTM, FormatJSON} {
		if g, err := ParseFormat(f.String()); err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), g, err)
		}
	}
}

func TestSegmentConfidence(t *testing.T) {
	p := features.NewMatrix(5, 2)
	copy(p.Data, []float32{0.9, 0.1, 0.7, 0.3, 0.2, 0.8, 0.4, 0.6, 0.5, 0.5})
	segs := []labels.Segment{{Start: 0, End: 320, Phone: 0}, {Start: 320, End: 750, Phone: 1}}
	got := SegmentConfidence(segs, p, 160)
	// Frames 0–1 of class 0: (0.9+0.7)/2; frames 2–4 of class 1 (the last
	// segment clipped mid-frame): (0.8+0.6+0.5)/3.
	want := []float64{0.8, 1.9 / 3}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("segment %d: confidence %g, want %g", i, got[i], want[i])
		}
	}
}

// keepTextGrid copies a TextGrid a test wrote into $PHONEME_TEXTGRID_OUT,
// when set, for .ci/run to open every one in Praat.
func keepTextGrid(t *testing.T, name string, b []byte) {
	t.Helper()
	dir := os.Getenv("PHONEME_TEXTGRID_OUT")
	if dir == "" {
		return
	}
	p := filepath.Join(dir, "eval-"+strings.ReplaceAll(t.Name()+"-"+name, "/", "-")+".TextGrid")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func ExampleWriteLabels() {
	t61 := labels.TIMIT61()
	sil, _ := t61.Index("h#")
	sh, _ := t61.Index("sh")
	l := &Labelling{
		Name: "sa1", SampleRate: 16000, NumSamples: 4000, Phones: t61.Names(),
		Segments:   []labels.Segment{{Start: 0, End: 1600, Phone: sil}, {Start: 1600, End: 3840, Phone: sh}},
		Confidence: []float64{0.97, 0.61},
	}
	if err := WriteLabels(os.Stdout, FormatCTM, l); err != nil {
		panic(err)
	}
	// Output:
	// sa1 1 0 0.1 h# 0.9700
	// sa1 1 0.1 0.14 sh 0.6100
}
