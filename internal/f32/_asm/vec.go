package main

import (
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gen is the avo context of one output file, with a few helpers.
type gen struct {
	*build.Context
	maskTab operand.Mem // maskTable<>, in the AVX2 file
}

// text starts a NOSPLIT routine with the given Go signature. The routines
// are ABI0 (arguments on the stack); the Go declarations, with
// //go:noescape, are in dispatch_amd64.go, and go vet checks the two
// against each other.
func (g *gen) text(name, signature string) {
	g.Function(name)
	g.Attributes(attr.NOSPLIT)
	g.SignatureExpr(signature)
}

// arg is the stack slot of a named argument, name+off(FP).
func (g *gen) arg(name string) operand.Mem {
	b, err := g.Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// global declares a static read-only symbol holding the given words.
func (g *gen) global(name string, words ...uint32) operand.Mem {
	m := g.StaticGlobal(name)
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	for i, w := range words {
		g.AddDatum(4*i, operand.U32(w))
	}
	return m
}

// imm is an immediate operand; the assembler picks the encoding from the
// value.
func imm(x int) operand.Constant {
	if x >= 0 && x < 256 {
		return operand.U8(x)
	}
	return operand.U32(x)
}

// Memory operands.

func mem(base reg.Register, disp int) operand.Mem {
	return operand.Mem{Base: base, Disp: disp}
}

func memIdx(base reg.Register, disp int, index reg.Register, scale uint8) operand.Mem {
	return operand.Mem{Base: base, Disp: disp, Index: index, Scale: scale}
}

// General-purpose registers (Go assembler names; the 32-bit views print
// the same).
var (
	AX, BX, CX, DX = reg.RAX, reg.RBX, reg.RCX, reg.RDX
	SI, DI         = reg.RSI, reg.RDI
	R8, R9, R10    = reg.R8, reg.R9, reg.R10
	R11, R12, R13  = reg.R11, reg.R12, reg.R13
	R14            = reg.R14
	EAX            = reg.EAX
)

func ymm(i int) reg.VecPhysical { return vecReg(i, reg.S256) }
func zmm(i int) reg.VecPhysical { return vecReg(i, reg.S512) }

func vecReg(i int, s reg.Spec) reg.VecPhysical {
	return reg.Vector.Lookup(reg.Index(i), s).(reg.VecPhysical)
}

// vec is one vector level of the product kernels: its register width and
// how it handles the partial vector at the end of a row.
//
//   - AVX2: 8 lanes in YMM registers. Tails use VMASKMOVPS with a lane
//     mask in a vector register, loaded from maskTable<>; masked-off
//     lanes load as zero, so tail products are added in all lanes.
//   - AVX-512F: 16 lanes in ZMM registers. Tails use opmask registers:
//     zero-masking loads (VMOVUPS.Z) and merge-masking FMAs, which leave
//     the masked-off lanes of the accumulator untouched.
//
// The two differ in these tails and in a few register choices, which the
// descriptions spell out where they branch on avx512.
type vec struct {
	name   string // routine-name suffix: Avx2, Avx512
	lanes  int    // float32 lanes per register
	avx512 bool
}

var (
	avx2   = &vec{name: "Avx2", lanes: 8}
	avx512 = &vec{name: "Avx512", lanes: 16, avx512: true}
)

// bytes is the size of one vector register.
func (v *vec) bytes() int { return 4 * v.lanes }

// r is vector register i at this level's width (Yi or Zi).
func (v *vec) r(i int) reg.VecPhysical {
	if v.avx512 {
		return zmm(i)
	}
	return ymm(i)
}

// zero clears vector register r (VXORPS for AVX2; VPXORD, which is
// EVEX-encoded and reaches Z16–Z31, for AVX-512).
func (v *vec) zero(g *gen, r reg.Register) {
	if v.avx512 {
		g.VPXORD(r, r, r)
	} else {
		g.VXORPS(r, r, r)
	}
}

// prelude emits the file's data: the AVX2 tail masks.
func (v *vec) prelude(g *gen) {
	if v.avx512 {
		return
	}
	// maskTable<>+32-4r holds r all-ones lanes followed by zeros: the
	// VMASKMOVPS mask for a tail of r < 8 floats.
	w := make([]uint32, 16)
	for i := range 8 {
		w[i] = 0xffffffff
	}
	g.maskTab = g.global("maskTable", w...)
}

// tailMask sets up the mask of the last count%lanes elements of a row:
// AVX2 Y15 (from maskTable<>, clobbers AX and BX); AVX-512 K1 (clobbers
// AX and CX).
func (v *vec) tailMask(g *gen, count reg.Register) {
	if v.avx512 {
		g.MOVQ(count, CX)
		g.ANDQ(imm(15), CX)
		lowBits(g, reg.K1)
		return
	}
	g.MOVQ(count, AX)
	g.ANDQ(imm(7), AX)
	g.NEGQ(AX)
	g.LEAQ(g.maskTab.Offset(32), BX)
	g.VMOVUPS(memIdx(BX, 0, AX, 4), reg.Y15)
}

// lowBits sets the opmask k to the lowest CX lanes (CX < 16): AX =
// (1<<CX)−1. Clobbers AX.
func lowBits(g *gen, k reg.Register) {
	g.MOVL(operand.U32(1), EAX)
	g.SHLL(reg.CL, EAX)
	g.DECL(EAX)
	g.KMOVW(EAX, k)
}

// load moves a vector from memory into dst: whole (mask nil), or only the
// lanes of mask, the others zero: VMASKMOVPS with a vector mask (AVX2),
// VMOVUPS.Z with an opmask (AVX-512).
func (v *vec) load(g *gen, m operand.Mem, mask, dst reg.Register) {
	switch {
	case mask == nil:
		g.VMOVUPS(m, dst)
	case v.avx512:
		g.VMOVUPS_Z(m, mask, dst)
	default:
		g.VMASKMOVPS(m, mask, dst)
	}
}

// store writes src to memory: whole (mask nil) or only the lanes of mask.
func (v *vec) store(g *gen, src reg.Register, mask reg.Register, m operand.Mem) {
	switch {
	case mask == nil:
		g.VMOVUPS(src, m)
	case v.avx512:
		g.VMOVUPS(src, mask, m)
	default:
		g.VMASKMOVPS(src, mask, m)
	}
}
