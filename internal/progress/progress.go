// Package progress renders the progress of long work: a bar with rate and
// ETA on a terminal, and a plain log line every few seconds otherwise, so
// that logs captured by CI or redirected to a file stay readable.
//
// The work itself never prints: it reports counts, and the command that
// started it owns a Bar. A Bar is safe for concurrent use.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Bar shows how far a piece of work has got.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	unit     string
	total    int64
	n        int64
	start    time.Time
	last     time.Time // last render
	tty      bool
	every    time.Duration
	width    int
	done     bool
	now      func() time.Time
	lastLine int
}

// New returns a Bar writing to w for work of total units (0 if unknown).
// When w is a terminal the bar is redrawn in place at most ten times a
// second; otherwise one line is written every ten seconds and at Done.
func New(w io.Writer, label string, total int64, unit string) *Bar {
	b := &Bar{w: w, label: label, unit: unit, total: total, now: time.Now, width: 80}
	if IsTerminal(w) {
		b.tty = true
		b.every = 100 * time.Millisecond
		if cols, _, err := term.GetSize(int(w.(*os.File).Fd())); err == nil && cols > 20 {
			b.width = cols
		}
	} else {
		b.every = 10 * time.Second
	}
	b.start = b.now()
	b.last = b.start
	return b
}

// IsTerminal reports whether w is a terminal, where progress is redrawn in
// place rather than logged line by line.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Quiet returns a Bar that shows nothing, for callers that want no output.
func Quiet() *Bar { return New(io.Discard, "", 0, "") }

// Add records n more units of finished work.
func (b *Bar) Add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n += n
	if t := b.now(); t.Sub(b.last) >= b.every {
		b.last = t
		b.render(t, false)
	}
}

// Done finishes the bar: the terminal line is completed and a final plain
// line is written with the total and the mean rate.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	b.render(b.now(), true)
}

func (b *Bar) render(t time.Time, final bool) {
	if b.w == io.Discard {
		return
	}
	el := t.Sub(b.start)
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(b.n) / s
	}
	stats := fmt.Sprintf("%s %s, %s/s", count(b.n), b.unit, count(int64(rate)))
	if b.total > 0 {
		stats = fmt.Sprintf("%s/%s %s, %s %s/s", count(b.n), count(b.total), b.unit, count(int64(rate)), b.unit)
		if !final && rate > 0 && b.n < b.total {
			eta := time.Duration(float64(b.total-b.n) / rate * float64(time.Second))
			stats += ", ETA " + clock(eta)
		}
	}
	stats += " [" + clock(el) + "]"
	if !b.tty {
		fmt.Fprintf(b.w, "%s: %s\n", b.label, stats)
		return
	}
	line := b.label + " " + stats
	if b.total > 0 {
		barw := b.width - len(b.label) - len(stats) - 12
		if barw > 40 {
			barw = 40
		}
		if barw >= 10 {
			frac := min(float64(b.n)/float64(b.total), 1)
			full := int(frac * float64(barw))
			line = fmt.Sprintf("%s [%s%s] %3.0f%% %s", b.label, strings.Repeat("=", full), strings.Repeat(" ", barw-full), 100*frac, stats)
		}
	}
	pad := ""
	if n := b.lastLine - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	b.lastLine = len(line)
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(b.w, "\r%s%s%s", line, pad, end)
}

// count formats n with k/M suffixes for the eye.
func count(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	default:
		return fmt.Sprint(n)
	}
}

// clock formats d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
