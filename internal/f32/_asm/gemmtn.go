package main

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmTN emits
//
//	func gemmTNAvx2(c, a, b *float32, m, n, k int)
//	func gemmTNAvx512(c, a, b *float32, m, n, k, set int)
//
// C (m×n) += Aᵀ·B with A (k×m), B (k×n): register tiles of 4 rows × 2
// vectors (16 columns; 32 with AVX-512) of C, accumulated over all k rows
// of A and B: each step loads two vectors of a row of B and broadcasts
// four elements of the row of A. Rows of C left over (m mod 4) go one at
// a time, and the last n mod 2·lanes columns use masked tiles.
//
// With set ≠ 0 (AVX-512 only) the tiles start from +0 instead of C's
// contents (loads with an empty mask): C = Aᵀ·B with the same bits as
// clearing C first.
//
// Registers: DI C, SI A, DX B, R9 n, R11 the row stride of B and C (n·4)
// and R14 three of them, R12 the row stride of A (m·4), BX the first
// column j0 of the tile, CX its first row i0, R13 &C[i0][j0], R8
// &A[r][i0], R10 &B[r][j0], AX the count of k left. The tile is in
// registers 0–7 (row r in 2r and 2r+1), B in 8 and 9, A's broadcasts in
// 10–13.
func gemmTN(g *gen, v *vec) {
	sig := "func(c, a, b *float32, m, n, k int)"
	if v.avx512 {
		sig = "func(c, a, b *float32, m, n, k, set int)"
	}
	g.text("gemmTN"+v.name, sig)
	g.Comment("C (m×n) += Aᵀ·B, A (k×m), B (k×n); described in _asm/gemmtn.go.")
	g.MOVQ(g.arg("c"), DI)
	g.MOVQ(g.arg("a"), SI)
	g.MOVQ(g.arg("b"), DX)
	g.MOVQ(g.arg("n"), R9)
	g.MOVQ(R9, R11)
	g.SHLQ(imm(2), R11)
	g.LEAQ(memIdx(R11, 0, R11, 2), R14)
	g.MOVQ(g.arg("m"), R12)
	g.SHLQ(imm(2), R12)
	g.XORQ(BX, BX)

	// The masks of the tiles' loads and stores; nil is a whole vector.
	var full, tail tnMasks
	if v.avx512 {
		g.Comment("With set ≠ 0 the tiles start from +0: C = Aᵀ·B.")
		// K4 masks C's loads: all lanes, or none with set.
		g.MOVL(operand.U32(0xFFFF), EAX)
		g.CMPQ(g.arg("set"), imm(0))
		g.JEQ(operand.LabelRef("tnkeep"))
		g.XORL(EAX, EAX)
		g.Label("tnkeep")
		g.KMOVW(EAX, reg.K4)
		full = tnMasks{c: [2]reg.Register{reg.K4, reg.K4}}
		// The last columns: K2 and K3 for the two vectors of B and C;
		// K5 and K6 the same and K4, for C's loads.
		tail = tnMasks{
			c: [2]reg.Register{reg.K5, reg.K6},
			b: [2]reg.Register{reg.K2, reg.K3},
			s: [2]reg.Register{reg.K2, reg.K3},
		}
	} else {
		m := [2]reg.Register{reg.Y14, reg.Y15}
		tail = tnMasks{c: m, b: m, s: m}
	}

	g.Label("colblk")
	g.MOVQ(R9, AX)
	g.SUBQ(BX, AX)
	g.JLE(operand.LabelRef("done"))
	g.CMPQ(AX, imm(2*v.lanes))
	g.JLT(operand.LabelRef("maskcols"))
	g.XORQ(CX, CX)
	tnTiles(g, v, "full", full)

	g.Label("maskcols")
	if v.avx512 {
		g.Comment("masks for the last AX < 32 columns: K2 the first vector, K3 the second")
		g.CMPQ(AX, imm(16))
		g.JLT(operand.LabelRef("mask1"))
		g.KXNORW(reg.K2, reg.K2, reg.K2)
		g.LEAQ(mem(AX, -16), CX)
		lowBits(g, reg.K3)
		g.JMP(operand.LabelRef("maskdone"))
		g.Label("mask1")
		g.MOVQ(AX, CX)
		lowBits(g, reg.K2)
		g.KXORW(reg.K3, reg.K3, reg.K3)
		g.Label("maskdone")
		g.KANDW(reg.K4, reg.K2, reg.K5)
		g.KANDW(reg.K4, reg.K3, reg.K6)
	} else {
		g.Comment("masks for the last AX < 16 columns: Y14 the first vector, Y15 the second")
		g.LEAQ(g.maskTab.Offset(32), CX)
		g.CMPQ(AX, imm(8))
		g.JLT(operand.LabelRef("mask1"))
		g.VPCMPEQD(reg.Y14, reg.Y14, reg.Y14)
		g.SUBQ(imm(8), AX)
		g.NEGQ(AX)
		g.VMOVUPS(memIdx(CX, 0, AX, 4), reg.Y15)
		g.JMP(operand.LabelRef("maskdone"))
		g.Label("mask1")
		g.NEGQ(AX)
		g.VMOVUPS(memIdx(CX, 0, AX, 4), reg.Y14)
		g.VXORPS(reg.Y15, reg.Y15, reg.Y15)
		g.Label("maskdone")
	}
	g.XORQ(CX, CX)
	tnTiles(g, v, "mask", tail)

	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// tnMasks are the masks of a column block's two vectors for the loads of
// C, the loads of B and the stores of C (nil: whole vector).
type tnMasks struct {
	c, b, s [2]reg.Register
}

// tnRow is row r of the tile of C at R13, at byte offset disp.
func tnRow(r, disp int) operand.Mem {
	switch r {
	case 1:
		return memIdx(R13, disp, R11, 1)
	case 2:
		return memIdx(R13, disp, R11, 2)
	case 3:
		return memIdx(R13, disp, R14, 1)
	}
	return mem(R13, disp)
}

// tnTiles emits the tiles of one column block (labels starting with
// name): 4-row tiles, then single rows, then on to the next column block.
func tnTiles(g *gen, v *vec, name string, mk tnMasks) {
	b := v.bytes()
	l := func(s string) operand.LabelRef { return operand.LabelRef(name + s) }
	// tile sets R13, R8 and R10 for the tile at row CX and loads the
	// given rows of C.
	tile := func(rows int) {
		g.MOVQ(CX, R13)
		g.IMULQ(R9, R13)
		g.ADDQ(BX, R13)
		g.LEAQ(memIdx(DI, 0, R13, 4), R13)
		for r := range rows {
			for h := range 2 {
				v.load(g, tnRow(r, h*b), mk.c[h], v.r(2*r+h))
			}
		}
		g.LEAQ(memIdx(SI, 0, CX, 4), R8)
		g.LEAQ(memIdx(DX, 0, BX, 4), R10)
		g.MOVQ(g.arg("k"), AX)
	}
	// step accumulates one row of A and B into the tile; loops on
	// label while rows of k remain, then stores the tile.
	step := func(rows int, label string) {
		g.Label(label)
		v.load(g, mem(R10, 0), mk.b[0], v.r(8))
		v.load(g, mem(R10, b), mk.b[1], v.r(9))
		for r := range rows {
			g.VBROADCASTSS(mem(R8, 4*r), v.r(10+r))
		}
		for r := range rows {
			g.VFMADD231PS(v.r(8), v.r(10+r), v.r(2*r))
			g.VFMADD231PS(v.r(9), v.r(10+r), v.r(2*r+1))
		}
		g.ADDQ(R12, R8)
		g.ADDQ(R11, R10)
		g.DECQ(AX)
		g.JNZ(operand.LabelRef(label))
		for r := range rows {
			for h := range 2 {
				v.store(g, v.r(2*r+h), mk.s[h], tnRow(r, h*b))
			}
		}
	}

	g.Label(name + "rows4")
	g.LEAQ(mem(CX, 4), AX)
	g.CMPQ(AX, g.arg("m"))
	g.JGT(l("rows1"))
	tile(4)
	step(4, name+"t4")
	g.ADDQ(imm(4), CX)
	g.JMP(l("rows4"))

	g.Label(name + "rows1")
	g.CMPQ(CX, g.arg("m"))
	g.JGE(l("next"))
	tile(1)
	step(1, name+"t1")
	g.INCQ(CX)
	g.JMP(l("rows1"))

	g.Label(name + "next")
	g.ADDQ(imm(2*v.lanes), BX)
	g.JMP(operand.LabelRef("colblk"))
}
