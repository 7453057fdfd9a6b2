package compare

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	gplot "gonum.org/v1/plot"

	"github.com/phoneme/phoneme/internal/plot"
)

// CurveSeries turns the learning curves of runs into one series per
// schedule (in order of first appearance): at each epoch the mean over
// seeds of x and of y, with a min–max band of y over seeds. Epochs reached
// by only some seeds are averaged over those; NaN values are left out.
func CurveSeries(runs []RunRecord, x, y func(CurvePoint) float64) []plot.Series {
	type acc struct{ xs, ys []float64 }
	var order []string
	bySched := map[string]map[int]*acc{}
	for _, r := range runs {
		m, ok := bySched[r.Schedule]
		if !ok {
			m = map[int]*acc{}
			bySched[r.Schedule] = m
			order = append(order, r.Schedule)
		}
		for _, pt := range r.Curve {
			xv, yv := x(pt), y(pt)
			if math.IsNaN(xv) || math.IsNaN(yv) {
				continue
			}
			a := m[pt.Epoch]
			if a == nil {
				a = &acc{}
				m[pt.Epoch] = a
			}
			a.xs = append(a.xs, xv)
			a.ys = append(a.ys, yv)
		}
	}
	out := make([]plot.Series, 0, len(order))
	for _, name := range order {
		m := bySched[name]
		s := plot.Series{Name: name}
		for _, e := range sortedKeys(m) {
			a := m[e]
			s.X = append(s.X, mean(a.xs))
			s.Y = append(s.Y, mean(a.ys))
			s.Lo = append(s.Lo, slices.Min(a.ys))
			s.Hi = append(s.Hi, slices.Max(a.ys))
		}
		out = append(out, s)
	}
	return out
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func seedNote(runs []RunRecord) string {
	seeds := map[uint64]bool{}
	for _, r := range runs {
		seeds[r.Seed] = true
	}
	if len(seeds) < 2 {
		return ""
	}
	return fmt.Sprintf(" (mean of %d seeds, band min–max)", len(seeds))
}

// DevFERByEpoch plots dev FER (percent) against epoch, one line per
// schedule.
func DevFERByEpoch(runs []RunRecord) (*gplot.Plot, error) {
	return plot.Lines(CurveSeries(runs,
		func(p CurvePoint) float64 { return float64(p.Epoch) },
		func(p CurvePoint) float64 { return 100 * p.DevFER }),
		plot.LineOptions{Title: "Dev frame error rate" + seedNote(runs), XLabel: "epoch", YLabel: "dev FER (%)"})
}

// DevFERByTime plots dev FER (percent) against training wall-clock time.
func DevFERByTime(runs []RunRecord) (*gplot.Plot, error) {
	return plot.Lines(CurveSeries(runs,
		func(p CurvePoint) float64 { return p.WallSeconds },
		func(p CurvePoint) float64 { return 100 * p.DevFER }),
		plot.LineOptions{Title: "Dev frame error rate against time" + seedNote(runs), XLabel: "wall-clock seconds", YLabel: "dev FER (%)"})
}

// LossByUpdates plots the mean training loss per frame against the number
// of weight updates, on a log x axis since schedules differ by orders of
// magnitude in updates per epoch.
func LossByUpdates(runs []RunRecord) (*gplot.Plot, error) {
	return plot.Lines(CurveSeries(runs,
		func(p CurvePoint) float64 { return float64(p.Updates) },
		func(p CurvePoint) float64 { return p.TrainLoss }),
		plot.LineOptions{Title: "Training loss" + seedNote(runs), XLabel: "weight updates", YLabel: "loss per frame (nats)", LogX: true})
}

// sortedKeys returns the keys of m in order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
