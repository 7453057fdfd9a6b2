package f32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tolerances. Every kernel output is a sum of n products added to the old
// value. Recursive summation in float32 in any order, with or without FMA,
// is within n·u·Σ|terms| of the exact sum (u = 2⁻²⁴, Higham's γₙ bound to
// first order), so each implementation is checked against a float64
// reference with
//
//	|got − exact| ≤ 2·(n+1)·u·(|y₀| + Σ|aᵢ·xᵢ|) + tiny,
//
// a factor of two above the worst case; two implementations then agree to
// twice that, the 4·k·eps-style bound of the brief. The tiny term (1e-30)
// only covers exact zeros.
const unitRoundoff = 1.0 / (1 << 24)

func errBound(n int, mag float64) float64 {
	return 2*float64(n+1)*unitRoundoff*mag + 1e-30
}

// buf is a slice at an odd offset inside a larger allocation whose
// surroundings hold sentinels, so that the tests see misaligned data and
// catch any write outside the slice.
type buf struct {
	all    []float32
	off, n int
	orig   []float32
}

func newBuf(rng *rand.Rand, n int) *buf {
	off := 1 + rng.IntN(7)
	all := make([]float32, off+n+17)
	for i := range all {
		all[i] = float32(rng.NormFloat64())
	}
	return &buf{all: all, off: off, n: n, orig: slices.Clone(all)}
}

func (b *buf) s() []float32 { return b.all[b.off : b.off+b.n : b.off+b.n] }

func (b *buf) checkGuards(t *testing.T, what string) {
	t.Helper()
	for i, v := range b.all {
		if (i < b.off || i >= b.off+b.n) && v != b.orig[i] {
			t.Fatalf("%s: wrote outside the slice at %d (off %d, len %d)", what, i-b.off, b.off, b.n)
		}
	}
}

// dims covers 0, 1, the vector widths and their neighbours, and the
// project's sizes (39 inputs, 61 outputs, 128 hidden, 512 gates).
var dims = []int{0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 39, 61, 63, 64, 65, 127, 128, 129, 200, 512}

func forEachImpl(t *testing.T, f func(t *testing.T)) {
	for _, im := range available() {
		t.Run(im.String(), func(t *testing.T) {
			defer useImpl(im)()
			f(t)
		})
	}
}

// shapes returns pairs (r, c) drawn from dims, all of them small enough to
// keep the test quick.
func shapes(rng *rand.Rand, count int) [][2]int {
	out := [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {512, 128}, {512, 39}, {61, 128}, {128, 512}}
	for range count {
		out = append(out, [2]int{dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))]})
	}
	return out
}

func compare(t *testing.T, what string, got []float32, exact, mag []float64, n int) {
	t.Helper()
	for i, g := range got {
		if d := math.Abs(float64(g) - exact[i]); !(d <= errBound(n, mag[i])) {
			t.Fatalf("%s: element %d = %g, exact %g, |diff| %g > bound %g", what, i, g, exact[i], d, errBound(n, mag[i]))
		}
	}
}

func TestMatVec(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, sh := range shapes(rng, 60) {
			rows, cols := sh[0], sh[1]
			a, x, y := newBuf(rng, rows*cols), newBuf(rng, cols), newBuf(rng, rows)
			exact, mag := make([]float64, rows), make([]float64, rows)
			for r := range rows {
				exact[r], mag[r] = float64(y.s()[r]), math.Abs(float64(y.s()[r]))
				for c := range cols {
					p := float64(a.s()[r*cols+c]) * float64(x.s()[c])
					exact[r] += p
					mag[r] += math.Abs(p)
				}
			}
			MatVec(y.s(), a.s(), rows, cols, x.s())
			what := fmt.Sprintf("MatVec %d×%d", rows, cols)
			compare(t, what, y.s(), exact, mag, cols)
			y.checkGuards(t, what)
			a.checkGuards(t, what)
		}
	})
}

func TestMatTVec(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, sh := range shapes(rng, 60) {
			rows, cols := sh[0], sh[1]
			a, x, y := newBuf(rng, rows*cols), newBuf(rng, rows), newBuf(rng, cols)
			exact, mag := make([]float64, cols), make([]float64, cols)
			for c := range cols {
				exact[c], mag[c] = float64(y.s()[c]), math.Abs(float64(y.s()[c]))
				for r := range rows {
					p := float64(a.s()[r*cols+c]) * float64(x.s()[r])
					exact[c] += p
					mag[c] += math.Abs(p)
				}
			}
			MatTVec(y.s(), a.s(), rows, cols, x.s())
			what := fmt.Sprintf("MatTVec %d×%d", rows, cols)
			compare(t, what, y.s(), exact, mag, rows)
			y.checkGuards(t, what)
		}
	})
}

func TestAddOuter(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, sh := range shapes(rng, 60) {
			rows, cols := sh[0], sh[1]
			a, x, y := newBuf(rng, rows*cols), newBuf(rng, rows), newBuf(rng, cols)
			exact, mag := make([]float64, rows*cols), make([]float64, rows*cols)
			for r := range rows {
				for c := range cols {
					p := float64(x.s()[r]) * float64(y.s()[c])
					exact[r*cols+c] = float64(a.s()[r*cols+c]) + p
					mag[r*cols+c] = math.Abs(float64(a.s()[r*cols+c])) + math.Abs(p)
				}
			}
			AddOuter(a.s(), rows, cols, x.s(), y.s())
			what := fmt.Sprintf("AddOuter %d×%d", rows, cols)
			compare(t, what, a.s(), exact, mag, 1)
			a.checkGuards(t, what)
		}
	})
}

// mmShapes are (m, n, k) triples: random ones plus the project's window
// products.
func mmShapes(rng *rand.Rand) [][3]int {
	out := [][3]int{{0, 3, 3}, {3, 0, 3}, {3, 3, 0}, {1, 1, 1}, {20, 512, 39}, {7, 512, 128}, {512, 128, 20}, {512, 39, 21}, {61, 128, 9}}
	for range 50 {
		out = append(out, [3]int{dims[rng.IntN(len(dims)-1)], dims[rng.IntN(len(dims)-1)], dims[rng.IntN(len(dims)-1)]})
	}
	return out
}

// tileShapes are (m, n, k) triples around the register tiles of the
// AVX-512 products (4 rows × 4 vectors for Aᵀ·B, 16-lane vectors): every
// row count to 9 and past 16, the project's widths (16, 39, 61, 128, 512:
// whole vectors and masked tails), and depths around MatTMul's block of
// tnBlock rows, plus whole sentences of a lockstep batch (4800 rows).
func tileShapes() [][3]int {
	var out [][3]int
	for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17} {
		for _, n := range []int{16, 39, 61, 128} {
			for _, k := range []int{0, 1, 16, 39, 48, 49, 128} {
				out = append(out, [3]int{m, n, k})
			}
		}
	}
	return append(out, [3]int{16, 512, 128}, [3]int{17, 512, 49}, [3]int{9, 512, 4800},
		[3]int{5, 39, 4800}, [3]int{61, 128, 4800}, [3]int{6, 61, 4800})
}

func TestMatMulT(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, sh := range mmShapes(rng) {
			m, n, k := sh[0], sh[1], sh[2]
			a, b, c := newBuf(rng, m*k), newBuf(rng, n*k), newBuf(rng, m*n)
			exact, mag := make([]float64, m*n), make([]float64, m*n)
			for i := range m {
				for j := range n {
					e, g := float64(c.s()[i*n+j]), math.Abs(float64(c.s()[i*n+j]))
					for p := range k {
						v := float64(a.s()[i*k+p]) * float64(b.s()[j*k+p])
						e += v
						g += math.Abs(v)
					}
					exact[i*n+j], mag[i*n+j] = e, g
				}
			}
			MatMulT(c.s(), a.s(), b.s(), m, n, k)
			what := fmt.Sprintf("MatMulT m%d n%d k%d", m, n, k)
			compare(t, what, c.s(), exact, mag, k)
			c.checkGuards(t, what)
		}
	})
}

func TestMatTMul(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, sh := range append(mmShapes(rng), tileShapes()...) {
			m, n, k := sh[0], sh[1], sh[2]
			a, b, c := newBuf(rng, k*m), newBuf(rng, k*n), newBuf(rng, m*n)
			exact, mag := make([]float64, m*n), make([]float64, m*n)
			for i := range m {
				for j := range n {
					e, g := float64(c.s()[i*n+j]), math.Abs(float64(c.s()[i*n+j]))
					for p := range k {
						v := float64(a.s()[p*m+i]) * float64(b.s()[p*n+j])
						e += v
						g += math.Abs(v)
					}
					exact[i*n+j], mag[i*n+j] = e, g
				}
			}
			MatTMul(c.s(), a.s(), b.s(), m, n, k)
			what := fmt.Sprintf("MatTMul m%d n%d k%d", m, n, k)
			compare(t, what, c.s(), exact, mag, k)
			c.checkGuards(t, what)
		}
	})
}

// TestMatTMulSet: C = Aᵀ·B must have exactly the bits of clearing C and
// accumulating with MatTMul in the same implementation (no tolerance: the
// gradient it writes feeds bit-identical training curves), whatever C held
// before (NaN here), including the signs of zero products (−0 inputs) and
// over more rows than one block.
func TestMatTMulSet(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		shapes := append(mmShapes(rng), [3]int{512, 128, 1}, [3]int{61, 128, 1}, [3]int{33, 47, 2*tnBlock + 5}, [3]int{5, 17, 0})
		shapes = append(shapes, tileShapes()...)
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			a, b, c := newBuf(rng, k*m), newBuf(rng, k*n), newBuf(rng, m*n)
			for i := range a.s() {
				if rng.IntN(5) == 0 {
					a.s()[i] = float32(math.Copysign(0, float64(a.s()[i])))
				}
			}
			for i := range b.s() {
				if rng.IntN(5) == 0 {
					b.s()[i] = 0
				}
			}
			want := make([]float32, m*n)
			MatTMul(want, a.s(), b.s(), m, n, k)
			for i := range c.s() {
				c.s()[i] = float32(math.NaN())
			}
			MatTMulSet(c.s(), a.s(), b.s(), m, n, k)
			what := fmt.Sprintf("MatTMulSet m%d n%d k%d", m, n, k)
			for i, v := range c.s() {
				if math.Float32bits(v) != math.Float32bits(want[i]) {
					t.Fatalf("%s: element %d is %g (bits %#x), clear+MatTMul gives %g (%#x)", what, i, v, math.Float32bits(v), want[i], math.Float32bits(want[i]))
				}
			}
			c.checkGuards(t, what)
		}
	})
}

func TestDotAxpy(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for n := range 300 {
			x, y := newBuf(rng, n), newBuf(rng, n)
			var exact, mag float64
			for i := range n {
				p := float64(x.s()[i]) * float64(y.s()[i])
				exact += p
				mag += math.Abs(p)
			}
			got := Dot(x.s(), y.s())
			compare(t, fmt.Sprintf("Dot n%d", n), []float32{got}, []float64{exact}, []float64{mag}, n)

			alpha := float32(rng.NormFloat64())
			ex, mg := make([]float64, n), make([]float64, n)
			for i := range n {
				p := float64(alpha) * float64(x.s()[i])
				ex[i] = float64(y.s()[i]) + p
				mg[i] = math.Abs(float64(y.s()[i])) + math.Abs(p)
			}
			Axpy(y.s(), alpha, x.s())
			what := fmt.Sprintf("Axpy n%d", n)
			compare(t, what, y.s(), ex, mg, 1)
			y.checkGuards(t, what)
		}
	})
}

// TestImplementationsAgree runs the same inputs through every
// implementation and compares them pairwise with twice the per-kernel
// bound (each is within the bound of the exact result).
func TestImplementationsAgree(t *testing.T) {
	impls := available()
	if len(impls) < 2 {
		t.Logf("only %v available; agreement is covered by the exact-reference tests", impls)
	}
	rng := rand.New(rand.NewPCG(13, 14))
	const rows, cols = 512, 128
	a, x := newBuf(rng, rows*cols), newBuf(rng, cols)
	var results [][]float32
	for _, im := range impls {
		restore := useImpl(im)
		y := make([]float32, rows)
		MatVec(y, a.s(), rows, cols, x.s())
		restore()
		results = append(results, y)
	}
	for r := range rows {
		var mag float64
		for c := range cols {
			mag += math.Abs(float64(a.s()[r*cols+c]) * float64(x.s()[c]))
		}
		for i := 1; i < len(results); i++ {
			if d := math.Abs(float64(results[i][r] - results[0][r])); d > 2*errBound(cols, mag) {
				t.Fatalf("row %d: %v gives %g, %v gives %g", r, impls[i], results[i][r], impls[0], results[0][r])
			}
		}
	}
}

func TestNoAllocs(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(15, 16))
		a, w := newBuf(rng, 512*128), newBuf(rng, 512*128)
		x, y := newBuf(rng, 512), newBuf(rng, 512)
		allocs := testing.AllocsPerRun(10, func() {
			MatVec(y.s(), a.s(), 512, 128, x.s())
			MatTVec(y.s(), a.s(), 512, 128, x.s())
			AddOuter(w.s(), 512, 128, x.s(), y.s())
			MatMulT(w.s(), a.s(), a.s(), 20, 512, 39)
			MatTMul(w.s(), a.s(), a.s(), 512, 128, 20)
			MatMul(w.s(), a.s(), a.s(), 16, 512, 128)
			MatMulSet(w.s(), a.s(), a.s(), 100, 512, 39)
			_ = Dot(x.s(), y.s())
			Axpy(y.s(), 0.5, x.s())
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per run, want 0", allocs)
		}
	})
}

func TestShapePanics(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"MatVec short a", func() { MatVec(make([]float32, 2), make([]float32, 5), 2, 3, make([]float32, 3)) }},
		{"MatVec short x", func() { MatVec(make([]float32, 2), make([]float32, 6), 2, 3, make([]float32, 2)) }},
		{"MatTVec short y", func() { MatTVec(make([]float32, 2), make([]float32, 6), 2, 3, make([]float32, 2)) }},
		{"AddOuter negative", func() { AddOuter(nil, -1, 3, nil, nil) }},
		{"MatMulT short c", func() { MatMulT(make([]float32, 3), make([]float32, 4), make([]float32, 4), 2, 2, 2) }},
		{"MatMul short b", func() { MatMul(make([]float32, 4), make([]float32, 4), make([]float32, 3), 2, 2, 2) }},
		{"MatMulSet short c", func() { MatMulSet(make([]float32, 3), make([]float32, 4), make([]float32, 4), 2, 2, 2) }},
		{"Dot short y", func() { Dot(make([]float32, 3), make([]float32, 2)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.f()
		})
	}
}

func TestUse(t *testing.T) {
	before := Implementation()
	for _, name := range Implementations() {
		restore, err := Use(name)
		if err != nil {
			t.Fatalf("Use(%q): %v", name, err)
		}
		if got := Implementation(); got != name {
			t.Errorf("after Use(%q), Implementation() = %q", name, got)
		}
		restore()
	}
	if got := Implementation(); got != before {
		t.Errorf("restore left %q, want %q", got, before)
	}
	if _, err := Use("sse9"); err == nil {
		t.Error("Use of an unknown implementation succeeded")
	}
}

func TestMatMul(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		shapes := append(mmShapes(rng), [3]int{16, 512, 128}, [3]int{5, 128, 512}, [3]int{33, 128, 61}, [3]int{3, 16, 7}, [3]int{9, 80, 3}, [3]int{4, 24, 5})
		shapes = append(shapes, tileShapes()...)
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			a, b, c := newBuf(rng, m*k), newBuf(rng, k*n), newBuf(rng, m*n)
			exact, mag := make([]float64, m*n), make([]float64, m*n)
			for i := range m {
				for j := range n {
					e, g := float64(c.s()[i*n+j]), math.Abs(float64(c.s()[i*n+j]))
					for p := range k {
						v := float64(a.s()[i*k+p]) * float64(b.s()[p*n+j])
						e += v
						g += math.Abs(v)
					}
					exact[i*n+j], mag[i*n+j] = e, g
				}
			}
			MatMul(c.s(), a.s(), b.s(), m, n, k)
			what := fmt.Sprintf("MatMul m%d n%d k%d", m, n, k)
			compare(t, what, c.s(), exact, mag, k)
			c.checkGuards(t, what)
		}
	})
}

// TestMatMulSet: C = A·B must have exactly the bits of clearing C and
// accumulating with MatMul in the same implementation, whatever C held
// before (NaN here), including the signs of zero products (−0 inputs),
// widths the vector kernels do not take (n = 39, 61) and more rows than
// one of the AVX-512 wrapper's blocks.
func TestMatMulSet(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(17, 18))
		shapes := append(mmShapes(rng), [3]int{16, 512, 1}, [3]int{2*nnBlock + 5, 32, 7}, [3]int{5, 16, 0})
		shapes = append(shapes, tileShapes()...)
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			a, b, c := newBuf(rng, m*k), newBuf(rng, k*n), newBuf(rng, m*n)
			for i := range a.s() {
				if rng.IntN(5) == 0 {
					a.s()[i] = float32(math.Copysign(0, float64(a.s()[i])))
				}
			}
			for i := range b.s() {
				if rng.IntN(5) == 0 {
					b.s()[i] = 0
				}
			}
			want := make([]float32, m*n)
			MatMul(want, a.s(), b.s(), m, n, k)
			for i := range c.s() {
				c.s()[i] = float32(math.NaN())
			}
			MatMulSet(c.s(), a.s(), b.s(), m, n, k)
			what := fmt.Sprintf("MatMulSet m%d n%d k%d", m, n, k)
			for i, v := range c.s() {
				if math.Float32bits(v) != math.Float32bits(want[i]) {
					t.Fatalf("%s: element %d is %g (bits %#x), clear+MatMul gives %g (%#x)", what, i, v, math.Float32bits(v), want[i], math.Float32bits(want[i]))
				}
			}
			c.checkGuards(t, what)
		}
	})
}
