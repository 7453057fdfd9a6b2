package train

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/phoneme/phoneme/tbptt"
)

// K2Schedule is a curriculum on k2: the truncation length in force in each
// epoch (0-based), for training that starts with short back-propagation and
// lengthens it. Two forms are parsed (ParseK2Schedule):
//
//   - steps "1@0,5@2,20@4,all@8": k2 = 1 from epoch 0, 5 from epoch 2, 20
//     from epoch 4 and All from epoch 8 on. The first step must be at epoch
//     0 and epochs must increase. Steps may also be separated by "/"
//     ("1@0/5@2/20@4"), which fits inside a comparison's comma-separated
//     schedule list.
//   - a linear ramp "1-20@0-8" (or "ramp:1-20@0-8"): k2 = 1 up to epoch 0,
//     20 from epoch 8 on, and round(1 + 19·(e−0)/8) in between (1, 3, 6, 8,
//     11, 13, 15, 18, 20). A ramp's ends are numbers, not All.
//
// The zero K2Schedule is empty: IsZero reports it, and K2At returns All.
type K2Schedule struct {
	steps []k2Step // steps form; nil for a ramp
	ramp  *k2Ramp
}

type k2Step struct{ k2, epoch int }

type k2Ramp struct{ from, to, e0, e1 int }

// ParseK2Schedule parses the steps or ramp form of a k2 curriculum (see
// K2Schedule). Errors name the faulty part.
func ParseK2Schedule(s string) (K2Schedule, error) {
	text := strings.TrimSpace(s)
	if text == "" {
		return K2Schedule{}, fmt.Errorf("k2 schedule: empty")
	}
	body := strings.TrimPrefix(text, "ramp:")
	isRamp := body != text
	if !isRamp && !strings.ContainsAny(text, ",/") {
		// A single "a-b@e0-e1" is a ramp; a single "k@e" is one step.
		k, _, _ := strings.Cut(text, "@")
		isRamp = strings.Contains(k, "-")
	}
	if isRamp {
		r, err := parseRamp(body)
		if err != nil {
			return K2Schedule{}, fmt.Errorf("k2 schedule %q: %w", s, err)
		}
		return K2Schedule{ramp: &r}, nil
	}
	sep := ","
	if strings.Contains(text, "/") {
		if strings.Contains(text, ",") {
			return K2Schedule{}, fmt.Errorf("k2 schedule %q: separate steps by \",\" or by \"/\", not both", s)
		}
		sep = "/"
	}
	var steps []k2Step
	for i, part := range strings.Split(text, sep) {
		part = strings.TrimSpace(part)
		ks, es, ok := strings.Cut(part, "@")
		if !ok {
			return K2Schedule{}, fmt.Errorf("k2 schedule %q: step %q: want K2@EPOCH, e.g. 5@2", s, part)
		}
		k2, err := tbptt.ParseK2(ks)
		if err != nil {
			return K2Schedule{}, fmt.Errorf("k2 schedule %q: step %q: %w", s, part, err)
		}
		e, err := strconv.Atoi(es)
		if err != nil || e < 0 {
			return K2Schedule{}, fmt.Errorf("k2 schedule %q: step %q: epoch %q must be a number ≥ 0", s, part, es)
		}
		switch {
		case i == 0 && e != 0:
			return K2Schedule{}, fmt.Errorf("k2 schedule %q: the first step must be at epoch 0 (k2 must be known from the start), not %d", s, e)
		case i > 0 && e <= steps[i-1].epoch:
			return K2Schedule{}, fmt.Errorf("k2 schedule %q: step %q: epochs must increase (%d after %d)", s, part, e, steps[i-1].epoch)
		}
		steps = append(steps, k2Step{k2, e})
	}
	return K2Schedule{steps: steps}, nil
}

// parseRamp parses "a-b@e0-e1".
func parseRamp(s string) (k2Ramp, error) {
	ks, es, ok := strings.Cut(s, "@")
	if !ok {
		return k2Ramp{}, fmt.Errorf("ramp: want FROM-TO@EPOCH-EPOCH, e.g. 1-20@0-8")
	}
	pair := func(s, what string, min int) (int, int, error) {
		a, b, ok := strings.Cut(s, "-")
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		if !ok || errA != nil || errB != nil || x < min || y < min {
			return 0, 0, fmt.Errorf("ramp %s %q: want two numbers ≥ %d joined by \"-\" (a ramp cannot end at all; use steps)", what, s, min)
		}
		return x, y, nil
	}
	from, to, err := pair(ks, "k2", 1)
	if err != nil {
		return k2Ramp{}, err
	}
	e0, e1, err := pair(es, "epochs", 0)
	if err != nil {
		return k2Ramp{}, err
	}
	if e1 <= e0 {
		return k2Ramp{}, fmt.Errorf("ramp epochs %q: the last epoch must come after the first", es)
	}
	return k2Ramp{from, to, e0, e1}, nil
}

// IsZero reports whether k is the empty schedule.
func (k K2Schedule) IsZero() bool { return k.steps == nil && k.ramp == nil }

// K2At returns the k2 in force in the given 0-based epoch (All for the
// empty schedule).
func (k K2Schedule) K2At(epoch int) int {
	if r := k.ramp; r != nil {
		switch {
		case epoch <= r.e0:
			return r.from
		case epoch >= r.e1:
			return r.to
		}
		f := float64(r.from) + float64(r.to-r.from)*float64(epoch-r.e0)/float64(r.e1-r.e0)
		return max(1, int(math.Round(f)))
	}
	k2 := tbptt.All
	for _, s := range k.steps {
		if s.epoch > epoch {
			break
		}
		k2 = s.k2
	}
	return k2
}

// String returns the canonical form: steps joined by ",", or a ramp
// "a-b@e0-e1". ParseK2Schedule reads it back.
func (k K2Schedule) String() string {
	if r := k.ramp; r != nil {
		return fmt.Sprintf("%d-%d@%d-%d", r.from, r.to, r.e0, r.e1)
	}
	parts := make([]string, len(k.steps))
	for i, s := range k.steps {
		parts[i] = tbptt.K2String(s.k2) + "@" + strconv.Itoa(s.epoch)
	}
	return strings.Join(parts, ",")
}

// validateK2Schedule checks the k2 curriculum of c (Config.Validate).
func (c Config) validateK2Schedule() error {
	if c.K2Schedule == "" {
		return nil
	}
	if _, err := ParseK2Schedule(c.K2Schedule); err != nil {
		return err
	}
	if c.Schedule == tbptt.KindSentence {
		return fmt.Errorf("k2 schedule %q: needs the frame or tbptt schedule (sentence always back-propagates to the sentence start)", c.K2Schedule)
	}
	return nil
}

// applyK2Schedule puts the k2 that the curriculum gives the current epoch
// in force, replacing the engine when it changes. The engine keeps no
// state between sentence groups, so this does not disturb an exact resume.
func (r *run) applyK2Schedule() error {
	if r.cfg.K2Schedule == "" {
		return nil
	}
	ks, err := ParseK2Schedule(r.cfg.K2Schedule)
	if err != nil {
		return err
	}
	s := r.eng.Schedule()
	s.K2 = ks.K2At(r.st.Epoch)
	if s == r.eng.Schedule() {
		return nil
	}
	e, err := tbptt.NewEngine(r.model, s, r.cfg.TargetDelay, r.cfg.Batch)
	if err != nil {
		return fmt.Errorf("k2 schedule %q in epoch %d: %w", r.cfg.K2Schedule, r.st.Epoch+1, err)
	}
	r.eng = e
	r.useEngineCores()
	return nil
}
