package tbptt

import (
	"fmt"
	"testing"
)

func TestParseSchedule(t *testing.T) {
	cases := []struct {
		name     string
		k1       int
		k2, trun string
		want     Schedule
		err      bool
	}{
		{"sentence", 0, "", "", Schedule{"sentence", All, All, Window}, false},
		{"frame", 0, "", "", Schedule{"frame", 1, All, Window}, false},
		{"frame", 0, "1", "", Schedule{"frame", 1, 1, Window}, false},
		{"frame", 1, "20", "per-error", Schedule{"frame", 1, 20, PerError}, false},
		{"tbptt", 20, "20", "", Schedule{"tbptt", 20, 20, Window}, false},
		{"tbptt", 20, "", "chunk", Schedule{"tbptt", 20, 20, Chunk}, false},
		{"tbptt", 5, "all", "window", Schedule{"tbptt", 5, All, Window}, false},
		{"tbptt", 5, "2", "window", Schedule{"tbptt", 5, 2, Window}, false}, // k2 < k1 is defined (rule 2)
		{"tbptt", 0, "5", "", Schedule{}, true},                             // k1 < 1
		{"tbptt", -1, "5", "", Schedule{}, true},
		{"tbptt", 3, "0", "", Schedule{}, true}, // k2 < 1
		{"tbptt", 3, "-2", "", Schedule{}, true},
		{"tbptt", 3, "x", "", Schedule{}, true},
		{"tbptt", 3, "3", "truncated", Schedule{}, true},
		{"epoch", 0, "", "", Schedule{}, true},
		{"sentence", 3, "", "", Schedule{}, true},
		{"sentence", 0, "all", "", Schedule{}, true},
		{"frame", 2, "", "", Schedule{}, true},
	}
	for _, c := range cases {
		got, err := ParseSchedule(Kind(c.name), c.k1, c.k2, c.trun)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseSchedule(%q, %d, %q, %q) = %+v, %v; want %+v, error %v", c.name, c.k1, c.k2, c.trun, got, err, c.want, c.err)
		}
		if err == nil {
			back, err := ParseSpec(got.String())
			if err != nil || back != got {
				t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", got.String(), back, err, got)
			}
		}
	}
}

func TestScheduleString(t *testing.T) {
	for _, c := range []struct {
		s    Schedule
		want string
	}{
		{Sentence(), "sentence"},
		{Schedule{"frame", 1, 1, Window}, "frame:k2=1"},
		{Schedule{"frame", 1, All, Window}, "frame:k2=all"},
		{Schedule{"tbptt", 3, 5, PerError}, "tbptt:k1=3:k2=5:truncation=per-error"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.s, got, c.want)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"sentence", "frame:k2=1", "tbptt:k1=20:k2=all:truncation=chunk", "tbptt:k1=0", "x:y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSpec(spec)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseSpec(%q) = %+v, invalid: %v", spec, s, err)
		}
		back, err := ParseSpec(s.String())
		if err != nil || back != s {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", spec, back, err, s)
		}
	})
}

func ExampleParseSchedule() {
	s, err := ParseSchedule("tbptt", 3, "5", "per-error")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s)
	_, err = ParseSchedule("tbptt", 0, "5", "")
	fmt.Println(err)
	// Output:
	// tbptt:k1=3:k2=5:truncation=per-error
	// schedule tbptt needs k1 ≥ 1
}
