package f32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// activationBound is the stated accuracy of Sigmoid and Tanh: absolute
// error against float64 math of at most 1e-6 (the requirement); the
// measured maximum is logged and is about 2e-7.
const activationBound = 1e-6

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// activationInputs is a dense sweep of [−100, 100] (the exp clamp at ±88
// and the saturated regions included), every float32 in [−1/64, 1/64]
// at a coarse stride, and the special values.
func activationInputs() []float32 {
	var xs []float32
	for x := -100.0; x <= 100; x += 1.0 / 1024 {
		xs = append(xs, float32(x))
	}
	for b := int64(math.Float32bits(1.0 / 64)); b > 0; b -= 4099 {
		v := math.Float32frombits(uint32(b))
		xs = append(xs, v, -v)
	}
	return append(xs, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 87, -87, 88, -88, 89, -89, 1e4, -1e4,
		float32(math.Inf(1)), float32(math.Inf(-1)))
}

func TestActivationAccuracy(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		xs := activationInputs()
		for _, fn := range []struct {
			name  string
			f     func([]float32)
			exact func(float64) float64
		}{{"Sigmoid", Sigmoid, sigmoid64}, {"Tanh", func(x []float32) { Tanh(x, x) }, math.Tanh}} {
			got := slices.Clone(xs)
			fn.f(got)
			var maxErr float64
			var worst float32
			for i, x := range xs {
				d := math.Abs(float64(got[i]) - fn.exact(float64(x)))
				if !(d <= activationBound) {
					t.Fatalf("%s(%g) = %g, want %g (|diff| %g > %g)", fn.name, x, got[i], fn.exact(float64(x)), d, activationBound)
				}
				if d > maxErr {
					maxErr, worst = d, x
				}
			}
			t.Logf("%s: max |error| %.3g at x = %g over %d inputs", fn.name, maxErr, worst, len(xs))
			// NaN must survive (a diverged model must not look healthy),
			// in the vector body (0, 7) and in the scalar tail (8).
			nan := []float32{float32(math.NaN()), 1, 2, 3, 4, 5, 6, float32(math.NaN()), float32(math.NaN())}
			fn.f(nan)
			for _, k := range []int{0, 7, 8} {
				if !math.IsNaN(float64(nan[k])) {
					t.Fatalf("%s(NaN) = %g at %d", fn.name, nan[k], k)
				}
			}
		}
	})
}

// lstmInputs returns pre-activations and a previous cell state of the
// magnitudes seen in training (gates up to a few units, c up to ~10).
func lstmInputs(rng *rand.Rand, hidden int) (gates, cPrev []float32) {
	gates = make([]float32, 4*hidden)
	for i := range gates {
		gates[i] = float32(3 * rng.NormFloat64())
	}
	cPrev = make([]float32, hidden)
	for i := range cPrev {
		cPrev[i] = float32(4 * rng.NormFloat64())
	}
	return gates, cPrev
}

var hiddenSizes = []int{0, 1, 3, 7, 8, 9, 16, 17, 31, 128, 129}

// TestLSTMCell checks every output of LSTMCell against float64 math. With
// δ the activation bound and u = 2⁻²⁴, first-order error propagation gives
//
//	|Δc| ≤ δ(|cPrev| + |g| + |i|) + 2u(|f·cPrev| + |i·g|)
//	|Δh| ≤ δ|tanh c| + |o|(δ + |Δc|) + u|h|
//
// and the test allows twice that.
func TestLSTMCell(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, hidden := range hiddenSizes {
			gates, cPrev := lstmInputs(rng, hidden)
			pre := slices.Clone(gates)
			c, h := make([]float32, hidden), make([]float32, hidden)
			LSTMCell(gates, cPrev, c, h, hidden)
			for j := range hidden {
				i := sigmoid64(float64(pre[j]))
				f := sigmoid64(float64(pre[hidden+j]))
				g := math.Tanh(float64(pre[2*hidden+j]))
				o := sigmoid64(float64(pre[3*hidden+j]))
				for q, want := range []float64{i, f, g, o} {
					if d := math.Abs(float64(gates[q*hidden+j]) - want); d > activationBound {
						t.Fatalf("hidden %d: gate %d of cell %d = %g, want %g", hidden, q, j, gates[q*hidden+j], want)
					}
				}
				cp := float64(cPrev[j])
				ce := f*cp + i*g
				tc := math.Tanh(ce)
				he := o * tc
				cb := activationBound*(math.Abs(cp)+math.Abs(g)+i) + 2*unitRoundoff*(math.Abs(f*cp)+math.Abs(i*g))
				hb := activationBound*math.Abs(tc) + o*(activationBound+cb) + unitRoundoff*math.Abs(he)
				if d := math.Abs(float64(c[j]) - ce); d > 2*cb {
					t.Fatalf("hidden %d: c[%d] = %g, want %g (|diff| %g > %g)", hidden, j, c[j], ce, d, 2*cb)
				}
				if d := math.Abs(float64(h[j]) - he); d > 2*hb {
					t.Fatalf("hidden %d: h[%d] = %g, want %g (|diff| %g > %g)", hidden, j, h[j], he, d, 2*hb)
				}
			}
		}
	})
}

// TestLSTMCellBackward checks the backward kernel against float64 math on
// the same activations. tanh(c) is the only approximated function (error
// ≤ δ); each output is a product of at most five rounded factors (≤ 6u
// relative) and dc' has the additional error
//
//	|Δdc'| ≤ 3|dh·o|δ + 4u(|dc| + |dh·o|),
//
// which the other gradients inherit through their factor of dc'. The test
// allows twice the sum.
func TestLSTMCellBackward(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, hidden := range hiddenSizes {
			gates, cPrev := lstmInputs(rng, hidden)
			c, h := make([]float32, hidden), make([]float32, hidden)
			LSTMCell(gates, cPrev, c, h, hidden)
			dh, dc := randSlice(rng, hidden), randSlice(rng, hidden)
			dcIn := slices.Clone(dc)
			dgates := make([]float32, 4*hidden)
			// dcPrev aliases dc, as documented.
			LSTMCellBackward(dgates, dc, gates, cPrev, c, dh, dc, hidden)
			d := activationBound
			for j := range hidden {
				i, f := float64(gates[j]), float64(gates[hidden+j])
				g, o := float64(gates[2*hidden+j]), float64(gates[3*hidden+j])
				cp, dhj, dcj := float64(cPrev[j]), float64(dh[j]), float64(dcIn[j])
				tc := math.Tanh(float64(c[j]))
				dct := dcj + dhj*o*(1-tc*tc)
				bdc := 3*math.Abs(dhj*o)*d + 4*unitRoundoff*(math.Abs(dcj)+math.Abs(dhj*o))
				const r = 6 * unitRoundoff
				checks := []struct {
					name      string
					got, want float64
					bound     float64
				}{
					{"di", float64(dgates[j]), dct * g * i * (1 - i), math.Abs(g*i*(1-i))*bdc + r*math.Abs(dct*g*i*(1-i))},
					{"df", float64(dgates[hidden+j]), dct * cp * f * (1 - f), math.Abs(cp*f*(1-f))*bdc + r*math.Abs(dct*cp*f*(1-f))},
					{"dg", float64(dgates[2*hidden+j]), dct * i * (1 - g*g), math.Abs(i*(1-g*g))*bdc + r*math.Abs(dct*i)},
					{"do", float64(dgates[3*hidden+j]), dhj * tc * o * (1 - o), math.Abs(dhj*o*(1-o))*d + r*math.Abs(dhj*o)},
					{"dcPrev", float64(dc[j]), dct * f, f*bdc + r*math.Abs(dct*f)},
				}
				for _, ch := range checks {
					if diff := math.Abs(ch.got - ch.want); diff > 2*ch.bound+1e-30 {
						t.Fatalf("hidden %d: %s[%d] = %g, want %g (|diff| %g > %g)", hidden, ch.name, j, ch.got, ch.want, diff, 2*ch.bound)
					}
				}
			}
		}
	})
}

// TestLSTMCellGradient checks LSTMCellBackward against central finite
// differences of LSTMCell for the loss L = Σ dh·h + Σ dc·c. With float32
// outputs (error ~1e-7 each) and a step of 1e-2 the difference quotient is
// good to about 1e-4 plus O(step²)·|L”'| ≈ 1e-4, hence the tolerance
// 2e-3·(1 + |gradient|).
func TestLSTMCellGradient(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(25, 26))
		const hidden = 11
		pre, cPrev := lstmInputs(rng, hidden)
		for i := range pre {
			pre[i] /= 3 // keep the gates off saturation so differences are informative
		}
		dh, dc := randSlice(rng, hidden), randSlice(rng, hidden)
		loss := func(pre, cPrev []float32) float64 {
			gates := slices.Clone(pre)
			c, h := make([]float32, hidden), make([]float32, hidden)
			LSTMCell(gates, cPrev, c, h, hidden)
			var l float64
			for j := range hidden {
				l += float64(dh[j])*float64(h[j]) + float64(dc[j])*float64(c[j])
			}
			return l
		}
		gates := slices.Clone(pre)
		c, h := make([]float32, hidden), make([]float32, hidden)
		LSTMCell(gates, cPrev, c, h, hidden)
		dgates, dcPrev := make([]float32, 4*hidden), make([]float32, hidden)
		LSTMCellBackward(dgates, dcPrev, gates, cPrev, c, dh, dc, hidden)

		const step = 1e-2
		fd := func(v []float32, k int) float64 {
			old := v[k]
			v[k] = old + step
			lp := loss(pre, cPrev)
			v[k] = old - step
			lm := loss(pre, cPrev)
			v[k] = old
			return (lp - lm) / (2 * step)
		}
		for k := range pre {
			want := fd(pre, k)
			if d := math.Abs(float64(dgates[k]) - want); d > 2e-3*(1+math.Abs(want)) {
				t.Errorf("dgates[%d] = %g, finite difference %g", k, dgates[k], want)
			}
		}
		for k := range cPrev {
			want := fd(cPrev, k)
			if d := math.Abs(float64(dcPrev[k]) - want); d > 2e-3*(1+math.Abs(want)) {
				t.Errorf("dcPrev[%d] = %g, finite difference %g", k, dcPrev[k], want)
			}
		}
	})
}

// TestLSTMImplementationsAgree runs ten chained steps (as in training:
// each step's c and h feed the next) under every implementation and
// requires the states to agree with the portable ones to within 1e-5
// absolute: each step adds at most about 2δ to the difference (see
// TestLSTMCell) and the forget gate (< 1) does not amplify it.
func TestLSTMImplementationsAgree(t *testing.T) {
	const hidden, steps = 128, 10
	run := func(im implementation) (c, h []float32) {
		defer useImpl(im)()
		rng := rand.New(rand.NewPCG(27, 28))
		c, h = make([]float32, hidden), make([]float32, hidden)
		cNext := make([]float32, hidden)
		for range steps {
			gates, _ := lstmInputs(rng, hidden)
			for j := range h {
				gates[j] += h[j] // a stand-in for the recurrent product
			}
			LSTMCell(gates, c, cNext, h, hidden)
			c, cNext = cNext, c
		}
		return c, h
	}
	c0, h0 := run(implPortable)
	for _, im := range available()[1:] {
		c, h := run(im)
		for j := range hidden {
			if math.Abs(float64(c[j]-c0[j])) > 1e-5 || math.Abs(float64(h[j]-h0[j])) > 1e-5 {
				t.Fatalf("%v: cell %d: c %g h %g, portable c %g h %g", im, j, c[j], h[j], c0[j], h0[j])
			}
		}
	}
}

func TestOptimisersBitIdentical(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 95, 1000, 1003, 94401} {
		rng := rand.New(rand.NewPCG(29, uint64(n)))
		p0, g := randSlice(rng, n), randSlice(rng, n)
		m0, v0 := randSlice(rng, n), randSlice(rng, n)
		for i := range v0 {
			v0[i] *= v0[i] // second moments are non-negative
		}
		s := NewAdamStep(1e-3, 0.9, 0.999, 1e-8, 7)
		type state struct{ p, m, v []float32 }
		var results []state
		for _, im := range available() {
			restore := useImpl(im)
			st := state{slices.Clone(p0), slices.Clone(m0), slices.Clone(v0)}
			Adam(st.p, g, st.m, st.v, s)
			Momentum(st.p, g, st.m, 0.01, 0.9)
			restore()
			results = append(results, st)
		}
		for k := 1; k < len(results); k++ {
			for _, pair := range [][2][]float32{{results[k].p, results[0].p}, {results[k].m, results[0].m}, {results[k].v, results[0].v}} {
				for i := range pair[0] {
					if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
						t.Fatalf("n %d: %v differs from portable at %d: %g vs %g", n, available()[k], i, pair[0][i], pair[1][i])
					}
				}
			}
		}
	}
}

// TestAdamFirstStep uses Adam's defining property: with zero moments, the
// bias-corrected first update is lr·g/(|g| + ε) ≈ lr·sign(g). Relative
// tolerance 1e-5: a few float32 roundings of the moment estimates.
func TestAdamFirstStep(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 32))
		const n, lr = 37, 1e-2
		p, g := randSlice(rng, n), randSlice(rng, n)
		p0 := slices.Clone(p)
		m, v := make([]float32, n), make([]float32, n)
		Adam(p, g, m, v, NewAdamStep(lr, 0.9, 0.999, 1e-8, 1))
		for i := range p {
			want := float64(p0[i]) - lr*math.Copysign(1, float64(g[i]))
			if d := math.Abs(float64(p[i]) - want); d > 1e-5*math.Abs(want)+1e-7 {
				t.Fatalf("p[%d] = %g, want %g", i, p[i], want)
			}
		}
	})
}

// TestMomentum checks two momentum steps against their closed form.
func TestMomentum(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		const n = 19
		p, g, v := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range g {
			g[i] = float32(i) - 9
		}
		Momentum(p, g, v, 0.5, 0.25)
		Momentum(p, g, v, 0.5, 0.25)
		for i := range p {
			// v₁ = g, v₂ = 1.25g; p = −0.5(v₁+v₂) = −1.125g, exact in binary.
			if want := -1.125 * g[i]; p[i] != want || v[i] != 1.25*g[i] {
				t.Fatalf("p[%d] = %g, v = %g; want %g, %g", i, p[i], v[i], want, 1.25*g[i])
			}
		}
	})
}

func TestElementwiseNoAllocs(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(33, 34))
		gates, cPrev := lstmInputs(rng, 128)
		c, h, dh, dc := make([]float32, 128), make([]float32, 128), make([]float32, 128), make([]float32, 128)
		dgates := make([]float32, 512)
		p, g, m, v := randSlice(rng, 1000), randSlice(rng, 1000), make([]float32, 1000), make([]float32, 1000)
		s := NewAdamStep(1e-3, 0.9, 0.999, 1e-8, 1)
		allocs := testing.AllocsPerRun(10, func() {
			LSTMCell(gates, cPrev, c, h, 128)
			LSTMCellBackward(dgates, dc, gates, cPrev, c, dh, dc, 128)
			Sigmoid(h)
			Tanh(h, c)
			Adam(p, g, m, v, s)
			Momentum(p, g, m, 1e-3, 0.9)
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per run, want 0", allocs)
		}
	})
}

func ExampleLSTMCell() {
	const hidden = 2
	// Pre-activations, gate by gate, for two cells; ±100 saturates.
	gates := []float32{
		100, 0, // input gate: open, half open
		100, -100, // forget gate: keep, forget
		100, 100, // candidate: +1
		100, 0, // output gate: open, half open
	}
	cPrev := []float32{1, 1}
	c, h := make([]float32, hidden), make([]float32, hidden)
	LSTMCell(gates, cPrev, c, h, hidden)
	fmt.Printf("c = %.3f, h = %.3f\n", c, h)
	// Output: c = [2.000 0.500], h = [0.964 0.231]
}

// TestTanhTo checks Tanh with distinct source and destination at odd
// offsets: every element within the activation bound, the source and the
// memory around the destination untouched.
func TestTanhTo(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(35, 36))
		for _, n := range []int{0, 1, 7, 8, 9, 31, 128, 129} {
			src, dst := newBuf(rng, n), newBuf(rng, n)
			Tanh(dst.s(), src.s())
			src.checkGuards(t, "Tanh src")
			dst.checkGuards(t, "Tanh dst")
			for i, x := range src.s() {
				if x != src.orig[src.off+i] {
					t.Fatalf("n %d: Tanh changed src[%d]", n, i)
				}
				if d := math.Abs(float64(dst.s()[i]) - math.Tanh(float64(x))); d > activationBound {
					t.Fatalf("n %d: Tanh(%g) = %g", n, x, dst.s()[i])
				}
			}
		}
	})
}

// TestLSTMCellBackwardDC checks that LSTMCellBackwardDC writes exactly what
// LSTMCellBackward writes (same code path, so bit for bit) and that its
// dcTotal is dc', within the bound TestLSTMCellBackward derives for dc'.
func TestLSTMCellBackwardDC(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(25, 26))
		for _, hidden := range hiddenSizes {
			gates, cPrev := lstmInputs(rng, hidden)
			c, h := make([]float32, hidden), make([]float32, hidden)
			LSTMCell(gates, cPrev, c, h, hidden)
			dh, dc := randSlice(rng, hidden), randSlice(rng, hidden)
			dg1, dg2 := make([]float32, 4*hidden), make([]float32, 4*hidden)
			dp1, dp2 := make([]float32, hidden), make([]float32, hidden)
			dct := make([]float32, hidden)
			LSTMCellBackward(dg1, dp1, gates, cPrev, c, dh, dc, hidden)
			LSTMCellBackwardDC(dg2, dct, dp2, gates, cPrev, c, dh, dc, hidden)
			if !slices.Equal(dg1, dg2) || !slices.Equal(dp1, dp2) {
				t.Fatalf("hidden %d: LSTMCellBackwardDC differs from LSTMCellBackward", hidden)
			}
			for j := range hidden {
				o, dhj, dcj := float64(gates[3*hidden+j]), float64(dh[j]), float64(dc[j])
				tc := math.Tanh(float64(c[j]))
				want := dcj + dhj*o*(1-tc*tc)
				bound := 3*math.Abs(dhj*o)*activationBound + 4*unitRoundoff*(math.Abs(dcj)+math.Abs(dhj*o))
				if diff := math.Abs(float64(dct[j]) - want); diff > 2*bound+1e-30 {
					t.Fatalf("hidden %d: dcTotal[%d] = %g, want %g (|diff| %g > %g)", hidden, j, dct[j], want, diff, 2*bound)
				}
			}
		}
	})
}

// TestAdamDivisionExact stresses the one place where the fast Adam
// computes differently from the portable loop: √v/√(1−β2ᵗ) by Markstein's
// correction instead of a division (see adamAvx2). With ε = 0 the quotient
// is the denominator of m/denom, so any difference in its last bit shows
// in p. Over 3000 step counts (β2 of 0.999, 0.99 and 0.9999) × 4096
// second moments with random exponents over the whole non-negative float32
// range (subnormals and zero included), every implementation must match
// the portable result bit for bit.
func TestAdamDivisionExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 71))
	const n = 4096
	v0, m0 := make([]float32, n), make([]float32, n)
	g := make([]float32, n) // zero: v ← β2·v, m ← β1·m
	for trial := range 3000 {
		step := int64(1 + trial)
		if trial >= 1000 {
			step = 1 + rng.Int64N(10_000_000)
		}
		beta2 := []float64{0.999, 0.99, 0.9999}[trial%3]
		s := NewAdamStep(1e-3, 0.9, beta2, 0, step)
		for i := range v0 {
			v0[i] = math.Float32frombits(rng.Uint32() & 0x7f7fffff) // finite, ≥ 0
			m0[i] = float32(rng.NormFloat64())
		}
		v0[0], v0[1] = 0, math.SmallestNonzeroFloat32
		var ref []float32
		for _, im := range available() {
			restore := useImpl(im)
			p, m, v := make([]float32, n), slices.Clone(m0), slices.Clone(v0)
			Adam(p, g, m, v, s)
			restore()
			if ref == nil {
				ref = p
				continue
			}
			for i := range p {
				if math.Float32bits(p[i]) != math.Float32bits(ref[i]) && !(p[i] != p[i] && ref[i] != ref[i]) {
					t.Fatalf("%v, step %d, β2 %v, v %g: p %g, portable %g", im, step, beta2, v0[i], p[i], ref[i])
				}
			}
		}
	}
}
