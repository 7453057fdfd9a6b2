package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/phoneme/phoneme/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Default plot sizes: readable on screen at the PNG resolution (96 dpi)
// and in a README.
const (
	Width           = 18 * vg.Centimeter
	Height          = 11 * vg.Centimeter
	ConfusionSize61 = 26 * vg.Centimeter
	ConfusionSize39 = 20 * vg.Centimeter
)

// Series is one line of a line plot. Lo and Hi, when set, have the length
// of X and bound a shaded band around the line (e.g. min–max over seeds).
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
}

// LineOptions are the labels and scales of a line plot.
type LineOptions struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	// LegendBottom puts the legend at the bottom right instead of the top
	// right, for curves that rise.
	LegendBottom bool
}

// Lines draws series as lines with their bands, coloured and dashed by
// index so that they stay distinct in grey print. Points with a NaN
// coordinate are left out, as are points that cannot be shown on a log
// axis (≤ 0); a band bound that is not finite, or ≤ 0 on a log y axis, is
// drawn at the line.
func Lines(series []Series, o LineOptions) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = o.Title
	p.X.Label.Text = o.XLabel
	p.Y.Label.Text = o.YLabel
	if o.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.TickerFunc(logTicks)
	}
	if o.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.TickerFunc(logTicks)
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = !o.LegendBottom
	p.Legend.Padding = vg.Points(2)
	drawn := 0
	for i, s := range series {
		if len(s.Y) != len(s.X) || (s.Lo != nil && len(s.Lo) != len(s.X)) || (s.Hi != nil && len(s.Hi) != len(s.X)) {
			return nil, fmt.Errorf("plot %q: series %q has %d x, %d y, %d lo, %d hi values", o.Title, s.Name, len(s.X), len(s.Y), len(s.Lo), len(s.Hi))
		}
		var line, lo, hi plotter.XYs
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || (o.LogX && x <= 0) || (o.LogY && y <= 0) {
				continue
			}
			line = append(line, plotter.XY{X: x, Y: y})
			if s.Lo != nil && s.Hi != nil {
				// A bound that cannot be drawn is drawn at the line: NaN,
				// infinite, or (on a log axis) ≤ 0, which would make the
				// axis itself unscalable.
				l, h := s.Lo[j], s.Hi[j]
				if math.IsNaN(l) || math.IsInf(l, 0) || (o.LogY && l <= 0) {
					l = y
				}
				if math.IsNaN(h) || math.IsInf(h, 0) || (o.LogY && h <= 0) {
					h = y
				}
				lo = append(lo, plotter.XY{X: x, Y: l})
				hi = append(hi, plotter.XY{X: x, Y: h})
			}
		}
		if len(line) == 0 {
			continue
		}
		c := seriesColor(i)
		if len(lo) > 1 {
			ring := append(append(plotter.XYs{}, lo...), reversed(hi)...)
			band, err := plotter.NewPolygon(ring)
			if err != nil {
				return nil, fmt.Errorf("plot %q: band of %q: %w", o.Title, s.Name, err)
			}
			r, g, b, _ := c.RGBA()
			band.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 56}
			band.LineStyle.Width = 0
			p.Add(band)
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return nil, fmt.Errorf("plot %q: line of %q: %w", o.Title, s.Name, err)
		}
		l.Color = c
		l.Width = vg.Points(1.5)
		l.Dashes = plotutil.Dashes(i)
		p.Add(l)
		if len(line) == 1 { // a single point draws no line; mark it
			sc, _ := plotter.NewScatter(line)
			sc.Color = c
			sc.Shape = draw.CircleGlyph{}
			p.Add(sc)
		}
		p.Legend.Add(s.Name, l)
		drawn++
	}
	if drawn == 0 {
		return nil, fmt.Errorf("plot %q: nothing to draw", o.Title)
	}
	// Headroom for the legend, so it does not sit on the lines that start
	// high (learning curves fall from the top left).
	if !o.LogY && p.Y.Max > p.Y.Min {
		grow := 0.06 * float64(drawn) * (p.Y.Max - p.Y.Min)
		if o.LegendBottom {
			p.Y.Min -= grow
		} else {
			p.Y.Max += grow
		}
	}
	return p, nil
}

// logTicks marks every decade between min and max, labelled as 1e-05 …
// 1 … 1000 (plot.LogTicks prints 9.99…e-05 for some decades), with unlabelled
// minor ticks at 2…9 times each decade. Below 1.5 decades 2 and 5 times
// the decade are labelled too; over many decades, every other decade.
func logTicks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	k0, k1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	step := 1 + (k1-k0)/8
	few := math.Log10(hi/lo) < 1.5
	label := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var ticks []plot.Tick
	for k := k0; k <= k1; k++ {
		d := math.Pow10(k)
		for m := 1; m <= 9; m++ {
			v := float64(m) * d
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if (m == 1 && (k-k0)%step == 0) || (few && (m == 2 || m == 5)) {
				t.Label = label(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func reversed(xy plotter.XYs) plotter.XYs {
	out := append(plotter.XYs{}, xy...)
	slices.Reverse(out)
	return out
}

// Write renders p at the given size in format ("png", "svg", "pdf",
// "eps") to w.
func Write(w io.Writer, p *plot.Plot, width, height vg.Length, format string) error {
	wt, err := p.WriterTo(width, height, format)
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}

// Save writes p to path in the format named by its extension (.png,
// .svg, .pdf, .eps), through a temporary file.
func Save(p *plot.Plot, path string, width, height vg.Length) error {
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	switch format {
	case "png", "svg", "pdf", "eps":
	default:
		return fmt.Errorf("write %s: unknown plot format %q (want .png, .svg, .pdf or .eps)", path, filepath.Ext(path))
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error { return Write(w, p, width, height, format) })
}

// seriesColor returns the colour of the i-th series from the Okabe–Ito
// palette: eight colours told apart by colour-blind readers too, so a
// comparison of up to eight schedules never repeats a colour (plotutil's
// soft palette has five).
func seriesColor(i int) color.Color {
	okabeIto := [...]color.NRGBA{
		{0, 114, 178, 255},   // blue
		{213, 94, 0, 255},    // vermillion
		{0, 158, 115, 255},   // bluish green
		{230, 159, 0, 255},   // orange
		{204, 121, 167, 255}, // reddish purple
		{86, 180, 233, 255},  // sky blue
		{0, 0, 0, 255},       // black
		{240, 228, 66, 255},  // yellow
	}
	return okabeIto[i%len(okabeIto)]
}
