//go:build integration

package labels

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/internal/sharedtest"
)

// TestFoldingMatchesSharedTable checks the embedded 61→48→39 table against
// the TSV it was taken from, row by row.
func TestFoldingMatchesSharedTable(t *testing.T) {
	path := filepath.Join(sharedtest.Dir(t), "timit", "phones-61-48-39.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	set, f48, f39 := TIMIT61(), Fold48(), Fold39()
	rows := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 {
			t.Fatalf("%s: bad row %q", path, sc.Text())
		}
		p, ok := set.Index(cols[0])
		if !ok || p != rows {
			t.Fatalf("row %d: phone %q has index %d, %v", rows, cols[0], p, ok)
		}
		for _, c := range []struct {
			fold *Folding
			want string
		}{{f48, cols[1]}, {f39, cols[2]}} {
			got := "-"
			if k := c.fold.Class(p); k != Unfolded {
				got = c.fold.To.Name(k)
			}
			if got != c.want {
				t.Errorf("%s folds to %s, table says %s", cols[0], got, c.want)
			}
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows != NumPhones {
		t.Fatalf("%d rows, want %d", rows, NumPhones)
	}
}

// TestParseSamplePHN parses every .phn file of the shared TIMIT sample.
func TestParseSamplePHN(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sharedtest.Dir(t), "corpora", "timit-sample", "*", "*.phn"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("found %d .phn files in the TIMIT sample, want 120", len(files))
	}
	seen := map[int]bool{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		segs, err := ParsePHN(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, s := range segs {
			seen[s.Phone] = true
			if i > 0 && s.Start != segs[i-1].End {
				t.Errorf("%s: gap before line %d (TIMIT has none)", name, i+1)
			}
		}
		if segs[0].Start != 0 || segs[0].Phone != idx("h#") {
			t.Errorf("%s: does not start with h# at 0", name)
		}
	}
	// The 120 sample utterances use all 61 phones.
	if len(seen) != NumPhones {
		t.Errorf("sample uses %d phones, want %d", len(seen), NumPhones)
	}
}
