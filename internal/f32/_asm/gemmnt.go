package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmNT emits
//
//	func gemmNT<level>(c, a, b *float32, m, n, k int)
//
// C (m×n) += A (m×k) · Bᵀ, B (n×k): every element of C is the dot product
// of a row of A with a row of B. Blocks of rows of B share each load of a
// row of A (four rows; eight at the AVX-512 level, which has the
// registers), and two accumulators per row of B, each fed every other
// vector of the row, hide the FMA latency. The rows of B left over (n mod
// 4) go one at a time with four accumulators.
//
// Registers: DI C, SI A, R13 &B[j][0], R9 n, R10 k, R11 the row stride
// k·4 and R14 three strides, R12 j, DX i, CX and BX the running pointers
// into the rows of A and B, AX the count of k left; R8 is m, except in
// the 8-row blocks, where it points four rows of B further than BX (m is
// then read from the frame). The tail mask (k mod lanes) is Y15 or K1.
func gemmNT(g *gen, v *vec) {
	g.text("gemmNT"+v.name, "func(c, a, b *float32, m, n, k int)")
	g.Comment("C (m×n) += A (m×k)·Bᵀ, B (n×k); described in _asm/gemmnt.go.")
	g.MOVQ(g.arg("c"), DI)
	g.MOVQ(g.arg("a"), SI)
	g.MOVQ(g.arg("b"), R13)
	g.MOVQ(g.arg("m"), R8)
	g.MOVQ(g.arg("n"), R9)
	g.MOVQ(g.arg("k"), R10)
	// (The AVX-512 level sets its mask first, the AVX2 one after the
	// strides: the order of the hand-written originals.)
	if v.avx512 {
		v.tailMask(g, R10)
	}
	g.MOVQ(R10, R11)
	g.SHLQ(imm(2), R11)
	g.LEAQ(memIdx(R11, 0, R11, 2), R14)
	if !v.avx512 {
		v.tailMask(g, R10)
	}
	g.XORQ(R12, R12)

	if v.avx512 {
		ntBlock(g, v, 8, "nt8", "nt8end")
		g.Label("nt8end")
		g.MOVQ(g.arg("m"), R8)
	}
	ntBlock(g, v, 4, "nt4", "nt1")
	ntSingle(g, v)

	g.Label("ntdone")
	g.VZEROUPPER()
	g.RET()
}

// ntRow is row r of a block of B at byte offset disp into the rows:
// BX plus 0, 1, 2 or 3 strides (R11, 2·R11, R14), and R8 for rows 4–7.
func ntRow(r, disp int) operand.Mem {
	base := BX
	if r >= 4 {
		base = R8
	}
	switch r % 4 {
	case 1:
		return memIdx(base, disp, R11, 1)
	case 2:
		return memIdx(base, disp, R11, 2)
	case 3:
		return memIdx(base, disp, R14, 1)
	}
	return mem(base, disp)
}

// ntAcc returns the two accumulators of row r of a block: registers r and
// r+4 for blocks of four, r and r+16 (Z16–Z23, only EVEX reaches them)
// for blocks of eight.
func ntAcc(v *vec, rows, r int) (first, second reg.VecPhysical) {
	if rows == 8 {
		return v.r(r), v.r(16 + r)
	}
	return v.r(r), v.r(4 + r)
}

// ntBlock emits the loop over blocks of rows (4 or 8) of B, labelled
// name; it leaves for exit when fewer than rows rows of B remain.
func ntBlock(g *gen, v *vec, rows int, name, exit string) {
	b := v.bytes()
	l := func(s string) string { return name + s }
	// Registers 8 and 9 hold two vectors of the row of A.
	a0, a1 := v.r(8), v.r(9)

	g.Label(name)
	g.LEAQ(mem(R12, rows), AX)
	g.CMPQ(AX, R9)
	g.JGT(operand.LabelRef(exit))
	g.XORQ(DX, DX)

	g.Label(l("row"))
	if rows == 8 {
		g.CMPQ(DX, g.arg("m"))
	} else {
		g.CMPQ(DX, R8)
	}
	g.JGE(operand.LabelRef(l("next")))
	g.MOVQ(DX, CX)
	g.IMULQ(R11, CX)
	g.ADDQ(SI, CX)
	g.MOVQ(R13, BX)
	if rows == 8 {
		g.LEAQ(memIdx(R13, 0, R11, 4), R8)
	}
	g.MOVQ(R10, AX)
	for r := range rows {
		first, _ := ntAcc(v, rows, r)
		v.zero(g, first)
	}
	for r := range rows {
		_, second := ntAcc(v, rows, r)
		v.zero(g, second)
	}
	g.CMPQ(AX, imm(2*v.lanes))
	g.JLT(operand.LabelRef(l("one")))

	// Two vectors of the row per step, into the two accumulators.
	g.Label(l("loop"))
	g.VMOVUPS(mem(CX, 0), a0)
	g.VMOVUPS(mem(CX, b), a1)
	for r := range rows {
		first, second := ntAcc(v, rows, r)
		g.VFMADD231PS(ntRow(r, 0), a0, first)
		g.VFMADD231PS(ntRow(r, b), a1, second)
	}
	ntAdvance(g, rows, 2*b)
	g.SUBQ(imm(2*v.lanes), AX)
	g.CMPQ(AX, imm(2*v.lanes))
	g.JGE(operand.LabelRef(l("loop")))

	// At most one whole vector left.
	g.Label(l("one"))
	g.CMPQ(AX, imm(v.lanes))
	g.JLT(operand.LabelRef(l("tail")))
	g.VMOVUPS(mem(CX, 0), a0)
	for r := range rows {
		first, _ := ntAcc(v, rows, r)
		g.VFMADD231PS(ntRow(r, 0), a0, first)
	}
	ntAdvance(g, rows, b)
	g.SUBQ(imm(v.lanes), AX)

	g.Label(l("tail"))
	g.TESTQ(AX, AX)
	g.JZ(operand.LabelRef(l("sum")))
	var rowMem []operand.Mem
	var accs []reg.VecPhysical
	for r := range rows {
		_, second := ntAcc(v, rows, r)
		rowMem = append(rowMem, ntRow(r, 0))
		accs = append(accs, second)
	}
	v.dotTail(g, rowMem, accs)

	// Sum each row's two accumulators and then the lanes: pairwise
	// horizontal adds leave the rows' sums side by side, which are added
	// to C with one vector load and store.
	g.Label(l("sum"))
	for r := range rows {
		first, second := ntAcc(v, rows, r)
		g.VADDPS(second, first, first)
	}
	if v.avx512 {
		// Fold each ZMM accumulator to a YMM one (upper + lower half).
		for r := range rows {
			g.VEXTRACTF64X4(imm(1), zmm(r), ymm(8+r))
		}
		for r := range rows {
			g.VADDPS(ymm(8+r), ymm(r), ymm(r))
		}
	}
	for r := 0; r < rows; r += 2 {
		g.VHADDPS(ymm(r+1), ymm(r), ymm(r))
	}
	for r := 0; r < rows; r += 4 {
		g.VHADDPS(ymm(r+2), ymm(r), ymm(r))
	}
	if rows == 8 {
		// Each 128-bit half of Y0 now holds partial sums of rows 0–3,
		// each half of Y4 those of rows 4–7: add the halves, pairing
		// them across the two registers.
		g.VPERM2F128(imm(0x20), reg.Y4, reg.Y0, reg.Y1)
		g.VPERM2F128(imm(0x31), reg.Y4, reg.Y0, reg.Y2)
		g.VADDPS(reg.Y2, reg.Y1, reg.Y1)
		ntOffset(g)
		g.VADDPS(memIdx(DI, 0, AX, 4), reg.Y1, reg.Y1)
		g.VMOVUPS(reg.Y1, memIdx(DI, 0, AX, 4))
	} else {
		g.VEXTRACTF128(imm(1), reg.Y0, reg.X1)
		g.VADDPS(reg.X1, reg.X0, reg.X0)
		ntOffset(g)
		g.VADDPS(memIdx(DI, 0, AX, 4), reg.X0, reg.X0)
		g.VMOVUPS(reg.X0, memIdx(DI, 0, AX, 4))
	}
	g.INCQ(DX)
	g.JMP(operand.LabelRef(l("row")))

	g.Label(l("next"))
	g.ADDQ(imm(rows), R12)
	g.LEAQ(memIdx(R13, 0, R11, uint8(rows)), R13)
	g.JMP(operand.LabelRef(name))
}

// ntOffset sets AX to the index of C[i][j], i·n + j.
func ntOffset(g *gen) {
	g.MOVQ(DX, AX)
	g.IMULQ(R9, AX)
	g.ADDQ(R12, AX)
}

// ntAdvance moves the pointers into A and B (and the second half of an
// 8-row block) on by n bytes.
func ntAdvance(g *gen, rows, n int) {
	g.ADDQ(imm(n), CX)
	g.ADDQ(imm(n), BX)
	if rows == 8 {
		g.ADDQ(imm(n), R8)
	}
}

// ntSingle emits the loop over the rows of B left after the blocks, one
// at a time: four accumulators, each fed every fourth vector.
func ntSingle(g *gen, v *vec) {
	b := v.bytes()
	g.Label("nt1")
	g.CMPQ(R12, R9)
	g.JGE(operand.LabelRef("ntdone"))
	g.XORQ(DX, DX)

	g.Label("nt1row")
	g.CMPQ(DX, R8)
	g.JGE(operand.LabelRef("nt1next"))
	g.MOVQ(DX, CX)
	g.IMULQ(R11, CX)
	g.ADDQ(SI, CX)
	g.MOVQ(R13, BX)
	g.MOVQ(R10, AX)
	for r := range 4 {
		v.zero(g, v.r(r))
	}
	g.CMPQ(AX, imm(4*v.lanes))
	g.JLT(operand.LabelRef("nt1one"))

	g.Label("nt1loop")
	for r := range 4 {
		g.VMOVUPS(mem(CX, r*b), v.r(8+r))
	}
	for r := range 4 {
		g.VFMADD231PS(mem(BX, r*b), v.r(8+r), v.r(r))
	}
	g.ADDQ(imm(4*b), CX)
	g.ADDQ(imm(4*b), BX)
	g.SUBQ(imm(4*v.lanes), AX)
	g.CMPQ(AX, imm(4*v.lanes))
	g.JGE(operand.LabelRef("nt1loop"))

	g.Label("nt1one")
	g.CMPQ(AX, imm(v.lanes))
	g.JLT(operand.LabelRef("nt1tail"))
	g.VMOVUPS(mem(CX, 0), v.r(8))
	g.VFMADD231PS(mem(BX, 0), v.r(8), v.r(0))
	g.ADDQ(imm(b), CX)
	g.ADDQ(imm(b), BX)
	g.SUBQ(imm(v.lanes), AX)
	g.JMP(operand.LabelRef("nt1one"))

	g.Label("nt1tail")
	g.TESTQ(AX, AX)
	g.JZ(operand.LabelRef("nt1sum"))
	v.dotTail(g, []operand.Mem{mem(BX, 0)}, []reg.VecPhysical{v.r(1)})

	// (0+1) + (2+3), then the lanes down to one.
	g.Label("nt1sum")
	g.VADDPS(v.r(1), v.r(0), v.r(0))
	g.VADDPS(v.r(3), v.r(2), v.r(2))
	g.VADDPS(v.r(2), v.r(0), v.r(0))
	if v.avx512 {
		g.VEXTRACTF64X4(imm(1), reg.Z0, reg.Y1)
		g.VADDPS(reg.Y1, reg.Y0, reg.Y0)
	}
	g.VEXTRACTF128(imm(1), reg.Y0, reg.X1)
	g.VADDPS(reg.X1, reg.X0, reg.X0)
	g.VHADDPS(reg.X0, reg.X0, reg.X0)
	g.VHADDPS(reg.X0, reg.X0, reg.X0)
	ntOffset(g)
	g.VADDSS(memIdx(DI, 0, AX, 4), reg.X0, reg.X0)
	g.VMOVSS(reg.X0, memIdx(DI, 0, AX, 4))
	g.INCQ(DX)
	g.JMP(operand.LabelRef("nt1row"))

	g.Label("nt1next")
	g.INCQ(R12)
	g.ADDQ(R11, R13)
	g.JMP(operand.LabelRef("nt1"))
}

// dotTail adds the products of the last k mod lanes elements of the row
// of A (at CX) and of the given rows of B into accs, register 8 holding
// the row of A.
//
//   - AVX2: masked loads (zero in the masked-off lanes) of A and of each
//     row of B (into registers 9, 10, …), then a full-width FMA.
//   - AVX-512: a zero-masking load of A and merge-masking FMAs from
//     memory (the masked-off lanes of B are not read).
func (v *vec) dotTail(g *gen, rows []operand.Mem, accs []reg.VecPhysical) {
	if len(rows) != len(accs) {
		panic(fmt.Sprint("dotTail: ", len(rows), " rows, ", len(accs), " accumulators"))
	}
	a := v.r(8)
	if v.avx512 {
		g.VMOVUPS_Z(mem(CX, 0), reg.K1, a)
		for i, row := range rows {
			g.VFMADD231PS(row, a, reg.K1, accs[i])
		}
		return
	}
	g.VMASKMOVPS(mem(CX, 0), reg.Y15, a)
	for i, row := range rows {
		bi := v.r(9 + i)
		g.VMASKMOVPS(row, reg.Y15, bi)
		g.VFMADD231PS(bi, a, accs[i])
	}
}
