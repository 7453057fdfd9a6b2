package train

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's option table from Options")

// TestREADMEOptions: the option table in the README is the one WriteOptionTable
// makes from Options, so the documentation cannot drift from the flags.
// go test ./tbptt/train -run TestREADMEOptions -update rewrites it.
func TestREADMEOptions(t *testing.T) {
	const path = "../../README.md"
	const begin, end = "<!-- options:begin -->\n", "<!-- options:end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q … %q section", path, strings.TrimSpace(begin), end)
	}
	var table strings.Builder
	WriteOptionTable(&table)
	if got := s[i+len(begin) : j]; got != table.String() {
		if *update {
			if err := os.WriteFile(path, []byte(s[:i+len(begin)]+table.String()+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s: the option table differs from train.Options; run go test ./tbptt/train -run TestREADMEOptions -update\ngot:\n%s\nwant:\n%s", path, got, table.String())
	}
}
