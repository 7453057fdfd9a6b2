package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/ref64"
)

// testConfigs covers one and two layers, with and without peepholes.
var testConfigs = []Config{
	{Inputs: 3, Hidden: 4, Layers: 1, Outputs: 5},
	{Inputs: 3, Hidden: 4, Layers: 1, Outputs: 5, Peepholes: true},
	{Inputs: 2, Hidden: 3, Layers: 2, Outputs: 4},
	{Inputs: 2, Hidden: 3, Layers: 2, Outputs: 4, Peepholes: true},
}

// testModel returns a model with weights drawn from U(−1, 1), larger than
// PyTorch's initialisation so that gradients reach far back in time and a
// wrong truncation shows.
func testModel(t testing.TB, c Config, seed uint64) *Model {
	rng := rand.New(rand.NewPCG(seed, 1))
	m, err := New(c, rng)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.params {
		m.params[i] = float32(2*rng.Float64() - 1)
	}
	return m
}

func randInputs(rng *rand.Rand, n, I int) []float32 {
	x := make([]float32, n*I)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func to64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

func TestLayout(t *testing.T) {
	c := Config{Inputs: 39, Hidden: 128, Layers: 2, Outputs: 61, Peepholes: true}
	want := 2*(4*128*128+2*4*128+3*128) + 4*128*39 + 4*128*128 + 61*128 + 61
	if got := c.NumParams(); got != want {
		t.Fatalf("NumParams = %d, want %d", got, want)
	}
	m := testModel(t, c, 1)
	if w := m.Tensor("lstm.weight_ih_l1"); len(w) != 4*128*128 {
		t.Errorf("weight_ih_l1 has %d elements", len(w))
	}
	if w := m.Tensor("output.bias"); &w[len(w)-1] != &m.Params()[len(m.Params())-1] {
		t.Error("output.bias is not the end of the parameter vector")
	}
}

// TestForwardReference compares LogProbs with the float64 reference. The
// float32 forward pass rounds at each of ~20 operations per value;
// 1e-5 is ~100 float32 ulps at magnitude 1.
func TestForwardReference(t *testing.T) {
	for _, c := range testConfigs {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			m := testModel(t, c, 2)
			rng := rand.New(rand.NewPCG(3, 3))
			n := 9
			x := &features.Matrix{Rows: n, Cols: c.Inputs, Data: randInputs(rng, n, c.Inputs)}
			lp := m.LogProbs(x)
			r := newRef64(c)
			p := to64(m.params)
			s := r.Zero()
			for j := range n {
				s = r.Step(p, s, to64(x.Row(j)))
				for y := range c.Outputs {
					want := -r.Loss(p, s, y)
					if got := float64(lp.Row(j)[y]); math.Abs(got-want) > 1e-5 {
						t.Fatalf("frame %d class %d: log p = %g, reference %g", j, y, got, want)
					}
				}
			}
		})
	}
}

// TestBackwardFiniteDifferences checks Backward over a range [lo, hi) of a
// trace that starts from a non-zero state, with unscored frames, against
// central finite differences (float64, h = 1e-6: truncation error ~h² and
// rounding ~1e-16/h, both below 1e-9) of the reference's Σ L_τ, where
// frames lo … τ are run from the trace's state before frame lo held
// constant. The float32 backward pass accumulates over ≤ 9 frames and a
// few dozen products per element: 1e-5 relative to the gradient's largest
// element is ~100 float32 ulps (measured: ≤ 1.5e-7), while dropping one frame of the window
// changes the gradient by 1e-2 or more with these weights.
func TestBackwardFiniteDifferences(t *testing.T) {
	cases := []struct {
		lo, hi, first int
		scale         float32
	}{
		{0, 9, 0, 1},
		{3, 9, 5, 1},
		{4, 5, 4, 0.5},
		{2, 8, 0, 1},
	}
	for _, c := range testConfigs {
		for _, tc := range cases {
			t.Run(fmt.Sprint(c, tc), func(t *testing.T) {
				m := testModel(t, c, 4)
				rng := rand.New(rand.NewPCG(5, 5))
				pre := randInputs(rng, 3, c.Inputs)
				n := 9
				x := randInputs(rng, n, c.Inputs)
				targets := make([]int32, n)
				for j := range targets {
					targets[j] = int32(rng.IntN(c.Outputs))
				}
				targets[6] = -1
				// A trace whose initial state comes from 3 earlier frames.
				first := m.NewTrace()
				first.Start(pre, nil, -1)
				m.Forward(first, 3)
				tr := m.NewTrace()
				tr.Start(x, first, 2)
				m.Forward(tr, n)
				m.Outputs(tr, 0, n)
				g := m.NewGrads()
				m.Backward(g, tr, tc.lo, tc.hi, targets, tc.first, tc.scale)

				r := newRef64(c)
				init := r.Zero()
				for l := range c.Layers {
					h, cc := tr.State(l, tc.lo-1)
					init[l] = [2][]float64{to64(h), to64(cc)}
				}
				f := func(p []float64) float64 {
					s := init.Clone()
					var sum float64
					for τ := tc.lo; τ < tc.hi; τ++ {
						s = r.Step(p, s, to64(x[τ*c.Inputs:(τ+1)*c.Inputs]))
						if τ >= tc.first && targets[τ] >= 0 {
							sum += r.Loss(p, s, int(targets[τ]))
						}
					}
					return float64(tc.scale) * sum
				}
				want := ref64.FDGrad(to64(m.params), f)
				compareGrad(t, g.Data, want, 1e-5)
			})
		}
	}
}

// compareGrad fails if any |got−want| exceeds tol·max(1, max|want|), naming
// the tensor.
func compareGrad(t *testing.T, got []float32, want []float64, tol float64) {
	t.Helper()
	scale := 1.0
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	worst, at := 0.0, 0
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > worst {
			worst, at = d, i
		}
	}
	if worst > tol*scale {
		t.Errorf("gradient element %d: got %g, want %g (max |diff| %.3g > %.3g)", at, got[at], want[at], worst, tol*scale)
	} else {
		t.Logf("max |diff| %.3g, scale %.3g", worst, scale)
	}
}

// TestStateGrad checks the per-frame state gradients Backward leaves in the
// trace (∂E/∂h_j and ∂E/∂c_j of every layer, all paths) against central
// finite differences of the reference with respect to h_j or c_j, perturbed
// where the frame computes them. Tolerance as in
// TestBackwardFiniteDifferences.
func TestStateGrad(t *testing.T) {
	for _, c := range testConfigs {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			m := testModel(t, c, 12)
			rng := rand.New(rand.NewPCG(13, 13))
			n, lo := 8, 2
			x := randInputs(rng, n, c.Inputs)
			targets := make([]int32, n)
			for j := range targets {
				targets[j] = int32(rng.IntN(c.Outputs))
			}
			tr := m.NewTrace()
			tr.Start(x, nil, -1)
			m.Forward(tr, n)
			m.Outputs(tr, 0, n)
			m.Backward(m.NewGrads(), tr, lo, n, targets, 0, 1)

			r := newRef64(c)
			p := to64(m.params)
			init := r.Zero()
			for l := range c.Layers {
				h, cc := tr.State(l, lo-1)
				init[l] = [2][]float64{to64(h), to64(cc)}
			}
			loss := func(j, l, k int, dh, dc float64) float64 {
				s := init.Clone()
				var sum float64
				for τ := lo; τ < n; τ++ {
					r.Perturb(-1, 0, 0, 0)
					if τ == j {
						r.Perturb(l, k, dh, dc)
					}
					s = r.Step(p, s, to64(x[τ*c.Inputs:(τ+1)*c.Inputs]))
					sum += r.Loss(p, s, int(targets[τ]))
				}
				r.Perturb(-1, 0, 0, 0)
				return sum
			}
			const h = 1e-6
			worst := 0.0
			for j := lo; j < n; j++ {
				for l := range c.Layers {
					gh, gc := tr.StateGrad(l, j)
					for k := range c.Hidden {
						wh := (loss(j, l, k, h, 0) - loss(j, l, k, -h, 0)) / (2 * h)
						wc := (loss(j, l, k, 0, h) - loss(j, l, k, 0, -h)) / (2 * h)
						for _, d := range [][2]float64{{float64(gh[k]), wh}, {float64(gc[k]), wc}} {
							diff := math.Abs(d[0]-d[1]) / max(1, math.Abs(d[1]))
							worst = max(worst, diff)
							if diff > 1e-5 {
								t.Fatalf("frame %d layer %d unit %d: state gradient %g, finite differences %g", j, l, k, d[0], d[1])
							}
						}
					}
				}
			}
			t.Logf("worst relative difference %.2g", worst)
		})
	}
}
