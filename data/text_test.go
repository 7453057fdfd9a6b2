package data

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/features"
)

func TestReadText(t *testing.T) {
	tests := []struct {
		name, in string
		want     []TextEntry
		err      string // substring of the error; "" for none
	}{
		{name: "two lines", in: "a_1 h# aa zh h#\nb_2 q pau\n", want: []TextEntry{
			{"a_1", []int32{27, 0, 60, 27}}, {"b_2", []int32{46, 44}},
		}},
		{name: "CRLF and extra blanks", in: "a_1  h#\tsh \r\n", want: []TextEntry{{"a_1", []int32{27, 49}}}},
		{name: "no final newline", in: "a_1 ax-h", want: []TextEntry{{"a_1", []int32{6}}}},
		{name: "empty file", in: "", want: nil},
		{name: "blank line", in: "a_1 aa\n\nb_1 aa\n", err: "line 2: blank line"},
		{name: "no phones", in: "a_1 aa\nb_1\n", err: "line 2: utterance b_1 has no phones"},
		{name: "unknown phone", in: "a_1 aa sil\n", err: `line 1: utterance a_1: unknown phone "sil"`},
		{name: "upper case", in: "a_1 AA\n", err: `unknown phone "AA"`},
		{name: "repeated utterance", in: "a_1 aa\na_1 ae\n", err: "line 2: utterance a_1 appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadText(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTextRoundTrip: WriteTextLine writes what ReadText reads back.
func TestTextRoundTrip(t *testing.T) {
	var b strings.Builder
	in := []TextEntry{{"x_1", []int32{0, 60, 27, 46}}, {"x_2", []int32{6}}}
	for _, e := range in {
		if err := WriteTextLine(&b, e.Utterance, e.Phones); err != nil {
			t.Fatal(err)
		}
	}
	if b.String() != "x_1 aa zh h# q\nx_2 ax-h\n" {
		t.Errorf("written %q", b.String())
	}
	out, err := ReadText(strings.NewReader(b.String()))
	if err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("read back %v, %v", out, err)
	}
}

// TestLoadSplitText: a split without text (extracted before it existed)
// loads, and CheckText says what is missing; a text that does not match
// feats.scp is refused.
func TestLoadSplitText(t *testing.T) {
	out, _ := extractTo(t, testCorpus(), ExtractOptions{Features: features.DefaultConfig()})
	dir := filepath.Join(out, Test)
	s, err := LoadSplit(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckText(); err != nil {
		t.Fatalf("fresh split: %v", err)
	}
	orig, err := os.ReadFile(filepath.Join(dir, TextFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(orig), "\n"), "\n")
	for _, c := range []struct{ name, text, err string }{
		{"missing line", strings.Join(lines[1:], ""), "no phones for utterance " + s.Sentences[0].ID},
		{"extra line", string(orig) + "zz_9 aa\n", "7 utterances, feats.scp has 6"},
		{"bad phone", strings.Replace(string(orig), " h#", " hash", 1), `unknown phone "hash"`},
	} {
		if err := os.WriteFile(filepath.Join(dir, TextFile), []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadSplit(dir); err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), filepath.Join(dir, TextFile)) {
			t.Errorf("%s: error %v, want one naming the file and %q", c.name, err, c.err)
		}
	}
	if err := os.Remove(filepath.Join(dir, TextFile)); err != nil {
		t.Fatal(err)
	}
	old, err := LoadSplit(dir)
	if err != nil {
		t.Fatalf("a split without text must still load: %v", err)
	}
	err = old.CheckText()
	if !errors.Is(err, ErrNoText) || !strings.Contains(err.Error(), filepath.Join(dir, TextFile)) || !strings.Contains(err.Error(), "re-run phoneme extract") {
		t.Errorf("CheckText without text: %v", err)
	}
}

func FuzzReadText(f *testing.F) {
	f.Add("a_1 h# aa zh h#\nb_2 q pau\n")
	f.Add("a_1 aa\n\nb_1 aa\n")
	f.Add("a_1\r\n")
	f.Add("a_1 ax-h x\n")
	f.Fuzz(func(t *testing.T, in string) {
		es, err := ReadText(strings.NewReader(in))
		if err != nil {
			return
		}
		// What parses writes back to text that parses to the same entries.
		var b strings.Builder
		seen := map[string]bool{}
		for _, e := range es {
			if len(e.Phones) == 0 || seen[e.Utterance] || strings.ContainsAny(e.Utterance, " \t\n\r") {
				t.Fatalf("accepted entry %+v", e)
			}
			seen[e.Utterance] = true
			for _, p := range e.Phones {
				if p < 0 || p >= 61 {
					t.Fatalf("phone index %d", p)
				}
			}
			if err := WriteTextLine(&b, e.Utterance, e.Phones); err != nil {
				t.Fatal(err)
			}
		}
		again, err := ReadText(strings.NewReader(b.String()))
		if err != nil || !reflect.DeepEqual(again, es) {
			t.Fatalf("round trip: %v, %v", again, err)
		}
	})
}
