package data

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/labels"
)

// kaldiOrder is another phone order, as a Kaldi recipe's phones.txt would
// have it: the TIMIT phones sorted with silence first.
func kaldiOrder() []string {
	p := labels.TIMIT61().Names()
	slices.SortFunc(p, func(a, b string) int {
		if a == "h#" {
			return -1
		}
		if b == "h#" {
			return 1
		}
		return strings.Compare(a, b)
	})
	return p
}

// rewriteAli rewrites dir/ali.ark with every label mapped to its phone's
// index in order.
func rewriteAli(t *testing.T, dir string, s *Split, order []string) {
	t.Helper()
	idx := map[string]int32{}
	for i, p := range order {
		idx[p] = int32(i)
	}
	f, err := os.Create(filepath.Join(dir, "ali.ark"))
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	ark := NewArkWriter(bw)
	for _, sent := range s.Sentences {
		lab := make([]int32, len(sent.Labels))
		for i, y := range sent.Labels {
			lab[i] = y
			if y != labels.Excluded {
				lab[i] = idx[labels.TIMIT61().Name(int(y))]
			}
		}
		if _, err := ark.WriteInt32Vector(sent.ID, lab); err != nil {
			t.Fatal(err)
		}
	}
	if err := ark.Flush(); err != nil || bw.Flush() != nil || f.Close() != nil {
		t.Fatal(err)
	}
}

// TestLoadSplitPhoneOrder: an ali.ark written with another phone order is
// refused, with or without a phones.txt to match, naming the first phone
// that differs.
func TestLoadSplitPhoneOrder(t *testing.T) {
	out, _ := extractTo(t, testCorpus(), ExtractOptions{Jobs: 2})
	dir := filepath.Join(out, Train)
	s, err := LoadSplit(dir)
	if err != nil {
		t.Fatal(err)
	}
	order := kaldiOrder()

	// Relabelled in Kaldi's order, phones.txt left alone.
	rewriteAli(t, dir, s, order)
	_, err = LoadSplit(dir)
	if err == nil || !strings.Contains(err.Error(), "ali.ark: ") || !strings.Contains(err.Error(), "another phone order") {
		t.Fatalf("ali.ark in another order: %v", err)
	}
	t.Log(err)
	// Training streams the split (labels kept compact in the Archives): the
	// same check.
	if sp, err := OpenSplit(dir); err == nil || !strings.Contains(err.Error(), "another phone order") {
		if sp != nil && sp.Archives != nil {
			sp.Archives.Close()
		}
		t.Fatalf("ali.ark in another order, streamed: %v", err)
	}

	// And a phones.txt to match it, as a Kaldi recipe would ship.
	var b strings.Builder
	for i, p := range order {
		fmt.Fprintf(&b, "%s %d\n", p, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "phones.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSplit(dir)
	want := `phones.txt: line 1 is "h# 0", want "aa 0"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("phones.txt in another order: %v, want %q", err, want)
	}

	// Back in order: read again.
	rewriteAli(t, dir, s, labels.TIMIT61().Names())
	b.Reset()
	for i, p := range labels.TIMIT61().Names() {
		fmt.Fprintf(&b, "%s %d\n", p, i)
	}
	os.WriteFile(filepath.Join(dir, "phones.txt"), []byte(b.String()), 0o644)
	if _, err := LoadSplit(dir); err != nil {
		t.Fatalf("restored split: %v", err)
	}
	os.Remove(filepath.Join(dir, "phones.txt"))
	if _, err := LoadSplit(dir); err == nil || !strings.Contains(err.Error(), "phones.txt") {
		t.Fatalf("no phones.txt: %v", err)
	}
}
