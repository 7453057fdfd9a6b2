package plot

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// confusionGrid presents a row-normalised confusion matrix to
// plotter.HeatMap: column c is hypothesis c (the last column, when present,
// the unmapped hypotheses), and grid row r is reference n−1−r so that the
// first reference label is drawn at the top. Every cell is repeated up×up
// times: the rasterised heat map is an image of one pixel per grid cell
// that the PNG canvas scales bilinearly, which would blur cells into each
// other; at up pixels per cell the blur is confined to a thin edge.
type confusionGrid struct {
	z    []float64 // n × cols, reference-major
	n    int
	cols int
	up   int
}

func (g confusionGrid) Dims() (c, r int) { return g.cols * g.up, g.n * g.up }
func (g confusionGrid) Z(c, r int) float64 {
	return g.z[(g.n-1-r/g.up)*g.cols+c/g.up]
}
func (g confusionGrid) X(c int) float64 { return (float64(c)+0.5)/float64(g.up) - 0.5 }
func (g confusionGrid) Y(r int) float64 { return (float64(r)+0.5)/float64(g.up) - 0.5 }

// noGlyphs hides the heat map's glyph boxes: HeatMap returns one empty box
// per grid cell (a million after upsampling), which only slows the layout.
type noGlyphs struct{ *plotter.HeatMap }

func (noGlyphs) GlyphBoxes(*plot.Plot) []plot.GlyphBox { return nil }

// sequential is a white → dark blue palette: empty cells stay white and
// the diagonal of a good classifier stands out.
type sequential []color.Color

func (p sequential) Colors() []color.Color { return p }

func newSequential(n int) sequential {
	p := make(sequential, n)
	for i := range p {
		t := float64(i) / float64(n-1)
		// Ease so that small confusion rates (a few percent) are visible.
		t = math.Sqrt(t)
		lerp := func(a, b float64) uint8 { return uint8(math.Round(a + (b-a)*t)) }
		p[i] = color.NRGBA{R: lerp(255, 8), G: lerp(255, 48), B: lerp(255, 107), A: 255}
	}
	return p
}

// Confusion draws a confusion matrix as a heat map: counts is n×n, row
// major (reference × hypothesis), unmapped (nil or n long) the frames per
// reference whose hypothesis has no class. It is drawn, each reference row divided by its
// total so that cells read as "share of frames of this phone classified
// as…". References run down the y axis, hypotheses along the x axis; a last
// column "(none)" shows unmapped hypotheses when there are any. Rows with no
// frames are drawn grey.
func Confusion(names []string, counts, unmapped []int64, title string) (*plot.Plot, error) {
	n := len(names)
	if len(counts) != n*n || (unmapped != nil && len(unmapped) != n) {
		return nil, fmt.Errorf("confusion plot %q: %d counts and %d unmapped for %d classes", title, len(counts), len(unmapped), n)
	}
	if n == 0 {
		return nil, fmt.Errorf("confusion plot %q: no classes", title)
	}
	hasUnmapped := false
	for _, v := range unmapped {
		hasUnmapped = hasUnmapped || v != 0
	}
	cols := n
	if hasUnmapped {
		cols++
	}
	// About 1000 image pixels across: finer than the PNG plot area.
	g := confusionGrid{z: make([]float64, n*cols), n: n, cols: cols, up: max(1, (1000+cols-1)/cols)}
	for r := range n {
		var tot int64
		for _, k := range counts[r*n : (r+1)*n] {
			tot += k
		}
		if unmapped != nil {
			tot += unmapped[r]
		}
		for h := range cols {
			v := math.NaN()
			if tot > 0 {
				var k int64
				if h < n {
					k = counts[r*n+h]
				} else {
					k = unmapped[r]
				}
				v = float64(k) / float64(tot)
			}
			g.z[r*cols+h] = v
		}
	}
	hm := plotter.NewHeatMap(g, newSequential(256))
	hm.Min, hm.Max = 0, 1
	hm.NaN = color.Gray{Y: 215}
	// Drawn as vector rectangles, neighbouring cells show hairline seams in
	// PNG; a raster image does not.
	hm.Rasterized = true

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "hypothesis"
	p.Y.Label.Text = "reference"
	p.Add(noGlyphs{hm})
	p.X.Min, p.X.Max = -0.5, float64(cols)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5

	xt := make([]plot.Tick, cols)
	for i := range xt {
		name := "(none)"
		if i < n {
			name = names[i]
		}
		xt[i] = plot.Tick{Value: float64(i), Label: name}
	}
	yt := make([]plot.Tick, n)
	for i := range yt {
		yt[i] = plot.Tick{Value: float64(n - 1 - i), Label: names[i]}
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	size := vg.Points(8)
	if n > 45 {
		size = vg.Points(7)
	}
	p.X.Tick.Label.Font.Size = size
	p.Y.Tick.Label.Font.Size = size
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = -1 // text.XRight for the rotated label
	p.X.Tick.Label.YAlign = -0.5
	return p, nil
}
