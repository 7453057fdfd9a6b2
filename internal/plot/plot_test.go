package plot

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/labels"
)

// pixelSize is the PNG size in pixels of a plot of the given size: gonum
// renders PNG at 96 dots per inch.
func pixelSize(l vg.Length) int { return int(math.Round(l.Dots(96))) }

func checkPNG(t *testing.T, p *plot.Plot, w, h vg.Length) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, p, w, h, "png"); err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != pixelSize(w) || cfg.Height != pixelSize(h) {
		t.Errorf("png %d×%d, want %d×%d", cfg.Width, cfg.Height, pixelSize(w), pixelSize(h))
	}
	img, _ := png.Decode(bytes.NewReader(buf.Bytes()))
	// Not blank: a rendered plot has many distinct colours.
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	if len(seen) < 8 {
		t.Errorf("png has only %d colours", len(seen))
	}
}

func checkSVG(t *testing.T, p *plot.Plot, w, h vg.Length) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, p, w, h, "svg"); err != nil {
		t.Fatal(err)
	}
	var root struct {
		XMLName xml.Name
		Width   string `xml:"width,attr"`
		Height  string `xml:"height,attr"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &root); err != nil {
		t.Fatalf("svg does not parse: %v", err)
	}
	if root.XMLName.Local != "svg" || root.Width == "" || root.Height == "" || buf.Len() < 1000 {
		t.Errorf("svg root %v %s×%s, %d bytes", root.XMLName, root.Width, root.Height, buf.Len())
	}
}

func TestLinePlotLogAndErrors(t *testing.T) {
	// Issue 7's horizon plot: gradient norm against lag on a log y axis,
	// with a zero norm that a log axis cannot show.
	lag := []float64{0, 1, 2, 5, 10, 20, 50, 100}
	norm := []float64{1, 0.5, 0.3, 0.1, 0.01, 1e-3, 1e-5, 0}
	p, err := Lines([]Series{{Name: "‖∂L/∂c‖", X: lag, Y: norm, Lo: make([]float64, len(lag)), Hi: norm}},
		LineOptions{Title: "horizon", XLabel: "lag", YLabel: "norm", LogY: true})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p, Width, Height)
	if _, err := Lines([]Series{{Name: "x", X: []float64{1, 2}, Y: []float64{1}}}, LineOptions{}); err == nil {
		t.Error("accepted mismatched lengths")
	}
	if _, err := Lines([]Series{{Name: "x", X: []float64{1}, Y: []float64{-1}}}, LineOptions{LogY: true}); err == nil {
		t.Error("accepted a plot with nothing drawable")
	}
}

func TestConfusionPlot(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := eval.NewConfusion61()
	for r := range labels.NumPhones {
		if r == 20 { // eng: leave a row empty
			continue
		}
		c.Add(r, r, 50+int64(rng.IntN(50)))
		for range 5 {
			c.Add(r, rng.IntN(labels.NumPhones), int64(rng.IntN(20)))
		}
	}
	f, _ := c.Fold(labels.Fold39())
	for _, tt := range []struct {
		c    *eval.Confusion
		size vg.Length
	}{{c, ConfusionSize61}, {f, ConfusionSize39}} {
		p, err := Confusion(tt.c.Labels, tt.c.Counts, tt.c.Unmapped, "confusion")
		if err != nil {
			t.Fatal(err)
		}
		checkPNG(t, p, tt.size, tt.size)
		checkSVG(t, p, tt.size, tt.size)
	}
	if _, err := Confusion([]string{"a", "b"}, []int64{1, 2, 3}, nil, "bad"); err == nil {
		t.Error("accepted 3 counts for 2 classes")
	}
	if dir := os.Getenv("EVAL_PLOT_DIR"); dir != "" { // for looking at them
		p, _ := Confusion(c.Labels, c.Counts, c.Unmapped, "61")
		Save(p, filepath.Join(dir, "conf61.png"), ConfusionSize61, ConfusionSize61)
		p, _ = Confusion(f.Labels, f.Counts, f.Unmapped, "39")
		Save(p, filepath.Join(dir, "conf39.png"), ConfusionSize39, ConfusionSize39)
	}
}

func TestSavePlot(t *testing.T) {
	p, err := Lines([]Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{3, 1, 2}}}, LineOptions{Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"a.png", "a.svg"} {
		path := filepath.Join(dir, name)
		if err := Save(p, path, Width, Height); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := Save(p, filepath.Join(dir, "a.gif"), Width, Height); err == nil {
		t.Error("accepted .gif")
	}
}

func TestLogTicks(t *testing.T) {
	labelled := func(ticks []plot.Tick) []string {
		var out []string
		for _, tk := range ticks {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	tests := []struct {
		lo, hi float64
		want   []string
	}{
		{1e-5, 1, []string{"1e-05", "0.0001", "0.001", "0.01", "0.1", "1"}},
		{1, 100, []string{"1", "10", "100"}},
		{2, 30, []string{"2", "5", "10", "20"}},                               // about a decade: 2 and 5 too
		{1e-9, 10, []string{"1e-09", "1e-07", "1e-05", "0.001", "0.1", "10"}}, // many decades: every other
	}
	for _, tt := range tests {
		got := labelled(logTicks(tt.lo, tt.hi))
		if !slices.Equal(got, tt.want) {
			t.Errorf("logTicks(%g, %g) labels %v, want %v", tt.lo, tt.hi, got, tt.want)
		}
	}
	if logTicks(0, 1) != nil {
		t.Error("ticks for a range including 0")
	}
}

// TestLinesLogAxisBadBands: bands whose bounds are zero, negative or
// infinite on a log axis (a saturated network's gradient norms underflow
// to 0) are drawn at the line instead of making gonum's log scale panic.
func TestLinesLogAxisBadBands(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4}
	y := []float64{1, 1e-3, 1e-30, 0, 1e-300}
	lo := []float64{0, -1, 0, 0, math.Inf(-1)}
	hi := []float64{2, 0, math.Inf(1), 0, -5}
	p, err := Lines([]Series{{Name: "norm", X: x, Y: y, Lo: lo, Hi: hi}}, LineOptions{Title: "t", LogY: true})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p, Width, Height)
	checkSVG(t, p, Width, Height)
}
