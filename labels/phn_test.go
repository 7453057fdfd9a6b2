package labels

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func idx(name string) int {
	i, ok := TIMIT61().Index(name)
	if !ok {
		panic("no phone " + name)
	}
	return i
}

func TestParsePHN(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []Segment // nil: an error containing err is expected
		err  string
	}{
		{name: "timit", in: "0 3050 h#\n3050 4559 sh\n4559 5723 ix\n",
			want: []Segment{{0, 3050, idx("h#")}, {3050, 4559, idx("sh")}, {4559, 5723, idx("ix")}}},
		{name: "no final newline", in: "0 10 h#\n10 20 q",
			want: []Segment{{0, 10, idx("h#")}, {10, 20, idx("q")}}},
		{name: "crlf", in: "0 10 h#\r\n10 20 ax-h\r\n",
			want: []Segment{{0, 10, idx("h#")}, {10, 20, idx("ax-h")}}},
		{name: "trailing blank lines", in: "0 10 h#\n\n  \r\n",
			want: []Segment{{0, 10, idx("h#")}}},
		{name: "tabs and spaces", in: "0\t10   epi \n",
			want: []Segment{{0, 10, idx("epi")}}},
		{name: "gap", in: "0 10 h#\n15 20 pau\n",
			want: []Segment{{0, 10, idx("h#")}, {15, 20, idx("pau")}}},
		{name: "not from zero", in: "5 10 zh\n",
			want: []Segment{{5, 10, idx("zh")}}},

		{name: "empty", in: "", err: "empty file"},
		{name: "only blank", in: "\n\r\n", err: "empty file"},
		{name: "unknown label", in: "0 10 h#\n10 20 xx\n", err: `line 2: unknown phone "xx"`},
		{name: "upper case label", in: "0 10 AA\n", err: `line 1: unknown phone "AA"`},
		{name: "overlap", in: "0 10 h#\n9 20 aa\n", err: "line 2: segment starts at 9, overlapping the previous one that ends at 10"},
		{name: "reversed", in: "0 10 h#\n10 20 aa\n30 25 b\n", err: "line 3: reversed or empty segment 30 25"},
		{name: "empty segment", in: "10 10 aa\n", err: "line 1: reversed or empty"},
		{name: "two fields", in: "0 10\n", err: "line 1: 2 fields, want 3"},
		{name: "four fields", in: "0 10 aa bb\n", err: "line 1: 4 fields, want 3"},
		{name: "negative", in: "-5 10 aa\n", err: `line 1: start time "-5" is negative`},
		{name: "float time", in: "0 10.5 aa\n", err: `line 1: end time "10.5" is not a non-negative integer`},
		{name: "plus sign", in: "+0 10 aa\n", err: `line 1: start time "+0" is not`},
		{name: "overflow", in: "0 99999999999999999999999 aa\n", err: "line 1: end time \"99999999999999999999999\" is out of range"},
		{name: "blank line inside", in: "0 10 h#\n\n10 20 aa\n", err: "line 2: blank line between segments"},
		{name: "long line", in: "0 10 aa" + strings.Repeat(" ", 5000) + "\n", err: "line 1: line longer than"},
		{name: "binary", in: "RIFF\x00\x00\x00\x00WAVEfmt ", err: "line 1: 1 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePHN(strings.NewReader(tc.in))
			if tc.want == nil {
				if err == nil {
					t.Fatalf("accepted %q: %v", tc.in, got)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %q, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParsePHNReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("0 10 h#\n"), iotest.ErrReader(boom))
	if _, err := ParsePHN(r); !errors.Is(err, boom) {
		t.Fatalf("error %v, want it to wrap %v", err, boom)
	}
}

func TestCheckEnd(t *testing.T) {
	segs := []Segment{{0, 100, 0}, {100, 205, 1}}
	for _, tc := range []struct {
		samples, tol int
		err          string
	}{
		{205, 0, ""},
		{300, 0, ""},
		{204, 1, ""},
		{45, 160, ""},
		{204, 0, "line 2: segment ends at sample 205, 1 samples past the end of the audio (204 samples; tolerance 0)"},
		{44, 160, "line 2: segment ends at sample 205, 161 samples past"},
		{50, -3, "line 1: segment ends at sample 100"},
	} {
		err := CheckEnd(segs, tc.samples, tc.tol)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("CheckEnd(%d, %d): %v", tc.samples, tc.tol, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("CheckEnd(%d, %d) = %v, want %q", tc.samples, tc.tol, err, tc.err)
		}
	}
}

// FuzzParsePHN checks that any input is either rejected or yields segments
// that satisfy every documented invariant, and that the accepted segments
// print back to a file that parses to the same segments.
func FuzzParsePHN(f *testing.F) {
	for _, s := range []string{
		"0 3050 h#\n3050 4559 sh\n4559 5723 ix\n", "0 10 h#\r\n10 20 ax-h\r\n", "0 10 h#\n\n",
		"0 10 h#\n15 20 pau\n", "", "0 10 h#\n9 20 aa\n", "30 25 b\n", "0 10\n", "-5 10 aa\n",
		"0 10.5 aa\n", "0 10 h#\n\n10 20 aa\n", "0 10 xx\n", "0 99999999999999999999 aa\n",
	} {
		f.Add(s)
	}
	set := TIMIT61()
	f.Fuzz(func(t *testing.T, in string) {
		segs, err := ParsePHN(strings.NewReader(in))
		if err != nil {
			if segs != nil {
				t.Fatal("segments returned with an error")
			}
			return
		}
		if len(segs) == 0 {
			t.Fatal("accepted with no segments")
		}
		var b strings.Builder
		for i, s := range segs {
			if s.Start < 0 || s.End <= s.Start || s.Phone < 0 || s.Phone >= NumPhones {
				t.Fatalf("segment %d invalid: %+v", i, s)
			}
			if i > 0 && s.Start < segs[i-1].End {
				t.Fatalf("segment %d overlaps: %+v after %+v", i, s, segs[i-1])
			}
			fmt.Fprintf(&b, "%d %d %s\n", s.Start, s.End, set.Name(s.Phone))
		}
		again, err := ParsePHN(strings.NewReader(b.String()))
		if err != nil || !slices.Equal(again, segs) {
			t.Fatalf("round trip: %v, %v; want %v", again, err, segs)
		}
	})
}
