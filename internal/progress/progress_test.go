package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock lets the test step time so that rendering is deterministic.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "extract", 100, "utts")
	clk := &fakeClock{t: b.start}
	b.now = clk.now
	b.Add(10) // no time has passed: nothing written
	if buf.Len() != 0 {
		t.Fatalf("wrote %q before the interval", buf.String())
	}
	clk.t = clk.t.Add(11 * time.Second)
	b.Add(12)
	got := buf.String()
	for _, want := range []string{"extract: 22/100 utts", "2 utts/s", "ETA 0:39", "[0:11]"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "\r") {
		t.Errorf("plain output has a carriage return: %q", got)
	}
	clk.t = clk.t.Add(time.Second)
	b.Add(78)
	b.Done()
	b.Done() // idempotent
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "100/100 utts") || strings.Contains(lines[1], "ETA") {
		t.Errorf("final lines %q", lines)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0"}, {9999, "9999"}, {10_000, "10k"}, {1_500_000, "1.5M"}, {25_000_000, "25M"}} {
		if got := count(c.n); got != c.want {
			t.Errorf("count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "0:00"}, {61 * time.Second, "1:01"}, {3725 * time.Second, "1:02:05"}} {
		if got := clock(c.d); got != c.want {
			t.Errorf("clock(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestQuiet(t *testing.T) {
	b := Quiet()
	b.Add(5)
	b.Done()
}
