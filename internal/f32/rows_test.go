package f32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// rowLens and rowCounts are the shapes of the row kernels' tests: the
// vector widths and their neighbours, the 61 outputs and 128 cells of the
// reference network.
var (
	rowLens   = []int{0, 1, 15, 16, 17, 61, 128, 129}
	rowCounts = []int{0, 1, 2, 3, 4, 5}
)

// lstmCellBounds are TestLSTMCell's bounds on c and h for one cell (see
// there): first-order propagation of the activation bound δ and the
// roundings.
func lstmCellBounds(i, f, g, cp, o float64) (cb, hb float64) {
	const d = activationBound
	ce := f*cp + i*g
	tc := math.Tanh(ce)
	cb = d*(math.Abs(cp)+math.Abs(g)+i) + 2*unitRoundoff*(math.Abs(f*cp)+math.Abs(i*g))
	hb = d*math.Abs(tc) + o*(d+cb) + unitRoundoff*math.Abs(o*tc)
	return cb, hb
}

// TestLSTMCellRows checks every output of LSTMCellRows against float64
// math with TestLSTMCell's bounds (twice them), on unaligned slices with
// guard words around them.
func TestLSTMCellRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(51, 52))
		for _, hidden := range rowLens {
			for _, rows := range rowCounts {
				n := hidden * rows
				gates, cPrev, c, h := newBuf(rng, 4*n), newBuf(rng, n), newBuf(rng, n), newBuf(rng, n)
				for i := range gates.s() {
					gates.s()[i] *= 3
				}
				for i := range cPrev.s() {
					cPrev.s()[i] *= 4
				}
				pre := slices.Clone(gates.s())
				LSTMCellRows(gates.s(), cPrev.s(), c.s(), h.s(), hidden, rows)
				what := fmt.Sprintf("hidden %d rows %d", hidden, rows)
				for _, b := range []*buf{gates, cPrev, c, h} {
					b.checkGuards(t, what)
				}
				for r := range rows {
					for j := range hidden {
						gi := r*4*hidden + j
						var act [4]float64
						for q := range 4 {
							x := float64(pre[gi+q*hidden])
							if q == 2 {
								act[q] = math.Tanh(x)
							} else {
								act[q] = sigmoid64(x)
							}
							if d := math.Abs(float64(gates.s()[gi+q*hidden]) - act[q]); d > activationBound {
								t.Fatalf("%s: gate %d of row %d cell %d = %g, want %g", what, q, r, j, gates.s()[gi+q*hidden], act[q])
							}
						}
						i, f, g, o := act[0], act[1], act[2], act[3]
						cp := float64(cPrev.s()[r*hidden+j])
						ce := f*cp + i*g
						he := o * math.Tanh(ce)
						cb, hb := lstmCellBounds(i, f, g, cp, o)
						if d := math.Abs(float64(c.s()[r*hidden+j]) - ce); d > 2*cb {
							t.Fatalf("%s: c[%d][%d] = %g, want %g (|diff| %g > %g)", what, r, j, c.s()[r*hidden+j], ce, d, 2*cb)
						}
						if d := math.Abs(float64(h.s()[r*hidden+j]) - he); d > 2*hb {
							t.Fatalf("%s: h[%d][%d] = %g, want %g (|diff| %g > %g)", what, r, j, h.s()[r*hidden+j], he, d, 2*hb)
						}
					}
				}
			}
		}
	})
}

// TestLSTMCellRowsNaN: a NaN pre-activation, in a whole vector or in a
// masked tail, gives NaN in its gate, c and h (a diverged model must not
// look healthy), and touches no other cell.
func TestLSTMCellRowsNaN(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		const hidden, rows = 19, 3
		rng := rand.New(rand.NewPCG(53, 54))
		gates, cPrev := lstmInputs(rng, hidden*rows)
		nan := float32(math.NaN())
		// Row 0 cell 2 (whole vector) input gate, row 2 cell 17 (tail)
		// forget gate, row 1 cell 18 cPrev.
		gates[2], gates[2*4*hidden+hidden+17] = nan, nan
		cPrev[hidden+18] = nan
		c, h := make([]float32, hidden*rows), make([]float32, hidden*rows)
		LSTMCellRows(gates, cPrev, c, h, hidden, rows)
		bad := map[int]bool{2: true, 2*hidden + 17: true, hidden + 18: true}
		for k := range c {
			if got := math.IsNaN(float64(c[k])) && math.IsNaN(float64(h[k])); got != bad[k] {
				t.Fatalf("cell %d: c %g h %g (NaN expected: %v)", k, c[k], h[k], bad[k])
			}
		}
	})
}

// TestLSTMCellRowsBitsAVX2: where hidden is a multiple of 8 the AVX-512
// row kernel performs, lane for lane, lstmCellAvx2's operations, so its
// results must be the bits of LSTMCell at the AVX2 level row by row; the
// same for the backward kernel.
func TestLSTMCellRowsBitsAVX2(t *testing.T) {
	if !supported(implAVX512) {
		t.Skip("no AVX-512 on this CPU")
	}
	rng := rand.New(rand.NewPCG(55, 56))
	for _, hidden := range []int{8, 16, 24, 40, 128} {
		const rows = 5
		n := hidden * rows
		pre, cPrev := lstmInputs(rng, n)
		dh, dc := randSlice(rng, n), randSlice(rng, n)
		type out struct{ gates, c, h, dgates, dcPrev []float32 }
		run := func(im implementation, f func(o *out)) out {
			defer useImpl(im)()
			o := out{slices.Clone(pre), make([]float32, n), make([]float32, n), make([]float32, 4*n), slices.Clone(dc)}
			f(&o)
			return o
		}
		perRow := run(implAVX2, func(o *out) {
			for r := range rows {
				s, e := r*hidden, (r+1)*hidden
				LSTMCell(o.gates[4*s:4*e], cPrev[s:e], o.c[s:e], o.h[s:e], hidden)
				LSTMCellBackward(o.dgates[4*s:4*e], o.dcPrev[s:e], o.gates[4*s:4*e], cPrev[s:e], o.c[s:e], dh[s:e], o.dcPrev[s:e], hidden)
			}
		})
		batched := run(implAVX512, func(o *out) {
			LSTMCellRows(o.gates, cPrev, o.c, o.h, hidden, rows)
			LSTMCellBackwardRows(o.dgates, o.dcPrev, o.gates, cPrev, o.c, dh, o.dcPrev, hidden, rows)
		})
		for _, p := range [][3]any{
			{"gates", perRow.gates, batched.gates}, {"c", perRow.c, batched.c}, {"h", perRow.h, batched.h},
			{"dgates", perRow.dgates, batched.dgates}, {"dcPrev", perRow.dcPrev, batched.dcPrev},
		} {
			a, b := p[1].([]float32), p[2].([]float32)
			for k := range a {
				if math.Float32bits(a[k]) != math.Float32bits(b[k]) {
					t.Fatalf("hidden %d: %s[%d] = %g with AVX-512 rows, %g with AVX2 per row", hidden, p[0], k, b[k], a[k])
				}
			}
		}
	}
}

// TestLSTMCellBackwardRows checks LSTMCellBackwardRows against float64
// math with TestLSTMCellBackward's bounds, dcPrev aliasing dc (as the
// batched LSTM calls it) and separate, with guard words.
func TestLSTMCellBackwardRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(57, 58))
		for _, alias := range []bool{true, false} {
			for _, hidden := range rowLens {
				for _, rows := range rowCounts {
					n := hidden * rows
					gates, cPrev := lstmInputs(rng, n)
					c, h := make([]float32, n), make([]float32, n)
					LSTMCellRows(gates, cPrev, c, h, hidden, rows)
					dh, dc := newBuf(rng, n), newBuf(rng, n)
					dcIn := slices.Clone(dc.s())
					dgates, dcPrev := newBuf(rng, 4*n), dc
					if !alias {
						dcPrev = newBuf(rng, n)
					}
					LSTMCellBackwardRows(dgates.s(), dcPrev.s(), gates, cPrev, c, dh.s(), dc.s(), hidden, rows)
					what := fmt.Sprintf("hidden %d rows %d alias %v", hidden, rows, alias)
					for _, b := range []*buf{dh, dc, dgates, dcPrev} {
						b.checkGuards(t, what)
					}
					if !alias && !slices.Equal(dc.s(), dcIn) {
						t.Fatalf("%s: dc changed", what)
					}
					const d = activationBound
					const u6 = 6 * unitRoundoff
					for r := range rows {
						for j := range hidden {
							gi, si := r*4*hidden+j, r*hidden+j
							i, f := float64(gates[gi]), float64(gates[gi+hidden])
							g, o := float64(gates[gi+2*hidden]), float64(gates[gi+3*hidden])
							cp, dhj, dcj := float64(cPrev[si]), float64(dh.s()[si]), float64(dcIn[si])
							tc := math.Tanh(float64(c[si]))
							dct := dcj + dhj*o*(1-tc*tc)
							bdc := 3*math.Abs(dhj*o)*d + 4*unitRoundoff*(math.Abs(dcj)+math.Abs(dhj*o))
							for _, ch := range []struct {
								name             string
								got, want, bound float64
							}{
								{"di", float64(dgates.s()[gi]), dct * g * i * (1 - i), math.Abs(g*i*(1-i))*bdc + u6*math.Abs(dct*g*i*(1-i))},
								{"df", float64(dgates.s()[gi+hidden]), dct * cp * f * (1 - f), math.Abs(cp*f*(1-f))*bdc + u6*math.Abs(dct*cp*f*(1-f))},
								{"dg", float64(dgates.s()[gi+2*hidden]), dct * i * (1 - g*g), math.Abs(i*(1-g*g))*bdc + u6*math.Abs(dct*i)},
								{"do", float64(dgates.s()[gi+3*hidden]), dhj * tc * o * (1 - o), math.Abs(dhj*o*(1-o))*d + u6*math.Abs(dhj*o)},
								{"dcPrev", float64(dcPrev.s()[si]), dct * f, f*bdc + u6*math.Abs(dct*f)},
							} {
								if diff := math.Abs(ch.got - ch.want); diff > 2*ch.bound+1e-30 {
									t.Fatalf("%s: %s[%d][%d] = %g, want %g (|diff| %g > %g)", what, ch.name, r, j, ch.got, ch.want, diff, 2*ch.bound)
								}
							}
						}
					}
				}
			}
		}
	})
}

// expScaleBound is ExpScale's stated accuracy for the fast versions:
// relative error 3·2⁻²⁴ (the polynomial's, about 1.5 ulps, and the
// product's rounding) plus |scale|·2⁻¹²⁶ absolute where e^x is not a
// normal float32.
func expScaleBound(want, scale float64) float64 {
	return 3*unitRoundoff*math.Abs(want) + math.Abs(scale)*0x1p-126
}

func TestExpScale(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		// A dense sweep of [−87.3, 88] and of the log-posteriors' range.
		var xs []float32
		for x := -87.3; x <= 88; x += 1.0 / 512 {
			xs = append(xs, float32(x))
		}
		for b := int64(math.Float32bits(1.0 / 64)); b > 0; b -= 4099 {
			v := math.Float32frombits(uint32(b))
			xs = append(xs, v, -v)
		}
		xs = append(xs, 0, float32(math.Copysign(0, -1)), -87.33, -87.336, -90, -200, float32(math.Inf(-1)))
		for _, scale := range []float32{1, 1.0 / 32, -3.5} {
			got := make([]float32, len(xs))
			ExpScale(got, xs, scale)
			var maxRel float64
			for i, x := range xs {
				want := float64(scale) * math.Exp(float64(x))
				if math.Abs(want) > math.MaxFloat32 {
					continue // overflows float32 (scale > 1), beyond the use
				}
				d := math.Abs(float64(got[i]) - want)
				if !(d <= expScaleBound(want, float64(scale))) {
					t.Fatalf("scale %g: ExpScale(%g) = %g, want %g (|diff| %g, %.2f ulps)", scale, x, got[i], want, d, d/math.Abs(want)/unitRoundoff)
				}
				if math.Abs(want) >= max(1, math.Abs(float64(scale)))*0x1p-126 {
					maxRel = max(maxRel, d/math.Abs(want))
				}
			}
			t.Logf("scale %g: max relative error %.3g (%.2f·2⁻²⁴) over %d inputs", scale, maxRel, maxRel/unitRoundoff, len(xs))
		}
		// Every length (masked tails, Go tails), in place and into a
		// separate slice with guards; NaN stays NaN.
		rng := rand.New(rand.NewPCG(59, 60))
		for _, n := range rowLens {
			src, dst := newBuf(rng, n), newBuf(rng, n)
			for i := range src.s() {
				src.s()[i] = -float32(math.Abs(8 * rng.NormFloat64()))
			}
			if n > 3 {
				src.s()[n-2] = float32(math.NaN())
			}
			in := slices.Clone(src.s())
			ExpScale(dst.s(), src.s(), 0.25)
			src.checkGuards(t, "ExpScale src")
			dst.checkGuards(t, "ExpScale dst")
			for i, x := range in {
				if math.Float32bits(src.s()[i]) != math.Float32bits(x) {
					t.Fatalf("n %d: ExpScale changed src[%d]", n, i)
				}
			}
			ExpScale(src.s(), src.s(), 0.25)
			src.checkGuards(t, "ExpScale in place")
			for i, x := range in {
				want := 0.25 * math.Exp(float64(x))
				for _, got := range []float32{dst.s()[i], src.s()[i]} {
					if math.IsNaN(float64(x)) {
						if !math.IsNaN(float64(got)) {
							t.Fatalf("n %d: ExpScale(NaN) = %g", n, got)
						}
						continue
					}
					if d := math.Abs(float64(got) - want); !(d <= expScaleBound(want, 0.25)) {
						t.Fatalf("n %d: ExpScale(%g)[%d] = %g, want %g", n, x, i, got, want)
					}
				}
			}
		}
	})
}

// logSoftmaxBound is LogSoftmaxRows's stated bound (see its comment) for
// one output of a row of n with log-sum-exp lse and log sum ls.
func logSoftmaxBound(n int, ls, lse, out float64) float64 {
	return (0.37*float64(n)+float64((n+7)/8)+6)*unitRoundoff + unitRoundoff*(math.Abs(ls)+math.Abs(lse)+math.Abs(out))
}

// TestLogSoftmaxRows checks LogSoftmaxRows against the float64 log
// soft-max of the same float32 inputs, with twice the stated bound, on
// rows of logits of several spreads and offsets (the maximum's
// subtraction matters at +300, the exponentials' underflow at a spread of
// 60), and logs the largest error for n = 61.
func TestLogSoftmaxRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(61, 62))
		var worst61, worstRatio, vsPortable float64
		for _, n := range rowLens {
			for _, rows := range append(rowCounts, 70, 130) { // beyond one block of 64
				z := newBuf(rng, rows*n)
				for r := range rows {
					spread := []float64{1, 5, 60}[r%3]
					offset := []float64{0, 300, -40, 7}[r%4]
					for j := range n {
						z.s()[r*n+j] = float32(offset + spread*rng.NormFloat64())
					}
				}
				in := slices.Clone(z.s())
				port := slices.Clone(in)
				for r := range rows * min(n, 1) {
					logSoftmaxGeneric(port[r*n : (r+1)*n])
				}
				LogSoftmaxRows(z.s(), rows, n)
				what := fmt.Sprintf("n %d rows %d", n, rows)
				z.checkGuards(t, what)
				for r := range rows {
					row := in[r*n : (r+1)*n]
					m := float64(slices.Max(append([]float32{float32(math.Inf(-1))}, row...)))
					var s float64
					for _, v := range row {
						s += math.Exp(float64(v) - m)
					}
					ls := math.Log(s)
					lse := m + ls
					var total float64
					for j, v := range row {
						want := float64(v) - lse
						got := float64(z.s()[r*n+j])
						d := math.Abs(got - want)
						b := logSoftmaxBound(n, ls, lse, want)
						if !(d <= 2*b) {
							t.Fatalf("%s: row %d [%d] = %g, want %g (|diff| %g > 2×%g)", what, r, j, got, want, d, b)
						}
						if n == 61 && r%12 == 4 { // N(0, 5²) logits
							worst61 = max(worst61, d)
							vsPortable = max(vsPortable, math.Abs(got-float64(port[r*n+j])))
						}
						worstRatio = max(worstRatio, d/b)
						total += math.Exp(got)
					}
					// Each output's error is about 2⁻²⁴·|lse| and more.
					if n > 0 && math.Abs(total-1) > 4*unitRoundoff*(math.Abs(lse)+float64(n)) {
						t.Fatalf("%s: row %d: Σ exp = %g", what, r, total)
					}
				}
			}
		}
		t.Logf("n 61, N(0, 5²) logits: max |error| %.3g, max |difference from portable| %.3g; largest error/bound %.3g over all rows", worst61, vsPortable, worstRatio)

		// A NaN or +Inf makes its row NaN and leaves the others alone;
		// LogSoftmax is one row.
		const n = 61
		z := randSlice(rng, 3*n)
		z[n+60], z[2*n+3] = float32(math.NaN()), float32(math.Inf(1))
		want := slices.Clone(z[:n])
		LogSoftmaxRows(z, 3, n)
		LogSoftmax(want)
		if !slices.Equal(z[:n], want) {
			t.Fatalf("LogSoftmax differs from LogSoftmaxRows")
		}
		for k, v := range z {
			if math.IsNaN(float64(v)) != (k >= n) {
				t.Fatalf("element %d (row %d) = %g", k, k/n, v)
			}
		}
	})
}

func TestRowKernelsNoAllocs(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(63, 64))
		const hidden, rows, outs = 128, 16, 61
		gates, cPrev := lstmInputs(rng, hidden*rows)
		c, h, dh := make([]float32, hidden*rows), make([]float32, hidden*rows), randSlice(rng, hidden*rows)
		dgates := make([]float32, 4*hidden*rows)
		z := randSlice(rng, 100*outs)
		allocs := testing.AllocsPerRun(10, func() {
			LSTMCellRows(gates, cPrev, c, h, hidden, rows)
			LSTMCellBackwardRows(dgates, dh, gates, cPrev, c, dh, dh, hidden, rows)
			LogSoftmaxRows(z, 100, outs)
			ExpScale(z, z, 0.5)
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per run, want 0", allocs)
		}
	})
}
