package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The 16-lane element-wise kernels of a lockstep batch (AVX-512F): the
// LSTM cell and its gradient over consecutive rows, the log softmax of
// the output rows and the scaled exponential of the output error. They
// use the activations' operations (Cephes expf, σ and tanh through one
// division each) in ZMM registers, instruction for instruction those of
// the 8-lane kernels, so each full vector gives the bits the AVX2 kernel
// gives on the same lanes (VRNDSCALEPS $0 rounds as VROUNDPS $0 does).
// Partial vectors at the end of a row go through opmask K1: zero-masking
// loads and masked stores, which neither read nor write past the row.
//
// The constants are broadcast once per call into Z17 … Z31 (consts16);
// Z0 … Z16 are the work registers. Only AVX-512F instructions are used
// (VPXORD rather than VXORPS, which needs AVX-512DQ on ZMM).

// consts16 are the activations' constants broadcast into ZMM registers.
type consts16 struct {
	one, two, sign, expHi, expLo, log2e, c1, c2 reg.VecPhysical
	p                                           [6]reg.VecPhysical
	bias127                                     reg.VecPhysical
}

// load16 broadcasts the 8-lane constants' first words into Z17 … Z31.
func (c *actConsts) load16(g *gen) *consts16 {
	k := &consts16{}
	regs := []*reg.VecPhysical{&k.one, &k.two, &k.sign, &k.expHi, &k.expLo, &k.log2e, &k.c1, &k.c2,
		&k.p[0], &k.p[1], &k.p[2], &k.p[3], &k.p[4], &k.p[5], &k.bias127}
	mems := []operand.Mem{c.one, c.two, c.sign, c.expHi, c.expLo, c.log2e, c.expC1, c.expC2,
		c.expP0, c.expP1, c.expP2, c.expP3, c.expP4, c.expP5, c.bias127}
	for i, r := range regs {
		*r = zmm(17 + i)
		g.VBROADCASTSS(mems[i], *r)
	}
	return k
}

// act is one activation in flight: x, replaced by σ(x) or tanh(x), and
// its two scratch registers.
type act struct {
	tanh      bool
	x, t1, t2 reg.Register
}

// activations emits the activations as together, each step of the
// computation for every one of them before the next step: the same
// operations on each as sigmoid or tanh alone (so the same bits), in an
// order that puts independent work side by side for the out-of-order
// core.
func (k *consts16) activations(g *gen, as ...act) {
	each := func(f func(a act)) {
		for _, a := range as {
			f(a)
		}
	}
	each(func(a act) {
		if a.tanh {
			g.VADDPS(a.x, a.x, a.x) // tanh x = 1 − 2/(1+exp(2x))
		} else {
			g.VPXORD(k.sign, a.x, a.x) // σ(x) = 1/(1+exp(−x))
		}
	})
	k.expfN(g, as)
	each(func(a act) { g.VADDPS(k.one, a.x, a.x) })
	each(func(a act) {
		if a.tanh {
			g.VDIVPS(a.x, k.two, a.x)
		} else {
			g.VDIVPS(a.x, k.one, a.x)
		}
	})
	each(func(a act) {
		if a.tanh {
			g.VSUBPS(a.x, k.one, a.x)
		}
	})
}

// expf is actConsts.expf on 16 lanes with the constants in registers.
func (k *consts16) expf(g *gen, x, t1, t2 reg.Register) {
	k.expfN(g, []act{{x: x, t1: t1, t2: t2}})
}

// expfN replaces each x of as by exp(x), the steps interleaved.
func (k *consts16) expfN(g *gen, as []act) {
	each := func(f func(x, t1, t2 reg.Register)) {
		for _, a := range as {
			f(a.x, a.t1, a.t2)
		}
	}
	each(func(x, t1, t2 reg.Register) { g.VMINPS(x, k.expHi, x) })
	each(func(x, t1, t2 reg.Register) { g.VMAXPS(x, k.expLo, x) })
	each(func(x, t1, t2 reg.Register) { g.VMULPS(k.log2e, x, t1) })
	each(func(x, t1, t2 reg.Register) { g.VRNDSCALEPS(imm(0), t1, t1) }) // n = round(x·log2 e), to nearest
	each(func(x, t1, t2 reg.Register) { g.VFNMADD231PS(k.c1, t1, x) })
	each(func(x, t1, t2 reg.Register) { g.VFNMADD231PS(k.c2, t1, x) }) // r = x − n·ln 2
	each(func(x, t1, t2 reg.Register) { g.VMOVAPS(k.p[0], t2) })
	for _, p := range k.p[1:] {
		each(func(x, t1, t2 reg.Register) { g.VFMADD213PS(p, x, t2) })
	}
	each(func(x, t1, t2 reg.Register) { g.VMULPS(x, t2, t2) })
	each(func(x, t1, t2 reg.Register) { g.VFMADD213PS(x, x, t2) })
	each(func(x, t1, t2 reg.Register) { g.VADDPS(k.one, t2, t2) }) // e^r = 1 + r + r²·P(r)
	each(func(x, t1, t2 reg.Register) { g.VCVTPS2DQ(t1, t1) })
	each(func(x, t1, t2 reg.Register) { g.VPADDD(k.bias127, t1, t1) })
	each(func(x, t1, t2 reg.Register) { g.VPSLLD(imm(23), t1, t1) }) // 2ⁿ
	each(func(x, t1, t2 reg.Register) { g.VMULPS(t1, t2, x) })
}

// sigmoid replaces x by 1/(1+exp(−x)).
func (k *consts16) sigmoid(g *gen, x, t1, t2 reg.Register) {
	k.activations(g, act{x: x, t1: t1, t2: t2})
}

// tanh replaces x by 1 − 2/(1+exp(2x)).
func (k *consts16) tanh(g *gen, x, t1, t2 reg.Register) {
	k.activations(g, act{tanh: true, x: x, t1: t1, t2: t2})
}

// ld loads a vector, whole (mask nil) or the lanes of mask with the
// others zero; st stores a vector, whole or the lanes of mask.
func ld(g *gen, m operand.Mem, mask, dst reg.Register) {
	if mask == nil {
		g.VMOVUPS(m, dst)
	} else {
		g.VMOVUPS_Z(m, mask, dst)
	}
}

func st(g *gen, src, mask reg.Register, m operand.Mem) {
	if mask == nil {
		g.VMOVUPS(src, m)
	} else {
		g.VMOVUPS(src, mask, m)
	}
}

// rowLoop16 emits the loops of a kernel over rows of cols elements (cols
// a register or the argument's slot): for each of the rows (count in the
// register rows), startRow, the whole vectors of the row (body(nil), then
// every pointer in ptrs moved on by 64 bytes), then the cols mod 16 left
// (body(K1), pointers moved on by that many elements), then endRow. It
// sets K1 from cols first (clobbering AX and CX) and uses R10 for the
// count within the row; labels start with name.
func rowLoop16(g *gen, name string, rows reg.Register, cols operand.Op, ptrs []reg.Register, body func(mask reg.Register), startRow, endRow func()) {
	rowPasses16(g, name, rows, cols, []rowPass{{ptrs, body}}, startRow, endRow)
}

// A rowPass is one loop over the columns of a row: its body and the
// pointers it moves on.
type rowPass struct {
	ptrs []reg.Register
	body func(mask reg.Register)
}

// rowPasses16 is rowLoop16 with several passes over each row, one after
// the other.
func rowPasses16(g *gen, name string, rows reg.Register, cols operand.Op, passes []rowPass, startRow, endRow func()) {
	l := func(s string) operand.LabelRef { return operand.LabelRef(name + s) }
	g.MOVQ(cols, CX)
	g.ANDQ(imm(15), CX)
	lowBits(g, reg.K1)

	g.Label(name + "row")
	g.TESTQ(rows, rows)
	g.JZ(l("done"))
	startRow()
	for i, p := range passes {
		sfx := ""
		if i > 0 {
			sfx = fmt.Sprint(i + 1)
		}
		g.MOVQ(cols, R10)
		g.Label(name + "col" + sfx)
		g.CMPQ(R10, imm(16))
		g.JLT(l("tail" + sfx))
		p.body(nil)
		for _, q := range p.ptrs {
			g.ADDQ(imm(64), q)
		}
		g.SUBQ(imm(16), R10)
		g.JMP(l("col" + sfx))

		g.Label(name + "tail" + sfx)
		g.TESTQ(R10, R10)
		g.JZ(l("next" + sfx))
		p.body(reg.K1)
		for _, q := range p.ptrs {
			g.LEAQ(memIdx(q, 0, R10, 4), q)
		}
		g.Label(name + "next" + sfx)
	}
	endRow()
	g.DECQ(rows)
	g.JMP(l("row"))

	g.Label(name + "done")
	g.VZEROUPPER()
	g.RET()
}

// lstmCellRowsKernel emits
//
//	func lstmCellRowsAvx512(gates, cPrev, c, h *float32, hidden, rows int)
//
// lstmCellAvx2 over rows consecutive rows (gates rows×4·hidden, the
// others rows×hidden), 16 cells at a time and the last hidden mod 16
// masked, in two passes over each row: the gates and c, then h. DI walks
// a row of gates in the first pass (the gate stride R9 = hidden·4 bytes,
// R11 three of them; at the end of a row DI has moved on by one stride and
// R11 more take it to the next row) and R12 in the second, SI cPrev, DX c
// in the first and R13 in the second, R8 h, BX counts rows.
func lstmCellRowsKernel(g *gen, c *actConsts) {
	g.text("lstmCellRowsAvx512", "func(gates, cPrev, c, h *float32, hidden, rows int)")
	g.Comment("lstmCellAvx2 on 16 lanes over rows; described in _asm/rows.go.")
	k := c.load16(g)
	g.MOVQ(g.arg("gates"), DI)
	g.MOVQ(g.arg("cPrev"), SI)
	g.MOVQ(g.arg("c"), DX)
	g.MOVQ(g.arg("h"), R8)
	g.MOVQ(g.arg("hidden"), R9)
	g.MOVQ(g.arg("rows"), BX)
	g.SHLQ(imm(2), R9)
	g.LEAQ(memIdx(R9, 0, R9, 2), R11)
	gate := []operand.Mem{mem(DI, 0), memIdx(DI, 0, R9, 1), memIdx(DI, 0, R9, 2), memIdx(DI, 0, R11, 1)}
	body := func(m reg.Register) {
		for i, a := range gate {
			ld(g, a, m, zmm(i))
		}
		// The four gates' activations side by side: 15 % faster than
		// one after the other (measured on Zen 5).
		k.activations(g, act{false, zmm(0), zmm(8), zmm(9)}, // i
			act{false, zmm(1), zmm(10), zmm(11)}, // f
			act{true, zmm(2), zmm(12), zmm(13)},  // g
			act{false, zmm(3), zmm(14), zmm(15)}) // o
		for i, a := range gate {
			st(g, zmm(i), m, a)
		}
		g.VMULPS(zmm(2), zmm(0), zmm(4))
		if m == nil {
			g.VFMADD231PS(mem(SI, 0), zmm(1), zmm(4)) // c = f·cPrev + i·g
		} else {
			ld(g, mem(SI, 0), m, zmm(5))
			g.VFMADD231PS(zmm(5), zmm(1), zmm(4))
		}
		st(g, zmm(4), m, mem(DX, 0))
	}
	// h = o·tanh(c) in a second pass over the row, from c and o as stored
	// (so the same bits): a short loop whose iterations the core overlaps,
	// where at the end of the first pass tanh(c) would wait for the gates
	// (10 % faster on Zen 5).
	tanhMul := func(m reg.Register) {
		ld(g, mem(R13, 0), m, zmm(0))
		k.tanh(g, zmm(0), zmm(1), zmm(2))
		ld(g, memIdx(R12, 0, R11, 1), m, zmm(3))
		g.VMULPS(zmm(0), zmm(3), zmm(0))
		st(g, zmm(0), m, mem(R8, 0))
	}
	passes := []rowPass{{[]reg.Register{DI, SI, DX}, body}, {[]reg.Register{R12, R13, R8}, tanhMul}}
	rowPasses16(g, "cr", BX, g.arg("hidden"), passes, func() {
		g.MOVQ(DI, R12)
		g.MOVQ(DX, R13)
	}, func() { g.ADDQ(R11, DI) })
}

// lstmCellBackwardRowsKernel emits
//
//	func lstmCellBackwardRowsAvx512(dgates, dcPrev, gates, cPrev, c, dh, dc *float32, hidden, rows int)
//
// lstmCellBackwardAvx2 (without dcT) over rows consecutive rows, 16 cells
// at a time and the last hidden mod 16 masked. DI walks dgates and SI gates as lstmCellRowsKernel's DI; R12
// dcPrev, R13 cPrev, DX c, R8 dh, BX dc; R14 counts rows. dcPrev may be
// dc: each vector of dc is loaded before the same vector of dcPrev is
// stored.
func lstmCellBackwardRowsKernel(g *gen, c *actConsts) {
	g.text("lstmCellBackwardRowsAvx512", "func(dgates, dcPrev, gates, cPrev, c, dh, dc *float32, hidden, rows int)")
	g.Comment("lstmCellBackwardAvx2 on 16 lanes over rows; described in _asm/rows.go.")
	k := c.load16(g)
	g.MOVQ(g.arg("dgates"), DI)
	g.MOVQ(g.arg("dcPrev"), R12)
	g.MOVQ(g.arg("gates"), SI)
	g.MOVQ(g.arg("cPrev"), R13)
	g.MOVQ(g.arg("c"), DX)
	g.MOVQ(g.arg("dh"), R8)
	g.MOVQ(g.arg("dc"), BX)
	g.MOVQ(g.arg("hidden"), R9)
	g.MOVQ(g.arg("rows"), R14)
	g.SHLQ(imm(2), R9)
	g.LEAQ(memIdx(R9, 0, R9, 2), R11)
	z := zmm
	body := func(m reg.Register) {
		ld(g, mem(DX, 0), m, z(4))
		k.tanh(g, z(4), z(8), z(9))           // tc = tanh(c)
		ld(g, mem(SI, 0), m, z(0))            // i
		ld(g, memIdx(SI, 0, R9, 1), m, z(1))  // f
		ld(g, memIdx(SI, 0, R9, 2), m, z(2))  // g
		ld(g, memIdx(SI, 0, R11, 1), m, z(3)) // o
		ld(g, mem(R8, 0), m, z(5))            // dh
		g.Comment("dcT = dc + dh·o·(1 − tc²)")
		g.VMOVAPS(k.one, z(6))
		g.VFNMADD231PS(z(4), z(4), z(6)) // 1 − tc²
		g.VMULPS(z(3), z(5), z(7))       // dh·o
		ld(g, mem(BX, 0), m, z(10))
		g.VFMADD231PS(z(7), z(6), z(10)) // dcT
		g.Comment("do = dh·tc·o·(1 − o)")
		g.VMULPS(z(4), z(5), z(7))
		g.VMOVAPS(z(3), z(6))
		g.VFNMADD231PS(z(3), z(3), z(6))
		g.VMULPS(z(6), z(7), z(7))
		st(g, z(7), m, memIdx(DI, 0, R11, 1))
		g.Comment("di = dcT·g·i·(1 − i)")
		g.VMOVAPS(z(0), z(6))
		g.VFNMADD231PS(z(0), z(0), z(6))
		g.VMULPS(z(2), z(10), z(7))
		g.VMULPS(z(6), z(7), z(7))
		st(g, z(7), m, mem(DI, 0))
		g.Comment("dg = dcT·i·(1 − g²)")
		g.VMOVAPS(k.one, z(6))
		g.VFNMADD231PS(z(2), z(2), z(6))
		g.VMULPS(z(0), z(10), z(7))
		g.VMULPS(z(6), z(7), z(7))
		st(g, z(7), m, memIdx(DI, 0, R9, 2))
		g.Comment("df = dcT·cPrev·f·(1 − f)")
		g.VMOVAPS(z(1), z(6))
		g.VFNMADD231PS(z(1), z(1), z(6))
		if m == nil {
			g.VMULPS(mem(R13, 0), z(10), z(7))
		} else {
			ld(g, mem(R13, 0), m, z(11))
			g.VMULPS(z(11), z(10), z(7))
		}
		g.VMULPS(z(6), z(7), z(7))
		st(g, z(7), m, memIdx(DI, 0, R9, 1))
		g.Comment("dcPrev = dcT·f")
		g.VMULPS(z(1), z(10), z(7))
		st(g, z(7), m, mem(R12, 0))
	}
	// A first pass for tanh(c), as in lstmCellRowsKernel, measured no
	// faster here: the main pass has less work waiting for it.
	rowLoop16(g, "br", R14, g.arg("hidden"), []reg.Register{DI, R12, SI, R13, DX, R8, BX}, body, func() {}, func() {
		g.ADDQ(R11, DI)
		g.ADDQ(R11, SI)
	})
}

// expScaleKernel512 emits
//
//	func expScaleAvx512(dst, src *float32, n int, scale float32)
//
// dst[i] = scale·exp(src[i]) for all n (one row of n; the last n mod 16
// masked). dst may be src. DI dst, SI src, Z16 the broadcast scale.
func expScaleKernel512(g *gen, c *actConsts) {
	g.text("expScaleAvx512", "func(dst, src *float32, n int, scale float32)")
	k := c.load16(g)
	g.MOVQ(g.arg("dst"), DI)
	g.MOVQ(g.arg("src"), SI)
	g.VBROADCASTSS(g.arg("scale"), zmm(16))
	g.MOVQ(operand.U32(1), BX) // one row
	rowLoop16(g, "es", BX, g.arg("n"), []reg.Register{DI, SI}, func(m reg.Register) {
		ld(g, mem(SI, 0), m, zmm(0))
		k.expf(g, zmm(0), zmm(1), zmm(2))
		g.VMULPS(zmm(16), zmm(0), zmm(0))
		st(g, zmm(0), m, mem(DI, 0))
	}, func() {}, func() {})
}

// logSumExpRowsKernel emits
//
//	func logSumExpRowsAvx512(z *float32, rows, n int, mx, sum *float32)
//
// For each of rows rows of n floats at z, mx[r] = max of the row and
// sum[r] = Σ exp(z − mx[r]): the maximum over masked-in lanes (the tail
// merged into −Inf), then the exponentials summed in 16 float32 lanes
// (each taking every 16th term) and the lanes added pairwise, 8 + 8,
// 4 + 4, 2 + 2, 1 + 1. The caller takes the logarithm. A NaN anywhere in
// a row makes its sum NaN (exp lets NaN through; VMAXPS may drop it from
// the maximum, but then z − mx is NaN for that element).
//
// Registers: DI the row, AX walks it, R9 n, R10 the count left, BX rows
// left, SI mx, DX sum, Z16 −Inf, Z0 the maximum, Z2 the sum.
func logSumExpRowsKernel(g *gen, c *actConsts, negInf operand.Mem) {
	g.text("logSumExpRowsAvx512", "func(z *float32, rows, n int, mx, sum *float32)")
	g.Comment("Row maxima and sums of exponentials; described in _asm/rows.go.")
	k := c.load16(g)
	g.VBROADCASTSS(negInf, zmm(16))
	g.MOVQ(g.arg("z"), DI)
	g.MOVQ(g.arg("rows"), BX)
	g.MOVQ(g.arg("n"), R9)
	g.MOVQ(g.arg("mx"), SI)
	g.MOVQ(g.arg("sum"), DX)
	g.MOVQ(R9, CX)
	g.ANDQ(imm(15), CX)
	lowBits(g, reg.K1)
	l := func(s string) operand.LabelRef { return operand.LabelRef("ls" + s) }
	x0, x1 := reg.X0, reg.X1
	y0, y1 := reg.Y0, reg.Y1
	// reduce folds the 16 lanes of Z0 with op into lane 0 of X0.
	reduce := func(op func(a, b, dst operand.Op)) {
		g.VEXTRACTF64X4(imm(1), zmm(0), y1)
		op(y1, y0, y0)
		g.VEXTRACTF128(imm(1), y0, x1)
		op(x1, x0, x0)
		g.VPERMILPS(imm(0x4e), x0, x1) // swap the 64-bit halves
		op(x1, x0, x0)
		g.VPERMILPS(imm(0xb1), x0, x1) // swap neighbours
		op(x1, x0, x0)
	}

	g.Label("lsrow")
	g.TESTQ(BX, BX)
	g.JZ(l("done"))

	g.Comment("the maximum")
	g.MOVQ(DI, AX)
	g.MOVQ(R9, R10)
	g.VMOVAPS(zmm(16), zmm(0))
	g.Label("lsmax")
	g.CMPQ(R10, imm(16))
	g.JLT(l("maxtail"))
	g.VMAXPS(mem(AX, 0), zmm(0), zmm(0))
	g.ADDQ(imm(64), AX)
	g.SUBQ(imm(16), R10)
	g.JMP(l("max"))
	g.Label("lsmaxtail")
	g.TESTQ(R10, R10)
	g.JZ(l("maxred"))
	g.VMOVAPS(zmm(16), zmm(1))
	g.VMOVUPS(mem(AX, 0), reg.K1, zmm(1)) // tail merged into −Inf
	g.VMAXPS(zmm(1), zmm(0), zmm(0))
	g.Label("lsmaxred")
	reduce(func(a, b, dst operand.Op) { g.VMAXPS(a, b, dst) })
	g.VMOVSS(x0, mem(SI, 0))
	g.VBROADCASTSS(x0, zmm(0))

	g.Comment("Σ exp(z − max) in 16 lanes")
	g.MOVQ(DI, AX)
	g.MOVQ(R9, R10)
	g.VPXORD(zmm(2), zmm(2), zmm(2))
	g.Label("lssum")
	g.CMPQ(R10, imm(16))
	g.JLT(l("sumtail"))
	g.VMOVUPS(mem(AX, 0), zmm(3))
	g.VSUBPS(zmm(0), zmm(3), zmm(3))
	k.expf(g, zmm(3), zmm(4), zmm(5))
	g.VADDPS(zmm(3), zmm(2), zmm(2))
	g.ADDQ(imm(64), AX)
	g.SUBQ(imm(16), R10)
	g.JMP(l("sum"))
	g.Label("lssumtail")
	g.TESTQ(R10, R10)
	g.JZ(l("sumred"))
	g.VMOVUPS_Z(mem(AX, 0), reg.K1, zmm(3))
	g.VSUBPS(zmm(0), zmm(3), zmm(3))
	k.expf(g, zmm(3), zmm(4), zmm(5))
	g.VADDPS(zmm(3), zmm(2), reg.K1, zmm(2)) // masked-off lanes keep their sums
	g.Label("lssumred")
	g.VMOVAPS(zmm(2), zmm(0))
	reduce(func(a, b, dst operand.Op) { g.VADDPS(a, b, dst) })
	g.VMOVSS(x0, mem(DX, 0))

	g.LEAQ(memIdx(DI, 0, R9, 4), DI)
	g.ADDQ(imm(4), SI)
	g.ADDQ(imm(4), DX)
	g.DECQ(BX)
	g.JMP(l("row"))

	g.Label("lsdone")
	g.VZEROUPPER()
	g.RET()
}

// subRowsKernel emits
//
//	func subRowsAvx512(z *float32, rows, n int, v *float32)
//
// z[r][i] −= v[r] for rows rows of n floats. DI walks z, SI v, BX counts
// rows, Z16 holds v[r].
func subRowsKernel(g *gen) {
	g.text("subRowsAvx512", "func(z *float32, rows, n int, v *float32)")
	g.MOVQ(g.arg("z"), DI)
	g.MOVQ(g.arg("rows"), BX)
	g.MOVQ(g.arg("v"), SI)
	rowLoop16(g, "sr", BX, g.arg("n"), []reg.Register{DI}, func(m reg.Register) {
		ld(g, mem(DI, 0), m, zmm(0))
		g.VSUBPS(zmm(16), zmm(0), zmm(0))
		st(g, zmm(0), m, mem(DI, 0))
	}, func() {
		g.VBROADCASTSS(mem(SI, 0), zmm(16))
	}, func() {
		g.ADDQ(imm(4), SI)
	})
}

// The log soft-max's kernels at the AVX2 level: logSumExpRowsKernel and
// subRowsKernel on 8 lanes, with the constants as memory operands and the
// partial vector at the end of a row loaded with VMASKMOVPS (masked-off
// lanes read as zero) under the lane mask in Y15, taken from rowMask<>.

// rowMaskTail sets Y15 to the mask of the last n mod 8 lanes (n in the
// argument slot) from tab, rowMask<>: its words 0–7 all ones, 8–15 zero.
// Clobbers AX and CX.
func rowMaskTail(g *gen, n operand.Op, tab operand.Mem) {
	g.MOVQ(n, AX)
	g.ANDQ(imm(7), AX)
	g.NEGQ(AX)
	g.LEAQ(tab.Offset(32), CX)
	g.VMOVUPS(memIdx(CX, 0, AX, 4), reg.Y15)
}

// logSumExpRowsKernel2 emits
//
//	func logSumExpRowsAvx2(z *float32, rows, n int, mx, sum *float32)
//
// logSumExpRowsAvx512 on 8 lanes: the tail of the maximum blended into
// −Inf (Y14), the tail's exponentials cleared (VANDPS with the mask)
// before they are summed; the lanes added pairwise, 4 + 4, 2 + 2, 1 + 1.
func logSumExpRowsKernel2(g *gen, c *actConsts, negInf, tab operand.Mem) {
	g.text("logSumExpRowsAvx2", "func(z *float32, rows, n int, mx, sum *float32)")
	g.Comment("Row maxima and sums of exponentials on 8 lanes; described in _asm/rows.go.")
	rowMaskTail(g, g.arg("n"), tab)
	g.VBROADCASTSS(negInf, reg.Y14)
	g.MOVQ(g.arg("z"), DI)
	g.MOVQ(g.arg("rows"), BX)
	g.MOVQ(g.arg("n"), R9)
	g.MOVQ(g.arg("mx"), SI)
	g.MOVQ(g.arg("sum"), DX)
	l := func(s string) operand.LabelRef { return operand.LabelRef("l2" + s) }
	x0, x1 := reg.X0, reg.X1
	reduce := func(op func(a, b, dst operand.Op)) {
		g.VEXTRACTF128(imm(1), Y[0], x1)
		op(x1, x0, x0)
		g.VPERMILPS(imm(0x4e), x0, x1)
		op(x1, x0, x0)
		g.VPERMILPS(imm(0xb1), x0, x1)
		op(x1, x0, x0)
	}

	g.Label("l2row")
	g.TESTQ(BX, BX)
	g.JZ(l("done"))

	g.MOVQ(DI, AX)
	g.MOVQ(R9, R10)
	g.VMOVAPS(reg.Y14, Y[0])
	g.Label("l2max")
	g.CMPQ(R10, imm(8))
	g.JLT(l("maxtail"))
	g.VMAXPS(mem(AX, 0), Y[0], Y[0])
	g.ADDQ(imm(32), AX)
	g.SUBQ(imm(8), R10)
	g.JMP(l("max"))
	g.Label("l2maxtail")
	g.TESTQ(R10, R10)
	g.JZ(l("maxred"))
	g.VMASKMOVPS(mem(AX, 0), reg.Y15, Y[1])
	g.VBLENDVPS(reg.Y15, Y[1], reg.Y14, Y[1]) // masked-off lanes −Inf
	g.VMAXPS(Y[1], Y[0], Y[0])
	g.Label("l2maxred")
	reduce(func(a, b, dst operand.Op) { g.VMAXPS(a, b, dst) })
	g.VMOVSS(x0, mem(SI, 0))
	g.VBROADCASTSS(x0, Y[0])

	g.MOVQ(DI, AX)
	g.MOVQ(R9, R10)
	g.VXORPS(Y[2], Y[2], Y[2])
	g.Label("l2sum")
	g.CMPQ(R10, imm(8))
	g.JLT(l("sumtail"))
	g.VMOVUPS(mem(AX, 0), Y[3])
	g.VSUBPS(Y[0], Y[3], Y[3])
	c.expf(g, Y[3], Y[4], Y[5])
	g.VADDPS(Y[3], Y[2], Y[2])
	g.ADDQ(imm(32), AX)
	g.SUBQ(imm(8), R10)
	g.JMP(l("sum"))
	g.Label("l2sumtail")
	g.TESTQ(R10, R10)
	g.JZ(l("sumred"))
	g.VMASKMOVPS(mem(AX, 0), reg.Y15, Y[3])
	g.VSUBPS(Y[0], Y[3], Y[3])
	c.expf(g, Y[3], Y[4], Y[5])
	g.VANDPS(reg.Y15, Y[3], Y[3])
	g.VADDPS(Y[3], Y[2], Y[2])
	g.Label("l2sumred")
	g.VMOVAPS(Y[2], Y[0])
	reduce(func(a, b, dst operand.Op) { g.VADDPS(a, b, dst) })
	g.VMOVSS(x0, mem(DX, 0))

	g.LEAQ(memIdx(DI, 0, R9, 4), DI)
	g.ADDQ(imm(4), SI)
	g.ADDQ(imm(4), DX)
	g.DECQ(BX)
	g.JMP(l("row"))

	g.Label("l2done")
	g.VZEROUPPER()
	g.RET()
}

// subRowsKernel2 emits
//
//	func subRowsAvx2(z *float32, rows, n int, v *float32)
//
// subRowsAvx512 on 8 lanes: DI walks z, SI v, BX counts rows, R10 the
// count within a row, Y0 holds v[r].
func subRowsKernel2(g *gen, tab operand.Mem) {
	g.text("subRowsAvx2", "func(z *float32, rows, n int, v *float32)")
	rowMaskTail(g, g.arg("n"), tab)
	g.MOVQ(g.arg("z"), DI)
	g.MOVQ(g.arg("rows"), BX)
	g.MOVQ(g.arg("v"), SI)
	l := func(s string) operand.LabelRef { return operand.LabelRef("s2" + s) }
	g.Label("s2row")
	g.TESTQ(BX, BX)
	g.JZ(l("done"))
	g.MOVQ(g.arg("n"), R10)
	g.VBROADCASTSS(mem(SI, 0), Y[0])
	g.Label("s2col")
	g.CMPQ(R10, imm(8))
	g.JLT(l("tail"))
	g.VMOVUPS(mem(DI, 0), Y[1])
	g.VSUBPS(Y[0], Y[1], Y[1])
	g.VMOVUPS(Y[1], mem(DI, 0))
	g.ADDQ(imm(32), DI)
	g.SUBQ(imm(8), R10)
	g.JMP(l("col"))
	g.Label("s2tail")
	g.TESTQ(R10, R10)
	g.JZ(l("next"))
	g.VMASKMOVPS(mem(DI, 0), reg.Y15, Y[1])
	g.VSUBPS(Y[0], Y[1], Y[1])
	g.VMASKMOVPS(Y[1], reg.Y15, mem(DI, 0))
	g.LEAQ(memIdx(DI, 0, R10, 4), DI)
	g.Label("s2next")
	g.ADDQ(imm(4), SI)
	g.DECQ(BX)
	g.JMP(l("row"))
	g.Label("s2done")
	g.VZEROUPPER()
	g.RET()
}
