package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// The optimizers compute in float32 as PyTorch does; the references below
// are float64, so agreement is to float32 rounding of a few operations:
// a relative tolerance of 1e-6 (≈ 8 ulp of float32) is ample and still far
// below any real difference (a wrong bias correction changes step 2 by >10%).
const optTol = 1e-6

func near(a, b float64) bool {
	return math.Abs(a-b) <= optTol*math.Max(1, math.Abs(b))
}

func TestSGDHandSteps(t *testing.T) {
	tests := []struct {
		name     string
		lr, mu   float64
		p0       []float32
		grads    [][]float32
		want     [][]float64 // params after each step
		wantVelo []float64   // velocity after the last step
	}{
		{
			name: "momentum 0.9",
			lr:   0.1, mu: 0.9,
			p0:    []float32{1, -2},
			grads: [][]float32{{0.5, 1}, {0.5, 1}, {-1, 0}},
			// v1 = g = (.5, 1); p1 = (.95, -2.1)
			// v2 = .9v1+g = (.95, 1.9); p2 = (.855, -2.29)
			// v3 = .9v2+g = (-.145, 1.71); p3 = (.8695, -2.461)
			want:     [][]float64{{0.95, -2.1}, {0.855, -2.29}, {0.8695, -2.461}},
			wantVelo: []float64{-0.145, 1.71},
		},
		{
			name: "plain",
			lr:   0.5, mu: 0,
			p0:    []float32{1},
			grads: [][]float32{{2}, {-4}},
			want:  [][]float64{{0}, {2}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSGD(len(tc.p0), tc.lr, tc.mu)
			p := append([]float32(nil), tc.p0...)
			for k, g := range tc.grads {
				s.Step(p, g)
				for i := range p {
					if !near(float64(p[i]), tc.want[k][i]) {
						t.Fatalf("step %d: p[%d] = %v, want %v", k+1, i, p[i], tc.want[k][i])
					}
				}
			}
			for i, w := range tc.wantVelo {
				if !near(float64(s.v[i]), w) {
					t.Errorf("v[%d] = %v, want %v", i, s.v[i], w)
				}
			}
		})
	}
}

func TestAdamHandSteps(t *testing.T) {
	// Step 1 from p=1, g=0.5, lr=0.1: m=0.05, v=0.00025, m̂=0.5, v̂=0.25,
	// p = 1 − 0.1·0.5/(0.5+1e-8) = 0.9000000020.
	a := NewAdam(1, 0.1)
	p := []float32{1}
	a.Step(p, []float32{0.5})
	if want := 1 - 0.1*0.5/(0.5+1e-8); !near(float64(p[0]), want) {
		t.Fatalf("step 1: %v, want %v", p[0], want)
	}
	// Step 2, g=−1: m=−0.055, v=0.00124975, m̂=−0.055/0.19, v̂=0.00124975/0.001999.
	a.Step(p, []float32{-1})
	mhat := -0.055 / 0.19
	vhat := 0.00124975 / (1 - 0.999*0.999)
	want := (1 - 0.1*0.5/(0.5+1e-8)) - 0.1*mhat/(math.Sqrt(vhat)+1e-8) // ≈ 0.936610
	if !near(float64(p[0]), want) || math.Abs(want-0.93661) > 1e-5 {
		t.Fatalf("step 2: %v, want %v", p[0], want)
	}
	if a.Steps() != 2 {
		t.Errorf("steps %d", a.Steps())
	}
}

// TestAdamMatchesTextbook runs many random steps against a float64
// implementation of Kingma & Ba's algorithm in PyTorch's ε placement.
func TestAdamMatchesTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, steps = 5, 50
	a := NewAdam(n, 0.01)
	p := make([]float32, n)
	ref := make([]float64, n)
	m := make([]float64, n)
	v := make([]float64, n)
	g := make([]float32, n)
	for k := 1; k <= steps; k++ {
		for i := range g {
			g[i] = float32(rng.NormFloat64())
		}
		a.Step(p, g)
		for i := range ref {
			gi := float64(g[i])
			m[i] = 0.9*m[i] + 0.1*gi
			v[i] = 0.999*v[i] + 0.001*gi*gi
			mh := m[i] / (1 - math.Pow(0.9, float64(k)))
			vh := v[i] / (1 - math.Pow(0.999, float64(k)))
			ref[i] -= 0.01 * mh / (math.Sqrt(vh) + 1e-8)
		}
	}
	for i := range p {
		// 50 accumulated float32 steps: allow 1e-5 absolute on values of
		// order 0.1 (each step is ≈0.01 with ~1e-7 relative rounding).
		if math.Abs(float64(p[i])-ref[i]) > 1e-5 {
			t.Errorf("p[%d] = %v, reference %v", i, p[i], ref[i])
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	tests := []struct {
		name    string
		g       []float32
		max     float64
		want    []float64
		wantNrm float64
	}{
		{"clipped", []float32{3, 4}, 1, []float64{3 / (5 + 1e-6), 4 / (5 + 1e-6)}, 5},
		{"under", []float32{3, 4}, 10, []float64{3, 4}, 5},
		{"off", []float32{30, 40}, 0, []float64{30, 40}, 50},
		{"zero", []float32{0, 0}, 1, []float64{0, 0}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			norm := ClipGradNorm(tc.g, tc.max)
			if !near(norm, tc.wantNrm) {
				t.Errorf("norm %v, want %v", norm, tc.wantNrm)
			}
			for i := range tc.g {
				if !near(float64(tc.g[i]), tc.want[i]) {
					t.Errorf("g[%d] = %v, want %v", i, tc.g[i], tc.want[i])
				}
			}
		})
	}
}

// TestOptimizerStateRoundTrip checks that saving and restoring the state
// mid-run continues bit for bit.
func TestOptimizerStateRoundTrip(t *testing.T) {
	for _, name := range []OptimizerKind{OptSGD, OptAdam} {
		t.Run(string(name), func(t *testing.T) {
			const n = 7
			rng := rand.New(rand.NewPCG(3, 4))
			grads := make([][]float32, 20)
			for k := range grads {
				grads[k] = make([]float32, n)
				for i := range grads[k] {
					grads[k][i] = float32(rng.NormFloat64())
				}
			}
			a, _ := NewOptimizer(name, n, 0.01, 0.9)
			pa := make([]float32, n)
			for _, g := range grads {
				a.Step(pa, g)
			}
			b, _ := NewOptimizer(name, n, 0.01, 0.9)
			pb := make([]float32, n)
			for _, g := range grads[:9] {
				b.Step(pb, g)
			}
			state, err := b.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			c, _ := NewOptimizer(name, n, 0.5, 0.1) // hyper-parameters restored too
			if err := c.UnmarshalBinary(state); err != nil {
				t.Fatal(err)
			}
			for _, g := range grads[9:] {
				c.Step(pb, g)
			}
			for i := range pa {
				if math.Float32bits(pa[i]) != math.Float32bits(pb[i]) {
					t.Fatalf("p[%d]: %v uninterrupted, %v resumed", i, pa[i], pb[i])
				}
			}
			if err := c.UnmarshalBinary(state[:len(state)-3]); err == nil {
				t.Error("truncated state accepted")
			}
			other := OptAdam
			if name == OptAdam {
				other = OptSGD
			}
			o, _ := NewOptimizer(other, n, 0.01, 0.9)
			if err := o.UnmarshalBinary(state); err == nil {
				t.Error("state of another optimizer accepted")
			}
		})
	}
}

func TestNewOptimizerErrors(t *testing.T) {
	tests := []struct {
		name   string
		lr, mu float64
	}{
		{"rmsprop", 0.1, 0},
		{"sgd", 0, 0},
		{"sgd", -1, 0},
		{"sgd", math.NaN(), 0},
		{"sgd", 0.1, 1},
		{"adam", math.Inf(1), 0},
	}
	for _, tc := range tests {
		if _, err := NewOptimizer(OptimizerKind(tc.name), 3, tc.lr, tc.mu); err == nil {
			t.Errorf("%s lr=%v mu=%v: no error", tc.name, tc.lr, tc.mu)
		}
	}
}

func ExampleClipGradNorm() {
	g := []float32{3, 4}
	norm := ClipGradNorm(g, 1)
	fmt.Printf("norm %.0f, clipped to %.4f %.4f\n", norm, g[0], g[1])
	// Output: norm 5, clipped to 0.6000 0.8000
}

func ExampleSGD() {
	p := []float32{1}
	opt := NewSGD(len(p), 0.1, 0.9)
	opt.Step(p, []float32{1}) // v = 1, p = 1 − 0.1
	opt.Step(p, []float32{1}) // v = 1.9, p = 0.9 − 0.19
	fmt.Printf("%.2f\n", p[0])
	// Output: 0.71
}

// BenchmarkOptimizerStep measures one update of the 39→128→61 network's
// 94,269 parameters: it runs once per update, i.e. per frame for the frame
// schedule.
func BenchmarkOptimizerStep(b *testing.B) {
	const n = 4*128*(39+128+2) + 61*129
	g := make([]float32, n)
	for i := range g {
		g[i] = float32(i%13-6) * 1e-3
	}
	for _, name := range []OptimizerKind{OptSGD, OptAdam} {
		b.Run(string(name), func(b *testing.B) {
			opt, _ := NewOptimizer(name, n, 1e-3, 0.9)
			p := make([]float32, n)
			b.SetBytes(4 * n)
			for b.Loop() {
				opt.Step(p, g)
			}
		})
	}
	b.Run("clip", func(b *testing.B) {
		for b.Loop() {
			ClipGradNorm(g, 1e9)
		}
	})
}

// FuzzOptimizerState feeds arbitrary bytes to both state readers: they must
// fail cleanly, never panic, and a state they accept must re-encode to the
// same bytes.
func FuzzOptimizerState(f *testing.F) {
	s, _ := NewOptimizer(OptSGD, 3, 0.1, 0.9)
	a, _ := NewOptimizer(OptAdam, 3, 0.1, 0)
	s.Step([]float32{1, 2, 3}, []float32{1, 1, 1})
	a.Step([]float32{1, 2, 3}, []float32{1, 1, 1})
	sb, _ := s.MarshalBinary()
	ab, _ := a.MarshalBinary()
	f.Add(sb)
	f.Add(ab)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, name := range []OptimizerKind{OptSGD, OptAdam} {
			o, _ := NewOptimizer(name, 3, 0.1, 0.9)
			if err := o.UnmarshalBinary(b); err != nil {
				continue
			}
			again, _ := o.MarshalBinary()
			if string(again) != string(b) {
				t.Fatalf("%s: accepted state does not round-trip", name)
			}
		}
	})
}

// TestAdamSplit: a step split into ranges run on goroutines of their own
// gives the bits of one goroutine's step, for sizes below, at and above a
// range's minimum and not multiples of it, and ranges of any bounds.
func TestAdamSplit(t *testing.T) {
	const share = 16 << 10 // tbptt's minimum range
	for _, n := range []int{1, share - 1, 2 * share, 3*share + 17, 94397} {
		for _, w := range []int{2, 3, 8} {
			rng := rand.New(rand.NewPCG(uint64(n), uint64(w)))
			p := make([]float32, n)
			for i := range p {
				p[i] = float32(rng.NormFloat64())
			}
			one, many := NewAdam(n, 1e-3), NewAdam(n, 1e-3)
			many.Split = func(n int, f func(lo, hi int)) { // w ranges, each on a goroutine of its own
				var wg sync.WaitGroup
				for i := range w {
					wg.Go(func() { f(i*n/w, (i+1)*n/w) })
				}
				wg.Wait()
			}
			p1, pw := slices.Clone(p), slices.Clone(p)
			for range 3 {
				g := make([]float32, n)
				for i := range g {
					g[i] = float32(rng.NormFloat64())
				}
				one.Step(p1, g)
				many.Step(pw, g)
			}
			for i := range p1 {
				if math.Float32bits(p1[i]) != math.Float32bits(pw[i]) || one.m[i] != many.m[i] || one.v[i] != many.v[i] {
					t.Fatalf("n=%d ranges=%d: element %d differs: %v against %v", n, w, i, pw[i], p1[i])
				}
			}
		}
	}
}
