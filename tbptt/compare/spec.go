package compare

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/train"
)

// A Spec is one entry of a comparison's schedule list: a schedule
// and the training options that this run changes from the shared ones.
//
// The list syntax (ParseSpecs) is
//
//	list    = entry { "," entry }
//	entry   = name { ":" option }
//	name    = "sentence" | "frame" | "tbptt"
//	option  = key "=" value | flag
//
// The schedule keys are k1 (a number ≥ 1), k2 (a number ≥ 1 or "all") and
// truncation (window, per-error or chunk), as tbptt.ParseSchedule takes them;
// the bare flags window, per-error and chunk set the truncation. Every
// option that train.Options marks PerEntry may be given too, overriding the
// shared value for this entry only, with that option's validation (the bare
// flags peepholes, no-peepholes, shuffle and no-shuffle too); k2-schedule's
// steps are separated by "/" since "," separates entries
// (frame:k2-schedule=1@0/5@2/20@4, or a ramp: tbptt:k1=20:k2-schedule=1-20@0-8).
// seed and resume are not options of an entry: seeds are
// given once for the whole comparison, and resuming is automatic.
//
// Examples:
//
//	sentence,frame:k2=1,frame:k2=20,tbptt:k1=20:k2=20,tbptt:k1=5:k2=20
//	tbptt:k1=20:k2=5:per-error,tbptt:k1=20:k2=5:truncation=chunk
//	sentence:lr=0.01,frame:k2=all:optimizer=sgd:lr=1e-5:momentum=0.9
//
// Spaces around entries are ignored; a key may appear once per entry.
type Spec struct {
	Text     string // the entry as given, trimmed: the name of its table row
	Schedule tbptt.Schedule
	Options  []Option // the non-schedule options, in the order given
}

// Option is one training option of a Spec.
type Option struct {
	Key, Value string
}

// specFlags are the bare words an entry accepts, with the option each
// stands for.
var specFlags = map[string]Option{
	"window":       {"truncation", "window"},
	"per-error":    {"truncation", "per-error"},
	"chunk":        {"truncation", "chunk"},
	"peepholes":    {"peepholes", "true"},
	"no-peepholes": {"peepholes", "false"},
	"shuffle":      {"shuffle", "true"},
	"no-shuffle":   {"shuffle", "false"},
}

// ParseSpecs parses a comma-separated list of schedule entries (see
// Spec for the syntax). Errors name the entry and the option.
func ParseSpecs(list string) ([]Spec, error) {
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("empty schedule list")
	}
	var specs []Spec
	for i, text := range strings.Split(list, ",") {
		text = strings.TrimSpace(text)
		if text == "" {
			return nil, fmt.Errorf("schedule list %q: entry %d is empty", list, i+1)
		}
		s, err := parseSpec(text)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return specs, nil
}

func parseSpec(text string) (Spec, error) {
	parts := strings.Split(text, ":")
	spec := Spec{Text: text}
	var k1 int
	var k2, trunc string
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		opt, ok := specFlags[p]
		if !ok {
			key, val, found := strings.Cut(p, "=")
			if !found || key == "" || val == "" {
				return Spec{}, fmt.Errorf("schedule %q: bad option %q (want key=value or one of window, per-error, chunk, peepholes, shuffle, no-peepholes, no-shuffle)", text, p)
			}
			opt = Option{key, val}
		}
		if seen[opt.Key] {
			return Spec{}, fmt.Errorf("schedule %q: %s given twice", text, opt.Key)
		}
		seen[opt.Key] = true
		switch opt.Key {
		case "k1":
			n, err := strconv.Atoi(opt.Value)
			if err != nil || n < 1 {
				return Spec{}, fmt.Errorf("schedule %q: k1 = %q: must be a number ≥ 1", text, opt.Value)
			}
			k1 = n
		case "k2":
			k2 = opt.Value
		case "truncation":
			trunc = opt.Value
		default:
			var probe train.Config
			if err := setOption(&probe, opt); err != nil {
				return Spec{}, fmt.Errorf("schedule %q: %w", text, err)
			}
			spec.Options = append(spec.Options, opt)
		}
	}
	s, err := tbptt.ParseSchedule(tbptt.Kind(parts[0]), k1, k2, trunc)
	if err != nil {
		return Spec{}, fmt.Errorf("schedule %q: %w", text, err)
	}
	spec.Schedule = s
	return spec, nil
}

// Apply returns base with the schedule and options of s.
func (s Spec) Apply(base train.Config) (train.Config, error) {
	c := base
	c.SetSchedule(s.Schedule)
	for _, o := range s.Options {
		if err := setOption(&c, o); err != nil {
			return train.Config{}, fmt.Errorf("schedule %q: %w", s.Text, err)
		}
	}
	return c, nil
}

// has reports whether s sets the option key.
func (s Spec) has(key string) bool {
	for _, o := range s.Options {
		if o.Key == key {
			return true
		}
	}
	return false
}

// ErrSeedPerEntry: a schedule entry tried to set the seed, which a
// comparison gives once for every entry.
var ErrSeedPerEntry = errors.New("seed is not a per-schedule option: a comparison's seeds are given once, for every entry")

// setOption sets one training option of c from its schedule-list form:
// any option that train.Options marks PerEntry.
func setOption(c *train.Config, o Option) error {
	switch o.Key {
	case "seed":
		return ErrSeedPerEntry
	case "resume":
		return fmt.Errorf("resume is not an option: an interrupted comparison resumes when the same command is run again")
	}
	opt, ok := train.LookupOption(o.Key)
	if !ok || !opt.PerEntry {
		return fmt.Errorf("unknown option %q", o.Key)
	}
	return opt.Set(c, o.Value)
}
