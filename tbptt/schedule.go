package tbptt

import (
	"fmt"
	"strconv"
	"strings"
)

// Truncation says where each error's back-propagation window starts (rule 2
// of the package documentation).
type Truncation int

const (
	// Window is Williams & Peng's BPTT(h; h'): all errors of an update share
	// the window of the last k2 frames; errors before it reach only their
	// own frame.
	Window Truncation = iota
	// PerError gives every error its own window of k2 frames.
	PerError
	// Chunk is the detached-state practice of PyTorch, Keras and Lightning:
	// like Window, but no window reaches before the previous update.
	Chunk
)

var truncationNames = [...]string{Window: "window", PerError: "per-error", Chunk: "chunk"}

// String returns the command-line name of t.
func (t Truncation) String() string {
	if t >= 0 && int(t) < len(truncationNames) {
		return truncationNames[t]
	}
	return fmt.Sprintf("Truncation(%d)", int(t))
}

// ParseTruncation parses "window", "per-error" or "chunk"; "" means Window.
func ParseTruncation(s string) (Truncation, error) {
	if s == "" {
		return Window, nil
	}
	for t, name := range truncationNames {
		if s == name {
			return Truncation(t), nil
		}
	}
	return 0, fmt.Errorf("unknown truncation %q (want window, per-error or chunk)", s)
}

// All as k1 means "at the sentence's end" and as k2 "to the sentence start".
const All = 0

// Schedule is a weight-update schedule TBPTT(K1, K2): an update every K1
// frames of a sentence and at its last frame, each error back-propagated
// through at most K2 frames as Truncation says. K1 = All is one update per
// sentence; K2 = All reaches the sentence start.
type Schedule struct {
	Kind       Kind
	K1, K2     int
	Truncation Truncation
}

// A Kind is one of the named schedules. Its value is its name, so that
// configurations, checkpoints and resume files written as text keep the
// words they always had; the zero Kind is unset.
type Kind string

const (
	KindSentence Kind = "sentence" // TBPTT(n, n): one update per sentence, full BPTT
	KindFrame    Kind = "frame"    // TBPTT(1, k2): an update every frame
	KindTBPTT    Kind = "tbptt"    // TBPTT(k1, k2)
)

// ParseKind returns the schedule kind called name.
func ParseKind(name string) (Kind, error) {
	switch k := Kind(name); k {
	case KindSentence, KindFrame, KindTBPTT:
		return k, nil
	}
	return "", fmt.Errorf("unknown schedule %q (want sentence, frame or tbptt)", name)
}

// Sentence returns the schedule TBPTT(n, n): one update per sentence with
// full back-propagation through time.
func Sentence() Schedule { return Schedule{Kind: KindSentence, K1: All, K2: All} }

// ParseSchedule builds a schedule from command-line values:
//
//   - "sentence": TBPTT(n, n); k1 and k2 must be unset.
//   - "frame": TBPTT(1, k2), k2 = all unless given; k1 must be unset or 1.
//   - "tbptt": TBPTT(k1, k2); k1 is required, k2 defaults to k1.
//
// k1 = 0 means unset. k2 is a positive number, "all", or "" for unset.
// truncation is "window" (or ""), "per-error" or "chunk".
func ParseSchedule(name Kind, k1 int, k2, truncation string) (Schedule, error) {
	tr, err := ParseTruncation(truncation)
	if err != nil {
		return Schedule{}, err
	}
	if k1 < 0 || k1 > MaxK {
		return Schedule{}, fmt.Errorf("k1 = %d: must be in 1 … %d", k1, MaxK)
	}
	k2v, k2set, err := parseK2Flag(k2)
	if err != nil {
		return Schedule{}, err
	}
	s := Schedule{Kind: name, Truncation: tr}
	switch name {
	case KindSentence:
		if k1 != 0 || k2set {
			return Schedule{}, fmt.Errorf("schedule sentence takes no k1 or k2 (it is TBPTT(n, n))")
		}
		s.K1, s.K2 = All, All
	case KindFrame:
		if k1 != 0 && k1 != 1 {
			return Schedule{}, fmt.Errorf("schedule frame updates every frame: k1 = %d is not allowed (use tbptt)", k1)
		}
		s.K1, s.K2 = 1, All
		if k2set {
			s.K2 = k2v
		}
	case KindTBPTT:
		if k1 == 0 {
			return Schedule{}, fmt.Errorf("schedule tbptt needs k1 ≥ 1")
		}
		s.K1, s.K2 = k1, k1
		if k2set {
			s.K2 = k2v
		}
	default:
		return Schedule{}, fmt.Errorf("unknown schedule %q (want sentence, frame or tbptt)", name)
	}
	return s, s.Validate()
}

// MaxK bounds k1 and k2: 1000 s of speech at 10 ms a frame, longer than any
// sentence, so larger values mean nothing more and would only allocate.
const MaxK = 100000

// ParseK2 parses a k2 value: a number ≥ 1 or "all".
func ParseK2(s string) (int, error) {
	if s == "all" {
		return All, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxK {
		return 0, fmt.Errorf("k2 %q must be a number in 1 … %d or \"all\"", s, MaxK)
	}
	return n, nil
}

// parseK2Flag parses a k2 value: a number ≥ 1 or "all"; "" is unset.
func parseK2Flag(s string) (k2 int, set bool, err error) {
	switch s {
	case "":
		return All, false, nil
	case "all":
		return All, true, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false, fmt.Errorf("k2 = %q: want a number or \"all\"", s)
	}
	if n < 1 || n > MaxK {
		return 0, false, fmt.Errorf("k2 = %d: must be in 1 … %d (or \"all\")", n, MaxK)
	}
	return n, true, nil
}

// ParseSpec parses the compact form written by String, as used in
// comparison lists: "sentence", "frame", "frame:k2=1",
// "tbptt:k1=20:k2=all", "tbptt:k1=3:k2=5:truncation=per-error".
func ParseSpec(spec string) (Schedule, error) {
	parts := strings.Split(spec, ":")
	var k1 int
	var k2, trunc string
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		key, val, ok := strings.Cut(p, "=")
		if !ok || val == "" || seen[key] {
			return Schedule{}, fmt.Errorf("schedule %q: bad option %q", spec, p)
		}
		seen[key] = true
		switch key {
		case "k1":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return Schedule{}, fmt.Errorf("schedule %q: k1 = %q: must be a number ≥ 1", spec, val)
			}
			k1 = n
		case "k2":
			k2 = val
		case "truncation":
			trunc = val
		default:
			return Schedule{}, fmt.Errorf("schedule %q: unknown option %q", spec, key)
		}
	}
	s, err := ParseSchedule(Kind(parts[0]), k1, k2, trunc)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// Validate checks the fields of s.
func (s Schedule) Validate() error {
	if s.K1 < 0 {
		return fmt.Errorf("k1 = %d: must be at least 1", s.K1)
	}
	if s.K2 < 0 {
		return fmt.Errorf("k2 = %d: must be at least 1", s.K2)
	}
	if s.Truncation < Window || s.Truncation > Chunk {
		return fmt.Errorf("unknown truncation %d", int(s.Truncation))
	}
	switch s.Kind {
	case KindSentence:
		if s.K1 != All || s.K2 != All {
			return fmt.Errorf("schedule sentence is TBPTT(n, n)")
		}
	case KindFrame:
		if s.K1 != 1 {
			return fmt.Errorf("schedule frame has k1 = 1")
		}
	case KindTBPTT:
	default:
		return fmt.Errorf("unknown schedule %q (want sentence, frame or tbptt)", s.Kind)
	}
	return nil
}

// String returns the compact form parsed by ParseSpec, e.g.
// "tbptt:k1=20:k2=20" or "frame:k2=all:truncation=per-error".
func (s Schedule) String() string {
	var b strings.Builder
	b.WriteString(string(s.Kind))
	if s.Kind != KindSentence {
		if s.Kind != KindFrame {
			fmt.Fprintf(&b, ":k1=%s", K2String(s.K1))
		}
		fmt.Fprintf(&b, ":k2=%s", K2String(s.K2))
	}
	if s.Truncation != Window {
		fmt.Fprintf(&b, ":truncation=%s", s.Truncation)
	}
	return b.String()
}

// K2String renders k2 with 0 as "all".
func K2String(k2 int) string {
	if k2 == All {
		return "all"
	}
	return strconv.Itoa(k2)
}

// K1String renders k1 with 0 (an update at each sentence's end) as "n",
// the sentence length in TBPTT(n, n).
func K1String(k1 int) string {
	if k1 == All {
		return "n"
	}
	return strconv.Itoa(k1)
}
