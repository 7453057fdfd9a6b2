package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmNN emits
//
//	func gemmNN<level>(c, a, b *float32, m, n, k int)
//
// C (m×n) += A (m×k) · B (k×n), n a multiple of the lanes (the Go wrapper
// sends other shapes elsewhere). Register-blocked as BLIS's micro-kernels
// are: a tile of C of nnRows rows × nnVecs vectors stays in registers
// while p runs over k, each step loading nnVecs vectors of row p of B once
// and broadcasting one element of A per row, so every load feeds nnRows
// (or nnVecs) FMAs and the loop runs at the FMA units' rate rather than
// the caches'. Column blocks of a single vector finish a row block; rows
// left over (m mod nnRows) go one at a time. Each element of C sums its k
// products in increasing p, whatever the tile.
//
// Registers: DI &C[i][0], SI &A[i][0], DX B, R9 the row stride n·4 of B
// and C, R10 k, R12 the row stride k·4 of A and R13 three of them, BX rows
// left, CX the byte offset of the column block, R8 &C[i][j], R11 walks
// the rows of B, R14 the columns of A, AX counts p (and addresses C's
// fourth row outside the p loop). Accumulators are vector registers
// 0…nnRows·nnVecs−1, row p of B the next nnVecs, the broadcast the next.
func gemmNN(g *gen, v *vec) {
	rows, vecs := 4, 4
	if !v.avx512 {
		vecs = 2 // 4×2 accumulators, 2 of B and a broadcast within 16 YMM
	}
	g.text("gemmNN"+v.name, "func(c, a, b *float32, m, n, k int)")
	g.Comment("C (m×n) += A (m×k)·B (k×n), n a multiple of the lanes; described in _asm/gemmnn.go.")
	g.MOVQ(g.arg("c"), DI)
	g.MOVQ(g.arg("a"), SI)
	g.MOVQ(g.arg("b"), DX)
	g.MOVQ(g.arg("m"), BX)
	g.MOVQ(g.arg("n"), R9)
	g.SHLQ(imm(2), R9)
	g.MOVQ(g.arg("k"), R10)
	g.MOVQ(R10, R12)
	g.SHLQ(imm(2), R12)
	g.LEAQ(memIdx(R12, 0, R12, 2), R13)

	for _, r := range []int{rows, 1} {
		rowLoop := fmt.Sprintf("nnrows%d", r)
		rowNext := fmt.Sprintf("nnnext%d", r)
		g.Label(rowLoop)
		g.CMPQ(BX, imm(r))
		if r == rows {
			g.JLT(operand.LabelRef("nnrows1"))
		} else {
			g.JLT(operand.LabelRef("nndone"))
		}
		g.XORQ(CX, CX)
		for _, nv := range []int{vecs, 1} {
			colLoop := fmt.Sprintf("nncol%d_%d", r, nv)
			colEnd := fmt.Sprintf("nncolend%d_%d", r, nv)
			g.Label(colLoop)
			g.LEAQ(mem(CX, nv*v.bytes()), AX)
			g.CMPQ(AX, R9)
			g.JGT(operand.LabelRef(colEnd))
			nnTile(g, v, r, nv, fmt.Sprintf("nnp%d_%d", r, nv))
			g.ADDQ(imm(nv*v.bytes()), CX)
			g.JMP(operand.LabelRef(colLoop))
			g.Label(colEnd)
		}
		g.Label(rowNext)
		for range r {
			g.ADDQ(R9, DI)
			g.ADDQ(R12, SI)
		}
		g.SUBQ(imm(r), BX)
		g.JMP(operand.LabelRef(rowLoop))
	}
	g.Label("nndone")
	g.VZEROUPPER()
	g.RET()
}

// nnTile emits one r×nv tile of C at column offset CX of rows DI: load,
// accumulate over p, store.
func nnTile(g *gen, v *vec, r, nv int, loop string) {
	acc := func(i, j int) reg.VecPhysical { return v.r(i*nv + j) }
	bv := func(j int) reg.VecPhysical { return v.r(r*nv + j) }
	bc := v.r(r*nv + nv)
	g.LEAQ(memIdx(DI, 0, CX, 1), R8)
	// cRow is the address of row i of the tile of C (AX for the fourth).
	cRow := func(i, off int) operand.Mem {
		switch i {
		case 0:
			return mem(R8, off)
		case 1:
			return memIdx(R8, off, R9, 1)
		case 2:
			return memIdx(R8, off, R9, 2)
		}
		return memIdx(AX, off, R9, 1)
	}
	if r > 3 {
		g.LEAQ(memIdx(R8, 0, R9, 2), AX)
	}
	for i := range r {
		for j := range nv {
			g.VMOVUPS(cRow(i, j*v.bytes()), acc(i, j))
		}
	}
	g.LEAQ(memIdx(DX, 0, CX, 1), R11)
	g.MOVQ(SI, R14)
	g.MOVQ(R10, AX)
	end := loop + "end"
	g.TESTQ(AX, AX)
	g.JZ(operand.LabelRef(end))
	g.Label(loop)
	for j := range nv {
		g.VMOVUPS(mem(R11, j*v.bytes()), bv(j))
	}
	for i := range r {
		var a operand.Mem
		switch i {
		case 0:
			a = mem(R14, 0)
		case 1:
			a = memIdx(R14, 0, R12, 1)
		case 2:
			a = memIdx(R14, 0, R12, 2)
		default:
			a = memIdx(R14, 0, R13, 1)
		}
		g.VBROADCASTSS(a, bc)
		for j := range nv {
			g.VFMADD231PS(bv(j), bc, acc(i, j))
		}
	}
	g.ADDQ(R9, R11)
	g.ADDQ(imm(4), R14)
	g.DECQ(AX)
	g.JNZ(operand.LabelRef(loop))
	g.Label(end)
	if r > 3 {
		g.LEAQ(memIdx(R8, 0, R9, 2), AX)
	}
	for i := range r {
		for j := range nv {
			g.VMOVUPS(acc(i, j), cRow(i, j*v.bytes()))
		}
	}
}
