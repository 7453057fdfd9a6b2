package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// csvCorner is the top-left cell of a confusion CSV: rows are references,
// columns hypotheses.
const csvCorner = `ref\hyp`

// csvUnmapped heads the column of Confusion.Unmapped (hypotheses with no
// class in the set, e.g. q after folding to 39 classes).
const csvUnmapped = "(none)"

// WriteCSV writes c as CSV: a header row of hypothesis labels, then one row
// per reference label starting with that label. A last column "(none)"
// holding Unmapped is written only when some frame is unmapped.
func (c *Confusion) WriteCSV(w io.Writer) error {
	unmapped := false
	for _, v := range c.Unmapped {
		unmapped = unmapped || v != 0
	}
	cw := csv.NewWriter(w)
	rec := append([]string{csvCorner}, c.Labels...)
	if unmapped {
		rec = append(rec, csvUnmapped)
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for r, name := range c.Labels {
		rec = rec[:0]
		rec = append(rec, name)
		for _, v := range c.Row(r) {
			rec = append(rec, strconv.FormatInt(v, 10))
		}
		if unmapped {
			rec = append(rec, strconv.FormatInt(c.Unmapped[r], 10))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadConfusionCSV reads a confusion matrix written by WriteCSV. The row
// labels must repeat the column labels in order; counts must be
// non-negative integers. Errors name the 1-based CSV line.
func ReadConfusionCSV(r io.Reader) (*Confusion, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty confusion CSV")
		}
		return nil, err
	}
	if len(head) < 2 || head[0] != csvCorner {
		return nil, fmt.Errorf("line 1: header must start with %q and name at least one class", csvCorner)
	}
	names := append([]string(nil), head[1:]...)
	unmapped := names[len(names)-1] == csvUnmapped
	if unmapped {
		names = names[:len(names)-1]
	}
	if len(names) == 0 {
		return nil, errors.New("line 1: no class labels")
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || seen[n] {
			return nil, fmt.Errorf("line 1: empty or repeated label %q", n)
		}
		seen[n] = true
	}
	c := NewConfusion(names)
	for i := range names {
		rec, err := cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("line %d: missing row %q", i+2, names[i])
			}
			return nil, err
		}
		if rec[0] != names[i] {
			return nil, fmt.Errorf("line %d: row label %q, want %q", i+2, rec[0], names[i])
		}
		for j, f := range rec[1:] {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("line %d: column %d: bad count %q", i+2, j+2, f)
			}
			if j < len(names) {
				c.Add(i, j, v)
			} else {
				c.Unmapped[i] = v
			}
		}
	}
	if _, err := cr.Read(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line %d: extra rows after %d classes", len(names)+2, len(names))
	}
	return c, nil
}
