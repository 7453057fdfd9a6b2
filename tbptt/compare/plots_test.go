package compare

import (
	"bytes"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	gplot "gonum.org/v1/plot"

	"github.com/phoneme/phoneme/internal/plot"
)

// curveRuns makes three schedules × three seeds of plausible learning
// curves.
func curveRuns() []RunRecord {
	rng := rand.New(rand.NewPCG(1, 2))
	var runs []RunRecord
	for i, sched := range []string{"sentence", "frame:k2=1", "tbptt:k1=20:k2=20"} {
		for seed := uint64(1); seed <= 3; seed++ {
			r := RunRecord{Schedule: sched, Seed: seed}
			for e := range 8 {
				fer := 0.75*math.Exp(-float64(e+1)/(3+float64(i))) + 0.25 + 0.02*rng.Float64()
				r.Curve = append(r.Curve, CurvePoint{
					Epoch:       e + 1,
					WallSeconds: float64(e+1) * (10 + 5*float64(i)) * (1 + 0.05*rng.Float64()),
					Updates:     int64(e+1) * []int64{100, 30000, 1500}[i],
					TrainLoss:   4*math.Exp(-float64(e)/3) + 0.8,
					DevFER:      fer,
				})
			}
			runs = append(runs, r)
		}
	}
	return runs
}

func TestCurvePlots(t *testing.T) {
	runs := curveRuns()
	for name, mk := range map[string]func([]RunRecord) (*gplot.Plot, error){
		"epoch": DevFERByEpoch, "time": DevFERByTime, "loss": LossByUpdates,
	} {
		t.Run(name, func(t *testing.T) {
			p, err := mk(runs)
			if err != nil {
				t.Fatal(err)
			}
			checkPNG(t, p)
		})
	}
}

func TestCurveSeries(t *testing.T) {
	runs := []RunRecord{
		{Schedule: "a", Seed: 1, Curve: []CurvePoint{{Epoch: 1, DevFER: 0.5}, {Epoch: 2, DevFER: 0.4}}},
		{Schedule: "a", Seed: 2, Curve: []CurvePoint{{Epoch: 2, DevFER: 0.2}, {Epoch: 1, DevFER: 0.7}, {Epoch: 3, DevFER: math.NaN()}}},
		{Schedule: "b", Seed: 1, Curve: []CurvePoint{{Epoch: 1, DevFER: 0.9}}},
	}
	s := CurveSeries(runs, func(p CurvePoint) float64 { return float64(p.Epoch) }, func(p CurvePoint) float64 { return p.DevFER })
	if len(s) != 2 || s[0].Name != "a" || s[1].Name != "b" {
		t.Fatalf("series %+v", s)
	}
	// Means of two values; 1e-12 absorbs rounding of 0.1-multiples.
	const tol = 1e-12
	want := plot.Series{Name: "a", X: []float64{1, 2}, Y: []float64{0.6, 0.3}, Lo: []float64{0.5, 0.2}, Hi: []float64{0.7, 0.4}}
	for i := range want.X {
		if len(s[0].X) != 2 || s[0].X[i] != want.X[i] || math.Abs(s[0].Y[i]-want.Y[i]) > tol || s[0].Lo[i] != want.Lo[i] || s[0].Hi[i] != want.Hi[i] {
			t.Fatalf("series a = %+v, want %+v", s[0], want)
		}
	}
}

// checkPNG renders p as PNG and checks that it decodes (internal/plot's
// tests check sizes and content).
func checkPNG(t *testing.T, p *gplot.Plot) {
	t.Helper()
	var buf bytes.Buffer
	if err := plot.Write(&buf, p, plot.Width, plot.Height, "png"); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
}
