package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmNN emits
//
//	func gemmNNAvx2(c, a, b *float32, m, n, k int)
//
// and, through gemmNN512, the AVX-512 kernel (below).
//
// C (m×n) += A (m×k) · B (k×n), n a multiple of the lanes (the Go wrapper
// sends other shapes elsewhere). Register-blocked as BLIS's micro-kernels
// are: a tile of C of 4 rows × 2 vectors stays in registers while p runs
// over k, each step loading 2 vectors of row p of B once and broadcasting
// one element of A per row, so every load feeds 4 (or 2) FMAs and the loop runs at the FMA units' rate rather than
// the caches'. Column blocks of a single vector finish a row block; rows
// left over (m mod nnRows) go one at a time. Each element of C sums its k
// products in increasing p, whatever the tile.
//
// Registers: DI &C[i][0], SI &A[i][0], DX B, R9 the row stride n·4 of B
// and C, R10 k, R12 the row stride k·4 of A and R13 three of them, BX rows
// left, CX the byte offset of the column block, R8 &C[i][j], R11 walks
// the rows of B, R14 the columns of A, AX counts p (and addresses C's
// fourth row outside the p loop). Accumulators are vector registers
// 0…7, row p of B the next 2, the broadcast the next.
func gemmNN(g *gen, v *vec) {
	if v.avx512 {
		gemmNN512(g, v)
		return
	}
	rows, vecs := 4, 2 // 4×2 accumulators, 2 of B and a broadcast within 16 YMM
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

// The AVX-512 A·B kernel's tile: nnRows rows × nnVecs vectors of C, 24
// accumulators, 3 vectors of B and 2 broadcasts in the 32 ZMM registers;
// each step does 24 FMAs for 11 loads. Measured on Zen 5 against 6×4, 4×6
// and 4×4 (column panels outer in each): 8×3 and 6×4 ran the per-frame
// products (m = 16) 5–10 % faster than 4×4, 8×3 slightly ahead.
const (
	nnRows = 8
	nnVecs = 3
)

// gemmNN512 emits
//
//	func gemmNNAvx512(c, a, b *float32, m, n, k, set int)
//
// C (m×n) += A (m×k) · B (k×n), n a multiple of 16, with tiles of nnRows
// rows × nnVecs vectors of C in registers while p runs over k: each step
// loads nnVecs vectors of row p of B and broadcasts one element of A per
// row. The columns are the outer loop: a panel of nnVecs vectors of B
// (k × 64·nnVecs bytes) is read from L2 once and from L1 for the other
// row tiles (the Go wrapper hands over at most nnBlock rows, so the rows
// of A it sweeps stay in L1 too). The last columns take panels of fewer
// vectors, the last rows tiles of 4, 2 and 1 rows. Each element of C sums
// its k products in increasing p, one FMA chain, whatever the tile.
//
// With set ≠ 0 the tiles start from +0 instead of C (loads masked by K4,
// empty): C = A·B, with the bits of clearing C first.
//
// Registers: DI &C[i][0], SI &A[i][0], DX B, R9 the row stride n·4 of B
// and C, R12 the row stride k·4 of A and R13 three of them, BX rows left,
// CX the byte offset of the column panel, R8 &C[i][j], R11 walks the rows
// of C (outside the p loop) and of B (inside), R14 and R10 the columns of
// rows 0 and 4 of A, AX counts p. Accumulators are vector registers
// 0…rows·vecs−1, row p of B the next vecs, the broadcasts after them.
func gemmNN512(g *gen, v *vec) {
	g.text("gemmNN"+v.name, "func(c, a, b *float32, m, n, k, set int)")
	g.Comment("C (m×n) += A (m×k)·B (k×n), n a multiple of 16; described in _asm/gemmnn.go.")
	g.MOVQ(g.arg("b"), DX)
	g.MOVQ(g.arg("n"), R9)
	g.SHLQ(imm(2), R9)
	g.MOVQ(g.arg("k"), R12)
	g.SHLQ(imm(2), R12)
	g.LEAQ(memIdx(R12, 0, R12, 2), R13)
	g.Comment("With set ≠ 0 the tiles start from +0: C = A·B.")
	g.MOVL(operand.U32(0xFFFF), EAX)
	g.CMPQ(g.arg("set"), imm(0))
	g.JEQ(operand.LabelRef("nnkeep"))
	g.XORL(EAX, EAX)
	g.Label("nnkeep")
	g.KMOVW(EAX, reg.K4)

	rowSeq := []int{nnRows}
	for _, r := range []int{4, 2, 1} {
		if r < nnRows {
			rowSeq = append(rowSeq, r)
		}
	}
	g.XORQ(CX, CX)
	for nv := nnVecs; nv >= 1; nv-- {
		colLoop := fmt.Sprintf("nncol%d", nv)
		colEnd := fmt.Sprintf("nncolend%d", nv)
		g.Label(colLoop)
		g.LEAQ(mem(CX, nv*v.bytes()), AX)
		g.CMPQ(AX, R9)
		g.JGT(operand.LabelRef(colEnd))
		g.MOVQ(g.arg("c"), DI)
		g.MOVQ(g.arg("a"), SI)
		g.MOVQ(g.arg("m"), BX)
		for _, r := range rowSeq {
			rowLoop := fmt.Sprintf("nnrows%d_%d", nv, r)
			rowEnd := fmt.Sprintf("nnrowsend%d_%d", nv, r)
			g.Label(rowLoop)
			g.CMPQ(BX, imm(r))
			g.JLT(operand.LabelRef(rowEnd))
			nn512Tile(g, v, r, nv, fmt.Sprintf("nnp%d_%d", nv, r))
			for range r {
				g.ADDQ(R9, DI)
				g.ADDQ(R12, SI)
			}
			g.SUBQ(imm(r), BX)
			g.JMP(operand.LabelRef(rowLoop))
			g.Label(rowEnd)
		}
		g.ADDQ(imm(nv*v.bytes()), CX)
		g.JMP(operand.LabelRef(colLoop))
		g.Label(colEnd)
	}
	g.VZEROUPPER()
	g.RET()
}

// nn512Tile emits one r×nv tile of C at column offset CX of rows DI:
// load (or start from zero), accumulate over p, store.
func nn512Tile(g *gen, v *vec, r, nv int, loop string) {
	acc := func(i, j int) reg.VecPhysical { return v.r(i*nv + j) }
	bv := func(j int) reg.VecPhysical { return v.r(r*nv + j) }
	bc := func(i int) reg.VecPhysical { return v.r(r*nv + nv + i%2) }
	g.LEAQ(memIdx(DI, 0, CX, 1), R8)
	g.MOVQ(R8, R11)
	for i := range r {
		for j := range nv {
			g.VMOVUPS_Z(mem(R11, j*v.bytes()), reg.K4, acc(i, j))
		}
		if i < r-1 {
			g.ADDQ(R9, R11)
		}
	}
	// The next tile down into L1 while this one runs (R11 is at this
	// tile's last row): over many rows with a short k (the input
	// projection, k = 39) C streams from L3 and its loads would stall
	// each tile's first FMAs; 4800×39 by 39×512 150 → 170 GFLOP/s on
	// Zen 5. Past the end of C a prefetch is a harmless hint.
	if r == nnRows {
		for range r {
			g.ADDQ(R9, R11)
			for j := range nv {
				g.PREFETCHT0(mem(R11, j*v.bytes()))
			}
		}
	}
	g.LEAQ(memIdx(DX, 0, CX, 1), R11)
	g.MOVQ(SI, R14)
	if r > 4 {
		g.LEAQ(memIdx(SI, 0, R12, 4), R10)
	}
	g.MOVQ(g.arg("k"), AX)
	end := loop + "end"
	g.TESTQ(AX, AX)
	g.JZ(operand.LabelRef(end))
	g.Label(loop)
	for j := range nv {
		g.VMOVUPS(mem(R11, j*v.bytes()), bv(j))
	}
	for i := range r {
		base := R14
		if i >= 4 {
			base = R10
		}
		var a operand.Mem
		switch i % 4 {
		case 0:
			a = mem(base, 0)
		case 1:
			a = memIdx(base, 0, R12, 1)
		case 2:
			a = memIdx(base, 0, R12, 2)
		default:
			a = memIdx(base, 0, R13, 1)
		}
		g.VBROADCASTSS(a, bc(i))
		for j := range nv {
			g.VFMADD231PS(bv(j), bc(i), acc(i, j))
		}
	}
	g.ADDQ(R9, R11)
	g.ADDQ(imm(4), R14)
	if r > 4 {
		g.ADDQ(imm(4), R10)
	}
	g.DECQ(AX)
	g.JNZ(operand.LabelRef(loop))
	g.Label(end)
	g.MOVQ(R8, R11)
	for i := range r {
		for j := range nv {
			g.VMOVUPS(acc(i, j), mem(R11, j*v.bytes()))
		}
		if i < r-1 {
			g.ADDQ(R9, R11)
		}
	}
}
