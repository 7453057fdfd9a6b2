package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// axpyRows emits
//
//	func axpyRows<level>(y, b *float32, rows, cols int, x *float32, incx int)
//
// y (cols) += Σ_r x[r·incx] · B[r] for row-major B (rows×cols), that is
// y += Bᵀ·x. A block of eight vectors of y (64 columns; 128 with AVX-512)
// stays in registers while all rows stream past, so y is loaded and
// stored once. The remaining columns go one vector of y at a time.
//
// Registers: DI y, SI B (both advance by column blocks), R8 rows, R9
// cols, DX x, R10 the x stride incx·4, R11 the row stride cols·4, R13 the
// columns left; BX, CX and AX walk the rows of B, x and the row count.
// The tail mask (cols mod lanes) is Y15 or K1.
func axpyRows(g *gen, v *vec) {
	g.text("axpyRows"+v.name, "func(y, b *float32, rows, cols int, x *float32, incx int)")
	g.Comment("y (cols) += Σ_r x[r·incx]·B[r], B (rows×cols); described in _asm/axpyrows.go.")
	g.MOVQ(g.arg("y"), DI)
	g.MOVQ(g.arg("b"), SI)
	g.MOVQ(g.arg("rows"), R8)
	g.MOVQ(g.arg("cols"), R9)
	g.MOVQ(g.arg("x"), DX)
	g.MOVQ(g.arg("incx"), R10)
	if v.avx512 {
		v.tailMask(g, R9)
	}
	g.SHLQ(imm(2), R10)
	g.MOVQ(R9, R11)
	g.SHLQ(imm(2), R11)
	if !v.avx512 {
		v.tailMask(g, R9)
	}
	g.MOVQ(R9, R13)

	b := v.bytes()
	block := fmt.Sprintf("ar%d", 8*v.lanes)
	vector := fmt.Sprintf("ar%d", v.lanes)
	l := func(s string) operand.LabelRef { return operand.LabelRef(block + s) }

	g.Label(block)
	g.CMPQ(R13, imm(8*v.lanes))
	g.JLT(operand.LabelRef(vector))
	for i := range 8 {
		g.VMOVUPS(mem(DI, i*b), v.r(i))
	}
	g.MOVQ(SI, BX)
	g.MOVQ(DX, CX)
	g.MOVQ(R8, AX)
	g.TESTQ(AX, AX)
	g.JZ(l("store"))
	g.Label(block + "row")
	g.VBROADCASTSS(mem(CX, 0), v.r(8))
	for i := range 8 {
		g.VFMADD231PS(mem(BX, i*b), v.r(8), v.r(i))
	}
	g.ADDQ(R10, CX)
	g.ADDQ(R11, BX)
	g.DECQ(AX)
	g.JNZ(l("row"))
	g.Label(block + "store")
	for i := range 8 {
		g.VMOVUPS(v.r(i), mem(DI, i*b))
	}
	g.ADDQ(imm(8*b), DI)
	g.ADDQ(imm(8*b), SI)
	g.SUBQ(imm(8*v.lanes), R13)
	g.JMP(operand.LabelRef(block))

	g.Label(vector)
	if v.avx512 {
		// One vector of y at a time, the last one under the tail mask:
		// K2 is all ones, or K1 for the last cols mod 16 columns.
		g.CMPQ(R13, imm(0))
		g.JLE(operand.LabelRef("ardone"))
		g.CMPQ(R13, imm(16))
		g.JGE(operand.LabelRef("ar16full"))
		g.KMOVW(reg.K1, reg.K2)
		g.JMP(operand.LabelRef("ar16go"))
		g.Label("ar16full")
		g.KXNORW(reg.K2, reg.K2, reg.K2)
		g.Label("ar16go")
		axpyVector(g, v, "ar16", reg.K2)
	} else {
		g.Comment("One vector of y at a time, four rows per step into four",
			"accumulators (they are independent FMA chains).")
		g.CMPQ(R13, imm(8))
		g.JLT(operand.LabelRef("artail"))
		axpyVector(g, v, "ar8", nil)

		g.Label("artail")
		g.Comment("The last cols%8 columns: masked loads, one masked store.")
		g.TESTQ(R13, R13)
		g.JZ(operand.LabelRef("ardone"))
		axpyVector(g, v, "art", reg.Y15)
	}

	g.Label("ardone")
	g.VZEROUPPER()
	g.RET()
}

// axpyVector emits y[0:lanes] += Σ_r x[r·incx]·B[r][0:lanes] for the
// vector of y at DI, under mask (nil: whole vector), with four
// accumulators (registers 0–3) taking every fourth row, summed as
// (0+1)+(2+3) at the end. Labels start with name. A whole vector (or the
// AVX-512 masked one) then moves DI and SI on and loops back to name; the
// AVX2 masked tail is the last and falls through.
func axpyVector(g *gen, v *vec, name string, mask reg.Register) {
	l := func(s string) operand.LabelRef { return operand.LabelRef(name + s) }
	// The FMAs read B from memory, merge-masked with an opmask; with an
	// AVX2 vector mask the rows are first loaded with VMASKMOVPS
	// (registers 4–7).
	v.load(g, mem(DI, 0), mask, v.r(0))
	for i := 1; i < 4; i++ {
		v.zero(g, v.r(i))
	}
	g.MOVQ(SI, BX)
	g.MOVQ(DX, CX)
	g.MOVQ(R8, AX)
	g.CMPQ(AX, imm(4))
	g.JLT(l("one"))

	g.Label(name + "row4")
	for i := range 4 {
		g.VBROADCASTSS(mem(CX, 0), v.r(8+i))
		g.ADDQ(R10, CX)
	}
	if mask != nil && !v.avx512 {
		for i := range 4 {
			v.load(g, mem(BX, 0), mask, v.r(4+i))
			g.ADDQ(R11, BX)
		}
		for i := range 4 {
			g.VFMADD231PS(v.r(4+i), v.r(8+i), v.r(i))
		}
	} else {
		for i := range 4 {
			axpyFMA(g, mem(BX, 0), v.r(8+i), mask, v.r(i))
			g.ADDQ(R11, BX)
		}
	}
	g.SUBQ(imm(4), AX)
	g.CMPQ(AX, imm(4))
	g.JGE(l("row4"))

	g.Label(name + "one")
	g.TESTQ(AX, AX)
	g.JZ(l("store"))
	g.VBROADCASTSS(mem(CX, 0), v.r(8))
	if mask != nil && !v.avx512 {
		v.load(g, mem(BX, 0), mask, v.r(4))
		g.VFMADD231PS(v.r(4), v.r(8), v.r(0))
	} else {
		axpyFMA(g, mem(BX, 0), v.r(8), mask, v.r(0))
	}
	g.ADDQ(R10, CX)
	g.ADDQ(R11, BX)
	g.DECQ(AX)
	g.JMP(l("one"))

	g.Label(name + "store")
	g.VADDPS(v.r(1), v.r(0), v.r(0))
	g.VADDPS(v.r(3), v.r(2), v.r(2))
	g.VADDPS(v.r(2), v.r(0), v.r(0))
	v.store(g, v.r(0), mask, mem(DI, 0))
	if mask != nil && !v.avx512 {
		return
	}
	g.ADDQ(imm(v.bytes()), DI)
	g.ADDQ(imm(v.bytes()), SI)
	g.SUBQ(imm(v.lanes), R13)
	g.JMP(operand.LabelRef(name))
}

// axpyFMA is acc += m × b, merge-masked by the opmask k when k is not nil.
func axpyFMA(g *gen, m operand.Mem, b reg.Register, k reg.Register, acc reg.Register) {
	if k == nil {
		g.VFMADD231PS(m, b, acc)
	} else {
		g.VFMADD231PS(m, b, k, acc)
	}
}
