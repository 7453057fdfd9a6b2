package compare

import (
	"slices"
	"strings"
	"testing"
)

func TestArraySpec(t *testing.T) {
	for _, tc := range []struct {
		tasks []int
		limit int
		want  string
	}{
		{[]int{0, 1, 2, 3}, 0, "0-3"},
		{[]int{0, 1, 2, 3}, 2, "0-3%2"},
		{[]int{4}, 0, "4"},
		{[]int{0, 2, 3, 4, 7, 9, 10}, 5, "0,2-4,7,9-10%5"},
	} {
		if got := ArraySpec(tc.tasks, tc.limit); got != tc.want {
			t.Errorf("ArraySpec(%v, %d) = %q, want %q", tc.tasks, tc.limit, got, tc.want)
		}
	}
}

func TestSplitOptions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"--partition=gpu --time=2:00:00", []string{"--partition=gpu", "--time=2:00:00"}, ""},
		{"-p gpu -t 2:00:00 --mem 4G", []string{"-p gpu", "-t 2:00:00", "--mem 4G"}, ""},
		{`--comment 'two words' --job-name="a b"`, []string{"--comment 'two words'", "'--job-name=a b'"}, ""},
		{`--comment a\ b`, []string{"--comment 'a b'"}, ""},
		{"gpu", nil, `"gpu" is not an option`},
		{"--comment 'open", nil, "unterminated '"},
		{"--array=0-3", nil, "--array is set by phoneme"},
		{"-a 1", nil, "-a is set by phoneme"},
		{"--output=x", nil, "--output is set by phoneme"},
		{"-o x", nil, "-o is set by phoneme"},
		{"--dependency=afterok:1", nil, "--dependency is set by phoneme"},
		{"-A myaccount --exclusive", []string{"-A myaccount", "--exclusive"}, ""},
	} {
		got, err := SplitOptions(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("SplitOptions(%q): error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SplitOptions(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzSplitOptions: any text is split or refused, never panics, and every
// #SBATCH line it yields starts with an option.
func FuzzSplitOptions(f *testing.F) {
	for _, s := range []string{"-p gpu --time 1:00", `--comment "a \" b" --x='y z'`, "a\\", "'", `"`, "--mem=4G\t-N 2\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines, err := SplitOptions(s)
		if err != nil {
			return
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "'-") {
				t.Errorf("SplitOptions(%q): line %q is not an option", s, l)
			}
		}
	})
}
