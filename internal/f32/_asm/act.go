package main

import (
	"math"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The element-wise kernels (AVX2+FMA): the LSTM gate non-linearities and
// the optimiser updates. They are memory-light, so the AVX-512 level uses
// them too, but for Adam and the row kernels of a lockstep batch
// (rows.go). Each routine handles n&^7 elements (n&^15 for sumSquares);
// the Go wrapper does the rest.

var Y = [16]reg.VecPhysical{
	reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
	reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15,
}

// actConsts are the 8-lane constants of the activations.
type actConsts struct {
	one, two, sign             operand.Mem
	expHi, expLo, log2e        operand.Mem
	expC1, expC2               operand.Mem
	expP0, expP1, expP2, expP3 operand.Mem
	expP4, expP5, bias127      operand.Mem
}

// splat8 declares a 32-byte constant of eight copies of w.
func splat8(g *gen, name string, w uint32) operand.Mem {
	ws := make([]uint32, 8)
	for i := range ws {
		ws[i] = w
	}
	return g.global(name, ws...)
}

// f32bits checks that the float literal f rounds to the bits w, the
// constant emitted: the table below keeps the hand-written file's bit
// patterns, and this documents (and verifies) their values.
func f32bits(f float64, w uint32) uint32 {
	if math.Float32bits(float32(f)) != w {
		panic("constant bits do not match their value")
	}
	return w
}

func declareActConsts(g *gen) *actConsts {
	return &actConsts{
		one:  splat8(g, "one", f32bits(1, 0x3f800000)),
		two:  splat8(g, "two", f32bits(2, 0x40000000)),
		sign: splat8(g, "sign", 0x80000000),
		// 88 keeps 2ⁿ ≤ 2¹²⁷.
		expHi: splat8(g, "expHi", f32bits(88, 0x42b00000)),
		expLo: splat8(g, "expLo", f32bits(-87.3365447504019, 0xc2aeac50)),
		log2e: splat8(g, "log2e", f32bits(1.44269504088896341, 0x3fb8aa3b)),
		// ln 2 = C1 − C2 in two parts (Cody–Waite).
		expC1: splat8(g, "expC1", f32bits(0.693359375, 0x3f318000)),
		expC2: splat8(g, "expC2", f32bits(-2.12194440e-4, 0xb95e8083)),
		expP0: splat8(g, "expP0", f32bits(1.9875691500e-4, 0x39506967)),
		expP1: splat8(g, "expP1", f32bits(1.3981999507e-3, 0x3ab743ce)),
		expP2: splat8(g, "expP2", f32bits(8.3334519073e-3, 0x3c088908)),
		expP3: splat8(g, "expP3", f32bits(4.1665795894e-2, 0x3d2aa9c1)),
		expP4: splat8(g, "expP4", f32bits(1.6666665459e-1, 0x3e2aaaaa)),
		expP5: splat8(g, "expP5", f32bits(5.0000001201e-1, 0x3f000000)),
		// The exponent bias, added to n before shifting it into place.
		bias127: splat8(g, "bias127", 127),
	}
}

// elementwise emits act_amd64.s.
func elementwise(g *gen, step *adamStep) {
	c := declareActConsts(g)
	sigmoidKernel(g, c)
	tanhKernel(g, c)
	lstmCellKernel(g, c)
	lstmCellBackwardKernel(g, c)
	adamKernel(g, step)
	adamKernel512(g, step)
	momentumKernel(g)
	sumSquaresKernel(g)
	scaleKernel(g)
	expScaleKernel(g, c)
	lstmCellRowsKernel(g, c)
	lstmCellBackwardRowsKernel(g, c)
	expScaleKernel512(g, c)
	negInf := g.global("negInf", 0xff800000)
	logSumExpRowsKernel(g, c, negInf)
	subRowsKernel(g)
	rowMask := g.global("rowMask", 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
		0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0, 0, 0, 0, 0, 0, 0, 0)
	logSumExpRowsKernel2(g, c, negInf, rowMask)
	subRowsKernel2(g, rowMask)
}

// expf replaces x by exp(x) (Cephes expf: Cody–Waite reduction by ln 2,
// degree-5 polynomial, relative error about 1 ulp). The clamp keeps 2ⁿ a
// normal number; its operand order lets a NaN through. t1, t2 are
// scratch.
func (c *actConsts) expf(g *gen, x, t1, t2 reg.Register) {
	g.VMOVUPS(c.expHi, t1)
	g.VMINPS(x, t1, x)
	g.VMOVUPS(c.expLo, t1)
	g.VMAXPS(x, t1, x)
	g.VMULPS(c.log2e, x, t1)
	g.VROUNDPS(imm(0), t1, t1) // n = round(x·log2 e), to nearest
	g.VFNMADD231PS(c.expC1, t1, x)
	g.VFNMADD231PS(c.expC2, t1, x) // r = x − n·ln 2
	g.VMOVUPS(c.expP0, t2)
	g.VFMADD213PS(c.expP1, x, t2)
	g.VFMADD213PS(c.expP2, x, t2)
	g.VFMADD213PS(c.expP3, x, t2)
	g.VFMADD213PS(c.expP4, x, t2)
	g.VFMADD213PS(c.expP5, x, t2)
	g.VMULPS(x, t2, t2)
	g.VFMADD213PS(x, x, t2)
	g.VADDPS(c.one, t2, t2) // e^r = 1 + r + r²·P(r)
	g.VCVTPS2DQ(t1, t1)
	g.VPADDD(c.bias127, t1, t1)
	g.VPSLLD(imm(23), t1, t1) // 2ⁿ
	g.VMULPS(t1, t2, x)
}

// sigmoid replaces x by 1/(1+exp(−x)).
func (c *actConsts) sigmoid(g *gen, x, t1, t2 reg.Register) {
	g.VXORPS(c.sign, x, x)
	c.expf(g, x, t1, t2)
	g.VADDPS(c.one, x, x)
	g.VMOVUPS(c.one, t1)
	g.VDIVPS(x, t1, x)
}

// tanh replaces x by 1 − 2/(1+exp(2x)).
func (c *actConsts) tanh(g *gen, x, t1, t2 reg.Register) {
	g.VADDPS(x, x, x)
	c.expf(g, x, t1, t2)
	g.VADDPS(c.one, x, x)
	g.VMOVUPS(c.two, t1)
	g.VDIVPS(x, t1, x)
	g.VMOVUPS(c.one, t1)
	g.VSUBPS(x, t1, x)
}

// loop8 emits the loop of an element-wise kernel over count (a multiple
// of 8) elements: label, the exit test, body, the pointers moved on by
// 32 bytes, and the exit label name+"done" with VZEROUPPER and RET.
func loop8(g *gen, name string, count reg.Register, ptrs []reg.Register, body func()) {
	g.Label(name + "loop")
	g.CMPQ(count, imm(8))
	g.JLT(operand.LabelRef(name + "done"))
	body()
	for _, p := range ptrs {
		g.ADDQ(imm(32), p)
	}
	g.SUBQ(imm(8), count)
	g.JMP(operand.LabelRef(name + "loop"))

	g.Label(name + "done")
	g.VZEROUPPER()
	g.RET()
}

func sigmoidKernel(g *gen, c *actConsts) {
	g.text("sigmoidAvx2", "func(x *float32, n int)")
	g.MOVQ(g.arg("x"), DI)
	g.MOVQ(g.arg("n"), CX)
	loop8(g, "sg", CX, []reg.Register{DI}, func() {
		g.VMOVUPS(mem(DI, 0), Y[0])
		c.sigmoid(g, Y[0], Y[1], Y[2])
		g.VMOVUPS(Y[0], mem(DI, 0))
	})
}

func tanhKernel(g *gen, c *actConsts) {
	g.text("tanhAvx2", "func(dst, src *float32, n int)")
	g.MOVQ(g.arg("dst"), DI)
	g.MOVQ(g.arg("src"), SI)
	g.MOVQ(g.arg("n"), CX)
	loop8(g, "th", CX, []reg.Register{DI, SI}, func() {
		g.VMOVUPS(mem(SI, 0), Y[0])
		c.tanh(g, Y[0], Y[1], Y[2])
		g.VMOVUPS(Y[0], mem(DI, 0))
	})
}

// lstmCellKernel: the four gates of eight cells at a time, at DI plus 0,
// 1, 2 and 3 times the gate stride R9 (R11 = 3·R9); then c = f·cPrev + i·g
// and h = o·tanh(c).
func lstmCellKernel(g *gen, c *actConsts) {
	g.text("lstmCellAvx2", "func(gates, cPrev, c, h *float32, hidden, n int)")
	g.MOVQ(g.arg("gates"), DI)
	g.MOVQ(g.arg("cPrev"), SI)
	g.MOVQ(g.arg("c"), DX)
	g.MOVQ(g.arg("h"), R8)
	g.MOVQ(g.arg("hidden"), R9)
	g.MOVQ(g.arg("n"), R10)
	g.SHLQ(imm(2), R9)
	g.LEAQ(memIdx(R9, 0, R9, 2), R11)
	gate := []operand.Mem{mem(DI, 0), memIdx(DI, 0, R9, 1), memIdx(DI, 0, R9, 2), memIdx(DI, 0, R11, 1)}
	loop8(g, "cf", R10, []reg.Register{DI, SI, DX, R8}, func() {
		for i, m := range gate {
			g.VMOVUPS(m, Y[i])
		}
		c.sigmoid(g, Y[0], Y[8], Y[9])   // i
		c.sigmoid(g, Y[1], Y[10], Y[11]) // f
		c.tanh(g, Y[2], Y[12], Y[13])    // g
		c.sigmoid(g, Y[3], Y[14], Y[15]) // o
		for i, m := range gate {
			g.VMOVUPS(Y[i], m)
		}
		g.VMULPS(Y[2], Y[0], Y[4])
		g.VFMADD231PS(mem(SI, 0), Y[1], Y[4]) // c = f·cPrev + i·g
		g.VMOVUPS(Y[4], mem(DX, 0))
		c.tanh(g, Y[4], Y[8], Y[9])
		g.VMULPS(Y[4], Y[3], Y[4]) // h = o·tanh(c)
		g.VMOVUPS(Y[4], mem(R8, 0))
	})
}

// lstmCellBackwardKernel emits
//
//	func lstmCellBackwardAvx2(dgates, dcPrev, gates, cPrev, c, dh, dc, dcT *float32, hidden, n int)
//
// dcT may be nil; otherwise it receives the total gradient reaching c.
// The factors x(1−x) and 1−x² are fused multiply-subtracts (x − x·x,
// 1 − x·x rounded once), accurate where x is near 1.
func lstmCellBackwardKernel(g *gen, c *actConsts) {
	g.text("lstmCellBackwardAvx2", "func(dgates, dcPrev, gates, cPrev, c, dh, dc, dcT *float32, hidden, n int)")
	g.MOVQ(g.arg("dgates"), DI)
	g.MOVQ(g.arg("dcPrev"), R12)
	g.MOVQ(g.arg("gates"), SI)
	g.MOVQ(g.arg("cPrev"), R13)
	g.MOVQ(g.arg("c"), DX)
	g.MOVQ(g.arg("dh"), R8)
	g.MOVQ(g.arg("dc"), BX)
	g.MOVQ(g.arg("dcT"), R14)
	g.MOVQ(g.arg("hidden"), R9)
	g.MOVQ(g.arg("n"), R10)
	g.SHLQ(imm(2), R9)
	g.LEAQ(memIdx(R9, 0, R9, 2), R11)
	loop8(g, "cb", R10, []reg.Register{DI, R12, SI, R13, DX, R8, BX}, func() {
		g.VMOVUPS(mem(DX, 0), Y[4])
		c.tanh(g, Y[4], Y[8], Y[9])            // tc = tanh(c)
		g.VMOVUPS(mem(SI, 0), Y[0])            // i
		g.VMOVUPS(memIdx(SI, 0, R9, 1), Y[1])  // f
		g.VMOVUPS(memIdx(SI, 0, R9, 2), Y[2])  // g
		g.VMOVUPS(memIdx(SI, 0, R11, 1), Y[3]) // o
		g.VMOVUPS(mem(R8, 0), Y[5])            // dh
		g.Comment("dcT = dc + dh·o·(1 − tc²)")
		g.VMOVUPS(c.one, Y[6])
		g.VFNMADD231PS(Y[4], Y[4], Y[6]) // 1 − tc²
		g.VMULPS(Y[3], Y[5], Y[7])       // dh·o
		g.VMOVUPS(mem(BX, 0), Y[10])
		g.VFMADD231PS(Y[7], Y[6], Y[10]) // dcT
		g.TESTQ(R14, R14)
		g.JZ(operand.LabelRef("cbnodct"))
		g.VMOVUPS(Y[10], mem(R14, 0))
		g.ADDQ(imm(32), R14)

		g.Label("cbnodct")
		g.Comment("do = dh·tc·o·(1 − o)")
		g.VMULPS(Y[4], Y[5], Y[7]) // dh·tc
		g.VMOVAPS(Y[3], Y[6])
		g.VFNMADD231PS(Y[3], Y[3], Y[6]) // o − o²
		g.VMULPS(Y[6], Y[7], Y[7])
		g.VMOVUPS(Y[7], memIdx(DI, 0, R11, 1))
		g.Comment("di = dcT·g·i·(1 − i)")
		g.VMOVAPS(Y[0], Y[6])
		g.VFNMADD231PS(Y[0], Y[0], Y[6])
		g.VMULPS(Y[2], Y[10], Y[7])
		g.VMULPS(Y[6], Y[7], Y[7])
		g.VMOVUPS(Y[7], mem(DI, 0))
		g.Comment("dg = dcT·i·(1 − g²)")
		g.VMOVUPS(c.one, Y[6])
		g.VFNMADD231PS(Y[2], Y[2], Y[6])
		g.VMULPS(Y[0], Y[10], Y[7])
		g.VMULPS(Y[6], Y[7], Y[7])
		g.VMOVUPS(Y[7], memIdx(DI, 0, R9, 2))
		g.Comment("df = dcT·cPrev·f·(1 − f)")
		g.VMOVAPS(Y[1], Y[6])
		g.VFNMADD231PS(Y[1], Y[1], Y[6])
		g.VMULPS(mem(R13, 0), Y[10], Y[7])
		g.VMULPS(Y[6], Y[7], Y[7])
		g.VMOVUPS(Y[7], memIdx(DI, 0, R9, 1))
		g.Comment("dcPrev = dcT·f")
		g.VMULPS(Y[1], Y[10], Y[7])
		g.VMOVUPS(Y[7], mem(R12, 0))
	})
}

// adamHeader emits the start of the Adam kernel name, shared by its widths:
// the signature, the pointers and count in DI (p), SI (grad), DX (m),
// R8 (v) and CX (n), and the step's scalars broadcast into regs(0) …
// regs(7), which it returns: B1, B2, C1, C2, StepSize, BC2Sqrt, Eps and
// rcp = RN(1/BC2Sqrt).
func adamHeader(g *gen, step *adamStep, name string, regs func(int) reg.VecPhysical) (b1, b2, c1, c2, stepSize, bc2, eps, rcp reg.VecPhysical) {
	sig, err := gotypes.ParseSignatureInPackage(step.pkg, "func(p, grad, m, v *float32, n int, s *AdamStep, rcp float32)")
	if err != nil {
		panic(err)
	}
	g.Function(name)
	g.Attributes(attr.NOSPLIT)
	g.Signature(sig)
	g.Comment("Bit-identical to adamGeneric; see _asm/act.go for the division.")
	g.MOVQ(g.arg("p"), DI)
	g.MOVQ(g.arg("grad"), SI)
	g.MOVQ(g.arg("m"), DX)
	g.MOVQ(g.arg("v"), R8)
	g.MOVQ(g.arg("n"), CX)
	g.MOVQ(g.arg("s"), AX)
	for i, f := range []string{"B1", "B2", "C1", "C2", "StepSize", "BC2Sqrt", "Eps"} {
		g.VBROADCASTSS(mem(AX, step.field(f)), regs(i))
	}
	g.VBROADCASTSS(g.arg("rcp"), regs(7))
	return regs(0), regs(1), regs(2), regs(3), regs(4), regs(5), regs(6), regs(7)
}

// adamKernel emits
//
//	func adamAvx2(p, grad, m, v *float32, n int, s *AdamStep, rcp float32)
//
// The same separately rounded operations as adamGeneric (no FMA in the
// arithmetic itself), so the results are bit-identical. The one exception
// in form, not in result: √v/BC2Sqrt, a division by a constant, is
// computed as q = RN(√v·rcp), r = √v − q·BC2Sqrt (exact, by FMA),
// q' = RN(q + r·rcp), with rcp = RN(1/BC2Sqrt). By Markstein's theorem
// (Handbook of Floating-Point Arithmetic, 2nd ed., Thm. 4.10) q' is the
// correctly rounded quotient whenever no underflow or overflow occurs
// (√v/BC2Sqrt is ≥ 2⁻⁷⁵ or exactly 0 here, BC2Sqrt ≤ 1): one divider
// operation fewer per element, and the divider bounds this loop.
func adamKernel(g *gen, step *adamStep) {
	// The scalars of the step in Y8 … Y15.
	b1, b2, c1, c2, stepSize, bc2, eps, rcp := adamHeader(g, step, "adamAvx2", func(i int) reg.VecPhysical { return Y[8+i] })

	loop8(g, "ad", CX, []reg.Register{DI, SI, DX, R8}, func() {
		g.VMOVUPS(mem(SI, 0), Y[0])    // g
		g.VMULPS(mem(DX, 0), b1, Y[1]) // b1·m
		g.VMULPS(Y[0], c1, Y[2])       // c1·g
		g.VADDPS(Y[2], Y[1], Y[1])     // m
		g.VMOVUPS(Y[1], mem(DX, 0))
		g.VMULPS(Y[0], Y[0], Y[2])     // g²
		g.VMULPS(Y[2], c2, Y[2])       // c2·g²
		g.VMULPS(mem(R8, 0), b2, Y[3]) // b2·v
		g.VADDPS(Y[2], Y[3], Y[3])     // v
		g.VMOVUPS(Y[3], mem(R8, 0))
		g.VSQRTPS(Y[3], Y[3])     // a = √v
		g.VMULPS(rcp, Y[3], Y[5]) // q = a·rcp
		g.VMOVAPS(Y[3], Y[6])
		g.VFNMADD231PS(bc2, Y[5], Y[6]) // r = a − q·BC2Sqrt (exact)
		g.VFMADD231PS(rcp, Y[6], Y[5])  // q' = q + r·rcp = RN(a/BC2Sqrt)
		g.VADDPS(eps, Y[5], Y[3])       // denom
		g.VDIVPS(Y[3], Y[1], Y[1])      // m/denom
		g.VMULPS(Y[1], stepSize, Y[1])  // stepSize·…
		g.VMOVUPS(mem(DI, 0), Y[4])
		g.VSUBPS(Y[1], Y[4], Y[4]) // p −= …
		g.VMOVUPS(Y[4], mem(DI, 0))
	})
}

// adamKernel512 emits
//
//	func adamAvx512(p, grad, m, v *float32, n int, s *AdamStep, rcp float32)
//
// adamKernel's operations on 16-lane ZMM registers, two independent
// vectors (32 elements; n a multiple of 32) per iteration, their
// instructions interleaved so that one vector's square root and division
// overlap the other's arithmetic. On Zen 5 VSQRTPS and VDIVPS issue a ZMM
// register at the rate of a YMM one, so the 16 lanes halve the divider
// time per element, which bounds this loop.
func adamKernel512(g *gen, step *adamStep) {
	// The scalars of the step in Z16 … Z23.
	b1, b2, c1, c2, stepSize, bc2, eps, rcp := adamHeader(g, step, "adamAvx512", func(i int) reg.VecPhysical { return zmm(16 + i) })

	// Vector k (k = 0, 1) works in Z[8k] … Z[8k+6] on the elements at
	// byte offset 64k; each step below is emitted for both vectors.
	const lanes, unroll = 16, 2
	both := func(f func(off int, r func(int) reg.VecPhysical)) {
		for k := range unroll {
			f(64*k, func(i int) reg.VecPhysical { return zmm(8*k + i) })
		}
	}
	g.Label("azloop")
	g.CMPQ(CX, imm(lanes*unroll))
	g.JLT(operand.LabelRef("azdone"))
	both(func(o int, z func(int) reg.VecPhysical) {
		g.VMOVUPS(mem(SI, o), z(0))    // g
		g.VMULPS(mem(DX, o), b1, z(1)) // b1·m
		g.VMULPS(z(0), c1, z(2))       // c1·g
	})
	both(func(o int, z func(int) reg.VecPhysical) {
		g.VMULPS(z(0), z(0), z(0))     // g²
		g.VMULPS(mem(R8, o), b2, z(3)) // b2·v
		g.VADDPS(z(2), z(1), z(1))     // m
	})
	both(func(o int, z func(int) reg.VecPhysical) {
		g.VMULPS(z(0), c2, z(0)) // c2·g²
		g.VMOVUPS(z(1), mem(DX, o))
	})
	both(func(o int, z func(int) reg.VecPhysical) {
		g.VADDPS(z(0), z(3), z(3)) // v
		g.VMOVUPS(z(3), mem(R8, o))
		g.VSQRTPS(z(3), z(3)) // a = √v
	})
	both(func(o int, z func(int) reg.VecPhysical) {
		g.VMULPS(rcp, z(3), z(5)) // q = a·rcp
		g.VMOVAPS(z(3), z(6))
		g.VFNMADD231PS(bc2, z(5), z(6)) // r = a − q·BC2Sqrt (exact)
		g.VFMADD231PS(rcp, z(6), z(5))  // q' = q + r·rcp = RN(a/BC2Sqrt)
		g.VADDPS(eps, z(5), z(3))       // denom
		g.VDIVPS(z(3), z(1), z(1))      // m/denom
	})
	both(func(o int, z func(int) reg.VecPhysical) {
		g.VMULPS(z(1), stepSize, z(1)) // stepSize·…
		g.VMOVUPS(mem(DI, o), z(4))
		g.VSUBPS(z(1), z(4), z(4)) // p −= …
		g.VMOVUPS(z(4), mem(DI, o))
	})
	for _, p := range []reg.Register{DI, SI, DX, R8} {
		g.ADDQ(imm(4*lanes*unroll), p)
	}
	g.SUBQ(imm(lanes*unroll), CX)
	g.JMP(operand.LabelRef("azloop"))

	g.Label("azdone")
	g.VZEROUPPER()
	g.RET()
}

// momentumKernel: v = mu·v + g, p −= lr·v, each product rounded (no FMA),
// as in the portable loop.
func momentumKernel(g *gen) {
	g.text("momentumAvx2", "func(p, grad, v *float32, n int, lr, mu float32)")
	g.MOVQ(g.arg("p"), DI)
	g.MOVQ(g.arg("grad"), SI)
	g.MOVQ(g.arg("v"), DX)
	g.MOVQ(g.arg("n"), CX)
	g.VBROADCASTSS(g.arg("lr"), Y[8])
	g.VBROADCASTSS(g.arg("mu"), Y[9])
	loop8(g, "mo", CX, []reg.Register{DI, SI, DX}, func() {
		g.VMULPS(mem(DX, 0), Y[9], Y[0]) // mu·v
		g.VADDPS(mem(SI, 0), Y[0], Y[0]) // + g
		g.VMOVUPS(Y[0], mem(DX, 0))
		g.VMULPS(Y[0], Y[8], Y[0]) // lr·v
		g.VMOVUPS(mem(DI, 0), Y[1])
		g.VSUBPS(Y[0], Y[1], Y[1])
		g.VMOVUPS(Y[1], mem(DI, 0))
	})
}

// sumSquaresKernel emits
//
//	func sumSquaresAvx2(x *float32, n int, acc *[16]float64)
//
// acc[i%16] += float64(x[i])², for n a multiple of 16: four 4-lane float64
// accumulators, lane l of accumulator k taking the elements i ≡ 4k+l
// (mod 16). The squares of float32 values are exact in float64, so the
// fused multiply-add rounds exactly as the portable loop's addition.
func sumSquaresKernel(g *gen) {
	g.text("sumSquaresAvx2", "func(x *float32, n int, acc *[16]float64)")
	g.MOVQ(g.arg("x"), SI)
	g.MOVQ(g.arg("n"), CX)
	g.MOVQ(g.arg("acc"), DI)
	for k := range 4 {
		g.VMOVUPD(mem(DI, 32*k), Y[4+k])
	}

	g.Label("ssloop")
	g.CMPQ(CX, imm(16))
	g.JLT(operand.LabelRef("ssdone"))
	for k := range 4 {
		g.VCVTPS2PD(mem(SI, 16*k), Y[k])
	}
	for k := range 4 {
		g.VFMADD231PD(Y[k], Y[k], Y[4+k])
	}
	g.ADDQ(imm(64), SI)
	g.SUBQ(imm(16), CX)
	g.JMP(operand.LabelRef("ssloop"))

	g.Label("ssdone")
	for k := range 4 {
		g.VMOVUPD(Y[4+k], mem(DI, 32*k))
	}
	g.VZEROUPPER()
	g.RET()
}

// expScaleKernel: dst[i] = scale·exp(src[i]) for n a multiple of 8; dst
// may be src.
func expScaleKernel(g *gen, c *actConsts) {
	g.text("expScaleAvx2", "func(dst, src *float32, n int, scale float32)")
	g.MOVQ(g.arg("dst"), DI)
	g.MOVQ(g.arg("src"), SI)
	g.MOVQ(g.arg("n"), CX)
	g.VBROADCASTSS(g.arg("scale"), Y[8])
	loop8(g, "ex", CX, []reg.Register{DI, SI}, func() {
		g.VMOVUPS(mem(SI, 0), Y[0])
		c.expf(g, Y[0], Y[1], Y[2])
		g.VMULPS(Y[8], Y[0], Y[0])
		g.VMOVUPS(Y[0], mem(DI, 0))
	})
}

// scaleKernel: x[i] *= s for n a multiple of 8.
func scaleKernel(g *gen) {
	g.text("scaleAvx2", "func(x *float32, n int, s float32)")
	g.MOVQ(g.arg("x"), DI)
	g.MOVQ(g.arg("n"), CX)
	g.VBROADCASTSS(g.arg("s"), Y[8])
	loop8(g, "sc", CX, []reg.Register{DI}, func() {
		g.VMULPS(mem(DI, 0), Y[8], Y[0])
		g.VMOVUPS(Y[0], mem(DI, 0))
	})
}
