package compare

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"

	"github.com/phoneme/phoneme/internal/plot"
	"github.com/phoneme/phoneme/tbptt/train"
)

// Tuning. With a grid (Config.Tune), every schedule runs at every grid
// point with every seed; per schedule, the point with the lowest mean dev
// FER-61 over seeds is chosen, and only its runs enter the results table.
// A learning rate that suits one schedule can be far from right for
// another (with Adam, a schedule with 300× more updates per epoch moves the
// weights much further per epoch), so a comparison at one shared value
// ranks the step size as much as the schedule.

// A TuneKey is one tuned option and the values it takes, as text that the
// option's own validation (train.Options) accepts.
type TuneKey struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// ErrTuneKey reports a --tune key that cannot be tuned.
var ErrTuneKey = errors.New("not a tunable option")

// ParseTune parses "key=v1,v2,…". The key is any training option that a
// schedule entry may override, except the schedule's own k1, k2 and
// truncation (those define entries); every value is checked by the option.
func ParseTune(s string) (TuneKey, error) {
	name, list, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.TrimSpace(list) == "" {
		return TuneKey{}, fmt.Errorf("tune %q: want key=value,value,…", s)
	}
	opt, found := train.LookupOption(name)
	if !found || !opt.PerEntry || name == "k1" || name == "k2" || name == "truncation" {
		return TuneKey{}, fmt.Errorf("tune %q: %q is %w (any option a schedule entry may set, but k1, k2 and truncation, which make entries)", s, name, ErrTuneKey)
	}
	k := TuneKey{Name: name}
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		c := train.DefaultConfig()
		if err := opt.Set(&c, v); err != nil {
			return TuneKey{}, fmt.Errorf("tune %q: %w", s, err)
		}
		if slices.Contains(k.Values, v) {
			return TuneKey{}, fmt.Errorf("tune %q: %s given twice", s, v)
		}
		k.Values = append(k.Values, v)
	}
	return k, nil
}

// A Setting is one tuned option's value at a grid point.
type Setting struct{ Key, Value string }

// A GridPoint is one combination of tuned values, in the order of the keys.
type GridPoint []Setting

// String is "lr=0.001" or "lr=0.001:momentum=0.9"; "" for no tuning.
func (p GridPoint) String() string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = s.Key + "=" + s.Value
	}
	return strings.Join(parts, ":")
}

// Grid returns every combination of the keys' values, the first key
// varying slowest; with no keys, one empty point.
func Grid(keys []TuneKey) []GridPoint {
	points := []GridPoint{nil}
	for _, k := range keys {
		var next []GridPoint
		for _, p := range points {
			for _, v := range k.Values {
				next = append(next, append(slices.Clone(p), Setting{k.Name, v}))
			}
		}
		points = next
	}
	return points
}

// apply sets the point's options in c.
func (p GridPoint) apply(c *train.Config) error {
	for _, s := range p {
		opt, _ := train.LookupOption(s.Key)
		if err := opt.Set(c, s.Value); err != nil {
			return err
		}
	}
	return nil
}

// A TuningRow is one (schedule, grid point) of a tuned comparison.
type TuningRow struct {
	Schedule string
	Point    GridPoint
	// Dev FER-61 and FER-39 of the best-dev checkpoints (fractions): mean
	// and sample standard deviation over the seeds that finished.
	DevFER61, DevFER61SD, DevFER39, DevFER39SD float64
	Seeds                                      int
	Chosen                                     bool
	// Edge names the tuned keys whose chosen value is the smallest or the
	// largest of the key's numeric values: the optimum may lie outside the
	// grid. Next is the value to try next for each, in the same order.
	Edge, Next []string
}

// Tune groups the records by schedule and grid point, and marks per
// schedule the point with the lowest mean dev FER-61 (the first such point
// on ties); keys give the grid, to find edges.
func Tune(records []RunRecord, keys []TuneKey) []TuningRow {
	type group struct {
		row  *TuningRow
		runs []*RunRecord
	}
	index := map[string]*group{}
	var groups []*group
	for i := range records {
		r := &records[i]
		id := r.Schedule + "\x00" + r.Point.String()
		g, ok := index[id]
		if !ok {
			g = &group{row: &TuningRow{Schedule: r.Schedule, Point: r.Point}}
			index[id] = g
			groups = append(groups, g)
		}
		g.runs = append(g.runs, r)
	}
	// The table's summary: mean and sample sd over the seeds with a value
	// (a failed run's NaN is left out); no sd from one seed.
	meanSD := func(runs []*RunRecord, value func(*RunRecord) float64) (mean, sd float64, n int) {
		st := summarise(runs, value)
		if st.N < 2 {
			st.SD = math.NaN()
		}
		return st.Mean, st.SD, st.N
	}
	best := map[string]*TuningRow{}
	var order []string
	for _, g := range groups {
		r := g.row
		r.DevFER61, r.DevFER61SD, r.Seeds = meanSD(g.runs, func(r *RunRecord) float64 { return r.DevFER })
		r.DevFER39, r.DevFER39SD, _ = meanSD(g.runs, func(r *RunRecord) float64 { return r.DevFER39 })
		b, ok := best[r.Schedule]
		if !ok {
			order = append(order, r.Schedule)
		}
		if r.Seeds > 0 && (!ok || b.Seeds == 0 || r.DevFER61 < b.DevFER61) {
			best[r.Schedule] = r
		}
	}
	for _, s := range order {
		b := best[s]
		if b.Seeds == 0 {
			continue
		}
		b.Chosen = true
		for _, set := range b.Point {
			for _, k := range keys {
				if k.Name != set.Key {
					continue
				}
				if next, edge := edgeOf(k.Values, set.Value); edge {
					b.Edge = append(b.Edge, k.Name)
					b.Next = append(b.Next, next)
				}
			}
		}
	}
	out := make([]TuningRow, len(groups))
	for i, g := range groups {
		out[i] = *g.row
	}
	return out
}

// edgeOf reports whether v is the smallest or largest of the numeric
// values and, if so, the next value to try: one more step of the grid's
// spacing beyond it (a ratio when all values are positive, as learning
// rates are; a difference otherwise). Grids of one value, or of words,
// have no edge.
func edgeOf(values []string, v string) (next string, edge bool) {
	var xs []float64
	for _, s := range values {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return "", false
		}
		xs = append(xs, x)
	}
	if len(xs) < 2 {
		return "", false
	}
	x, _ := strconv.ParseFloat(v, 64)
	slices.Sort(xs)
	lo, hi := xs[0], xs[len(xs)-1]
	if x != lo && x != hi {
		return "", false
	}
	positive := lo > 0
	var n float64
	switch {
	case x == hi && positive:
		n = hi * hi / xs[len(xs)-2]
	case x == hi:
		n = hi + (hi - xs[len(xs)-2])
	case positive:
		n = lo * lo / xs[1]
	default:
		n = lo - (xs[1] - lo)
	}
	return strconv.FormatFloat(n, 'g', 2, 64), true
}

// EdgeNotes are the sentences that warn of chosen values at the edge of
// the grid, one per (schedule, key).
func EdgeNotes(rows []TuningRow) []string {
	var notes []string
	for _, r := range rows {
		for i, k := range r.Edge {
			v := ""
			for _, s := range r.Point {
				if s.Key == k {
					v = s.Value
				}
			}
			notes = append(notes, fmt.Sprintf("%s: %s = %s is at the edge of the grid, so the best value may lie outside it; try %s = %s next",
				r.Schedule, k, v, k, r.Next[i]))
		}
	}
	return notes
}

// WriteTuningCSV writes tuning.csv: schedule, one column per tuned key,
// dev FER-61 and FER-39 mean and sd over seeds (percent), seeds, chosen and
// edge.
func WriteTuningCSV(w io.Writer, rows []TuningRow, keys []TuneKey) error {
	var b strings.Builder
	b.WriteString("schedule")
	for _, k := range keys {
		b.WriteString("," + k.Name)
	}
	b.WriteString(",dev_fer61_mean,dev_fer61_sd,dev_fer39_mean,dev_fer39_sd,seeds,chosen,edge\n")
	pc := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(100*x, 'f', 4, 64)
	}
	for _, r := range rows {
		b.WriteString(csvField(r.Schedule))
		for _, k := range keys {
			v := ""
			for _, s := range r.Point {
				if s.Key == k.Name {
					v = s.Value
				}
			}
			b.WriteString("," + csvField(v))
		}
		fmt.Fprintf(&b, ",%s,%s,%s,%s,%d,%t,%t\n", pc(r.DevFER61), pc(r.DevFER61SD), pc(r.DevFER39), pc(r.DevFER39SD),
			r.Seeds, r.Chosen, len(r.Edge) > 0)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// TuningPlot draws mean dev FER-61 (percent) against the first tuned key,
// one line per schedule, the other keys held at that schedule's chosen
// values, with a band of ± one sd over seeds; a log x axis when all values
// are positive (learning rates). It returns nil when the first key's
// values are not numbers.
func TuningPlot(rows []TuningRow, keys []TuneKey) (*gplot.Plot, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	key := keys[0].Name
	chosen := map[string]GridPoint{}
	var order []string
	for _, r := range rows {
		if _, ok := chosen[r.Schedule]; !ok {
			order = append(order, r.Schedule)
			chosen[r.Schedule] = nil
		}
		if r.Chosen {
			chosen[r.Schedule] = r.Point
		}
	}
	logX := true
	var series []plot.Series
	for _, s := range order {
		ser := plot.Series{Name: s}
		for _, r := range rows {
			if r.Schedule != s || r.Seeds == 0 || !sameOthers(r.Point, chosen[s], key) {
				continue
			}
			var x float64
			for _, set := range r.Point {
				if set.Key == key {
					v, err := strconv.ParseFloat(set.Value, 64)
					if err != nil {
						return nil, nil
					}
					x = v
				}
			}
			logX = logX && x > 0
			sd := r.DevFER61SD
			if math.IsNaN(sd) {
				sd = 0
			}
			ser.X = append(ser.X, x)
			ser.Y = append(ser.Y, 100*r.DevFER61)
			ser.Lo = append(ser.Lo, 100*(r.DevFER61-sd))
			ser.Hi = append(ser.Hi, 100*(r.DevFER61+sd))
		}
		sortSeries(&ser)
		series = append(series, ser)
	}
	return plot.Lines(series, plot.LineOptions{Title: "Dev frame error rate against " + key + " (mean ± sd over seeds)",
		XLabel: key, YLabel: "dev FER-61 (%)", LogX: logX})
}

// sameOthers reports whether p agrees with chosen on every key but key.
func sameOthers(p, chosen GridPoint, key string) bool {
	for i, s := range p {
		if s.Key != key && (i >= len(chosen) || chosen[i] != s) {
			return false
		}
	}
	return true
}

func sortSeries(s *plot.Series) {
	idx := make([]int, len(s.X))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(s.X[a], s.X[b]) })
	perm := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, j := range idx {
			out[i] = v[j]
		}
		return out
	}
	s.X, s.Y, s.Lo, s.Hi = perm(s.X), perm(s.Y), perm(s.Lo), perm(s.Hi)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
