package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/phoneme/phoneme/internal/synth"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

// TestLearningRateSemantics backs the README's claim: with summed losses,
// one epoch of plain SGD moves the weights about as far under every
// schedule, while Adam, whose step is about lr per update, moves them much
// further when a schedule updates more often. Thresholds: SGD's distances
// within a factor 1.5 of each other (measured on this task: 0.99×);
// Adam's per-frame distance at least 3× the per-sentence one (measured:
// 19× here, 10× on the TIMIT sample, see the README).
func TestLearningRateSemantics(t *testing.T) {
	tr := synth.Split(3, 30, false)
	dist := func(opt OptimizerKind, lr float64, kind tbptt.Kind, k2 string) float64 {
		c := smallConfig()
		c.Schedule, c.K2, c.Optimizer, c.LR, c.Momentum, c.Epochs = kind, k2, opt, lr, 0, 1
		out := filepath.Join(t.TempDir(), "m.safetensors")
		if _, err := Run(context.Background(), c, tr, nil, out, Hooks{}); err != nil {
			t.Fatal(err)
		}
		m0, err := InitialModel(lstm.Config{Inputs: synth.Dim, Hidden: c.Hidden, Layers: 1, Outputs: labels.NumPhones}, c.Seed)
		if err != nil {
			t.Fatal(err)
		}
		var d2 float64
		for i, v := range loadParams(t, out) {
			d := float64(v - m0.Params()[i])
			d2 += d * d
		}
		return math.Sqrt(d2)
	}
	sgdS, sgdF := dist(OptSGD, 1e-3, tbptt.KindSentence, ""), dist(OptSGD, 1e-3, tbptt.KindFrame, "1")
	adamS, adamF := dist(OptAdam, 1e-3, tbptt.KindSentence, ""), dist(OptAdam, 1e-3, tbptt.KindFrame, "1")
	t.Logf("SGD: sentence %.4g, frame %.4g; Adam: sentence %.4g, frame %.4g", sgdS, sgdF, adamS, adamF)
	if r := sgdF / sgdS; r < 1/1.5 || r > 1.5 {
		t.Errorf("SGD moved %.3g× as far per frame as per sentence, want about 1", r)
	}
	if r := adamF / adamS; r < 3 {
		t.Errorf("Adam moved only %.3g× as far per frame as per sentence, want ≥ 3", r)
	}
}
