package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmTN emits
//
//	func gemmTNAvx2(c, a, b *float32, m, n, k int)
//
// and, through gemmTN512, the AVX-512 kernel (a larger tile, below).
//
// C (m×n) += Aᵀ·B with A (k×m), B (k×n): register tiles of 4 rows × 2
// vectors (16 columns) of C, accumulated over all k rows of A and B: each
// step loads two vectors of a row of B and broadcasts four elements of
// the row of A. Rows of C left over (m mod 4) go one at a time, and the
// last n mod 16 columns use masked tiles.
//
// Registers: DI C, SI A, DX B, R9 n, R11 the row stride of B and C (n·4)
// and R14 three of them, R12 the row stride of A (m·4), BX the first
// column j0 of the tile, CX its first row i0, R13 &C[i0][j0], R8
// &A[r][i0], R10 &B[r][j0], AX the count of k left. The tile is in
// registers 0–7 (row r in 2r and 2r+1), B in 8 and 9, A's broadcasts in
// 10–13.
func gemmTN(g *gen, v *vec) {
	if v.avx512 {
		gemmTN512(g, v)
		return
	}
	g.text("gemmTN"+v.name, "func(c, a, b *float32, m, n, k int)")
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
	var full tnMasks
	m := [2]reg.Register{reg.Y14, reg.Y15}
	tail := tnMasks{c: m, b: m, s: m}

	g.Label("colblk")
	g.MOVQ(R9, AX)
	g.SUBQ(BX, AX)
	g.JLE(operand.LabelRef("done"))
	g.CMPQ(AX, imm(2*v.lanes))
	g.JLT(operand.LabelRef("maskcols"))
	g.XORQ(CX, CX)
	tnTiles(g, v, "full", full)

	g.Label("maskcols")
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

// Tile of the AVX-512 Aᵀ·B kernel: tnRows rows × tnVecs vectors of C in
// registers. FMA latency 4 on two pipes needs at least 8 independent
// chains; 16 or more leave slack for the loads (each step loads tnVecs
// vectors of B and broadcasts tnRows elements of A).
const (
	tnRows = 4
	tnVecs = 4
)

// gemmTN512 emits
//
//	func gemmTNAvx512(c, a, b *float32, m, n, k, set int)
//
// C (m×n) += Aᵀ·B with A (k×m), B (k×n): register tiles of tnRows rows ×
// tnVecs vectors (16 lanes each) of C, accumulated over all k rows of A
// and B: each step loads tnVecs vectors of a row of B and broadcasts
// tnRows elements of the row of A. Column blocks of tnVecs vectors run
// first; the last n mod 16·tnVecs columns take tiles of as many vectors as
// they need, the last one masked (K2), and taller (tnTileRows: 8 rows ×
// 3 vectors for n = 39, 5–10 % faster than 4 × 3 on Zen 5). Within a
// column block, rows go a tile's height at a time, then 4 at a time if
// the tile is taller, then one at a time. Each element of C is one chain of
// FMAs over k in increasing order, whatever the tile, so the bits do not
// depend on the tiling.
//
// With set ≠ 0 the tiles start from +0 instead of C's contents (loads
// with an empty mask, K4): C = Aᵀ·B with the same bits as clearing C
// first. K5 = K4 ∧ K2 masks the loads of the last, partial vector.
//
// Registers: DI C, SI A, DX B, R9 n, R11 the row stride of B and C (n·4)
// and R14 three of them, R12 the row stride of A (m·4), BX the first
// column j0 of the tile, CX its first row i0, R13 &C[i0][j0], R8
// &A[r][i0], R10 &B[r][j0], AX the count of k left (and C's fifth row
// onwards outside the k loop). The tile is in registers 0…rows·vecs−1
// (row r in r·vecs…), B in the next vecs, A's broadcasts after them.
func gemmTN512(g *gen, v *vec) {
	g.text("gemmTN"+v.name, "func(c, a, b *float32, m, n, k, set int)")
	g.Comment("C (m×n) += Aᵀ·B, A (k×m), B (k×n); described in _asm/gemmtn512.go.")
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

	g.Comment("With set ≠ 0 the tiles start from +0: C = Aᵀ·B.")
	g.MOVL(operand.U32(0xFFFF), EAX)
	g.CMPQ(g.arg("set"), imm(0))
	g.JEQ(operand.LabelRef("tnkeep"))
	g.XORL(EAX, EAX)
	g.Label("tnkeep")
	g.KMOVW(EAX, reg.K4)

	w := tnVecs * v.lanes
	g.Label("colblk")
	g.MOVQ(R9, AX)
	g.SUBQ(BX, AX)
	g.JLE(operand.LabelRef("done"))
	g.CMPQ(AX, imm(w))
	g.JLT(operand.LabelRef("maskcols"))
	tn512Tiles(g, v, "full", tnVecs, false)

	g.Label("maskcols")
	g.Comment("the last AX < 16·tnVecs columns (R13 keeps the count): K2 masks the last vector's lanes")
	g.MOVQ(AX, R13)
	g.LEAQ(mem(AX, -1), CX)
	g.ANDQ(imm(15), CX)
	g.INCQ(CX)
	lowBits(g, reg.K2)
	g.KANDW(reg.K4, reg.K2, reg.K5)
	for nv := 1; nv < tnVecs; nv++ {
		g.CMPQ(R13, imm(nv*v.lanes))
		g.JLE(operand.LabelRef(fmt.Sprintf("mask%d", nv)))
	}
	for nv := tnVecs; nv >= 1; nv-- {
		name := fmt.Sprintf("mask%d", nv)
		g.Label(name)
		tn512Tiles(g, v, name, nv, true)
	}

	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// tn512Row is row r of the tile of C, at byte offset disp: from R13 for
// rows 0–3, from AX (R13 + 4·n·4) for rows 4–7.
func tn512Row(r, disp int) operand.Mem {
	base := R13
	if r >= 4 {
		base, r = AX, r-4
	}
	switch r {
	case 1:
		return memIdx(base, disp, R11, 1)
	case 2:
		return memIdx(base, disp, R11, 2)
	case 3:
		return memIdx(base, disp, R14, 1)
	}
	return mem(base, disp)
}

// tnTileRows is the height of the tiles of a column block of nv vectors:
// tnRows, or for the narrow blocks at the end of a row (n = 39 ends in a
// block of 3 vectors) as many rows, up to 8, as keep 16–24 accumulators.
func tnTileRows(nv int, masked bool) int {
	if !masked {
		return tnRows
	}
	return min(8, max(tnRows, 24/nv))
}

// tn512Tiles emits the tiles of one column block of nv vectors (labels
// starting with name), the last vector masked by K2 if masked: tnRows-row
// tiles, then single rows; then on to the next column block (or, for a
// masked block, the end).
func tn512Tiles(g *gen, v *vec, name string, nv int, masked bool) {
	b := v.bytes()
	l := func(s string) operand.LabelRef { return operand.LabelRef(name + s) }
	cMask := func(j int) reg.Register {
		if masked && j == nv-1 {
			return reg.K5
		}
		return reg.K4
	}
	bMask := func(j int) reg.Register {
		if masked && j == nv-1 {
			return reg.K2
		}
		return nil
	}
	acc := func(r, j int) reg.VecPhysical { return v.r(r*nv + j) }
	tile := func(rows int, label string) {
		bv := func(j int) reg.VecPhysical { return v.r(rows*nv + j) }
		bc := func(r int) reg.VecPhysical { return v.r(rows*nv + nv + r%2) }
		g.MOVQ(CX, R13)
		g.IMULQ(R9, R13)
		g.ADDQ(BX, R13)
		g.LEAQ(memIdx(DI, 0, R13, 4), R13)
		if rows > 4 {
			g.LEAQ(memIdx(R13, 0, R11, 4), AX)
		}
		for r := range rows {
			for j := range nv {
				v.load(g, tn512Row(r, j*b), cMask(j), acc(r, j))
			}
		}
		g.LEAQ(memIdx(SI, 0, CX, 4), R8)
		g.LEAQ(memIdx(DX, 0, BX, 4), R10)
		g.MOVQ(g.arg("k"), AX)
		g.Label(label)
		for j := range nv {
			v.load(g, mem(R10, j*b), bMask(j), bv(j))
		}
		for r := range rows {
			g.VBROADCASTSS(mem(R8, 4*r), bc(r))
			for j := range nv {
				g.VFMADD231PS(bv(j), bc(r), acc(r, j))
			}
		}
		// A's next line in this row (the tiles 16 columns on) into L1:
		// with fresh A (a per-frame update over k = 16 new rows) the
		// broadcasts otherwise miss in turn, as a big tile's loop is
		// too long for the out-of-order window to reach the later rows'
		// loads early (block16: 158 → 181 GFLOP/s on Zen 5).
		g.PREFETCHT0(mem(R8, 64))
		g.ADDQ(R12, R8)
		g.ADDQ(R11, R10)
		g.DECQ(AX)
		g.JNZ(operand.LabelRef(label))
		if rows > 4 {
			g.LEAQ(memIdx(R13, 0, R11, 4), AX)
		}
		for r := range rows {
			for j := range nv {
				v.store(g, acc(r, j), bMask(j), tn512Row(r, j*b))
			}
		}
	}

	// Rows: tiles of R rows, then 4 (if R > 4), then one at a time.
	seq := []int{tnTileRows(nv, masked)}
	if seq[0] > 4 {
		seq = append(seq, 4)
	}
	if seq[0] > 1 {
		seq = append(seq, 1)
	}
	g.XORQ(CX, CX)
	for i, r := range seq {
		loop := fmt.Sprintf("%srows%d", name, r)
		end := l("next")
		if i+1 < len(seq) {
			end = l(fmt.Sprintf("rows%d", seq[i+1]))
		}
		g.Label(loop)
		g.LEAQ(mem(CX, r), AX)
		g.CMPQ(AX, g.arg("m"))
		g.JGT(end)
		tile(r, fmt.Sprintf("%st%d", name, r))
		g.ADDQ(imm(r), CX)
		g.JMP(operand.LabelRef(loop))
	}

	g.Label(name + "next")
	if masked {
		g.JMP(operand.LabelRef("done"))
		return
	}
	g.ADDQ(imm(nv*v.lanes), BX)
	g.JMP(operand.LabelRef("colblk"))
}
