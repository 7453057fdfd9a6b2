package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRetain: a trace that keeps only its last r frames computes what a
// full trace computes for every window inside them (the forward pass
// streams through many wraps of the ring; each backward window is checked
// against the full trace's), keeps buffers of r frames, and refuses to
// reach further back. Tolerance: the ring splits matrix products at its
// wrap, which changes summation order only: 1e-5 relative to the largest
// gradient element (~100 float32 ulps), as in TestBatchMatchesTraces.
func TestRetain(t *testing.T) {
	for _, c := range testConfigs {
		for _, r := range []int{1, 2, 5, 7} {
			t.Run(fmt.Sprint(c, r), func(t *testing.T) {
				m := testModel(t, c, 81)
				rng := rand.New(rand.NewPCG(82, 82))
				n := 23
				x := randInputs(rng, n, c.Inputs)
				targets := make([]int32, n)
				for j := range targets {
					targets[j] = int32(rng.IntN(c.Outputs))
				}
				full, ring := m.NewTrace(), m.NewTrace()
				full.Start(x, nil, -1)
				ring.Retain(r)
				ring.Start(x, nil, -1)
				if len(ring.layers[0].gates) != r*4*c.Hidden || len(ring.layers[0].h) != (r+1)*c.Hidden {
					t.Fatalf("ring buffers of %d gate and %d state values, want %d and %d", len(ring.layers[0].gates), len(ring.layers[0].h), r*4*c.Hidden, (r+1)*c.Hidden)
				}
				for j := 0; j < n; {
					k := min(1+rng.IntN(3), n-j) // frames per Forward
					m.Forward(full, k)
					m.Forward(ring, k)
					j += k
					lo := j - 1 - rng.IntN(min(r, j)) // a window inside the ring
					m.Outputs(full, lo, j)
					m.Outputs(ring, lo, j)
					gf, gr := m.NewGrads(), m.NewGrads()
					m.Backward(gf, full, lo, j, targets, lo, 1)
					m.Backward(gr, ring, lo, j, targets, lo, 1)
					compareGrad(t, gr.Data, to64(gf.Data), 1e-5)
					for l := range c.Layers {
						hf, cf := full.State(l, lo-1)
						hr, cr := ring.State(l, lo-1)
						for q := range hf {
							if math.Abs(float64(hf[q]-hr[q])) > 1e-6 || math.Abs(float64(cf[q]-cr[q])) > 1e-6 {
								t.Fatalf("frame %d: state differs", lo-1)
							}
						}
						df, _ := full.StateGrad(l, lo)
						dr, _ := ring.StateGrad(l, lo)
						for q := range df {
							if math.Abs(float64(df[q]-dr[q])) > 1e-5*max(1, math.Abs(float64(df[q]))) {
								t.Fatalf("frame %d: state gradient %g, full trace %g", lo, dr[q], df[q])
							}
						}
					}
				}
				mustPanic(t, func() { ring.State(0, n-r-2) })
				mustPanic(t, func() { ring.LogProbs(n - r - 1) })
				mustPanic(t, func() { m.Backward(m.NewGrads(), ring, n-r-1, n, targets, 0, 1) })
			})
		}
	}
}

func mustPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Error("reaching before the kept frames did not panic")
		}
	}()
	f()
}
