package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// addOuter emits
//
//	func addOuter<level>(a *float32, rows, cols int, x, y *float32)
//
// A (rows×cols) += x·yᵀ, one row at a time: x[r] broadcast in register 8,
// four vectors of the row per step, then single vectors, then a scalar
// tail. Axpy is addOuter with one row.
//
// Registers: DI A (advancing), R8 rows left, R9 cols, DX x, SI y; BX
// walks y and AX counts the columns left.
func addOuter(g *gen, v *vec) {
	g.text("addOuter"+v.name, "func(a *float32, rows, cols int, x, y *float32)")
	g.Comment("A (rows×cols) += x·yᵀ; described in _asm/addouter.go.")
	g.MOVQ(g.arg("a"), DI)
	g.MOVQ(g.arg("rows"), R8)
	g.MOVQ(g.arg("cols"), R9)
	g.MOVQ(g.arg("x"), DX)
	g.MOVQ(g.arg("y"), SI)
	// The tail is scalar, so this mask is not used; it is kept so that
	// the code is the hand-written original's, instruction for
	// instruction.
	v.tailMask(g, R9)

	b := v.bytes()
	four := fmt.Sprintf("ao%d", 4*v.lanes)
	one := fmt.Sprintf("ao%d", v.lanes)

	g.Label("aorow")
	g.TESTQ(R8, R8)
	g.JZ(operand.LabelRef("aodone"))
	g.VBROADCASTSS(mem(DX, 0), v.r(8))
	g.MOVQ(SI, BX)
	g.MOVQ(R9, AX)

	g.Label(four)
	g.CMPQ(AX, imm(4*v.lanes))
	g.JLT(operand.LabelRef(one))
	for i := range 4 {
		g.VMOVUPS(mem(DI, i*b), v.r(i))
	}
	for i := range 4 {
		g.VFMADD231PS(mem(BX, i*b), v.r(8), v.r(i))
	}
	for i := range 4 {
		g.VMOVUPS(v.r(i), mem(DI, i*b))
	}
	g.ADDQ(imm(4*b), DI)
	g.ADDQ(imm(4*b), BX)
	g.SUBQ(imm(4*v.lanes), AX)
	g.JMP(operand.LabelRef(four))

	g.Label(one)
	g.CMPQ(AX, imm(v.lanes))
	g.JLT(operand.LabelRef("aotail"))
	g.VMOVUPS(mem(DI, 0), v.r(0))
	g.VFMADD231PS(mem(BX, 0), v.r(8), v.r(0))
	g.VMOVUPS(v.r(0), mem(DI, 0))
	g.ADDQ(imm(b), DI)
	g.ADDQ(imm(b), BX)
	g.SUBQ(imm(v.lanes), AX)
	g.JMP(operand.LabelRef(one))

	g.Label("aotail")
	g.Comment("Scalar tail: masked stores are slow on AMD Zen.")
	g.TESTQ(AX, AX)
	g.JZ(operand.LabelRef("aonext"))
	g.VMOVSS(mem(DI, 0), reg.X0)
	g.VFMADD231SS(mem(BX, 0), reg.X8, reg.X0)
	g.VMOVSS(reg.X0, mem(DI, 0))
	g.ADDQ(imm(4), DI)
	g.ADDQ(imm(4), BX)
	g.DECQ(AX)
	g.JMP(operand.LabelRef("aotail"))

	g.Label("aonext")
	g.ADDQ(imm(4), DX)
	g.DECQ(R8)
	g.JMP(operand.LabelRef("aorow"))

	g.Label("aodone")
	g.VZEROUPPER()
	g.RET()
}
