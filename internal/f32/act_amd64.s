//go:build !purego

#include "textflag.h"

// Element-wise kernels (AVX2+FMA): the LSTM gate non-linearities and the
// optimiser updates. They are memory-light, so the AVX-512 level uses them
// too. Each routine handles n&^7 elements; the Go wrapper does the rest.

#define CONST8(name, bits) \
	DATA name+0(SB)/4, bits; \
	DATA name+4(SB)/4, bits; \
	DATA name+8(SB)/4, bits; \
	DATA name+12(SB)/4, bits; \
	DATA name+16(SB)/4, bits; \
	DATA name+20(SB)/4, bits; \
	DATA name+24(SB)/4, bits; \
	DATA name+28(SB)/4, bits; \
	GLOBL name(SB), RODATA|NOPTR, $32

CONST8(one<>, $0x3f800000)    // 1
CONST8(two<>, $0x40000000)    // 2
CONST8(sign<>, $0x80000000)
CONST8(expHi<>, $0x42b00000)  // 88: keeps 2ⁿ ≤ 2¹²⁷
CONST8(expLo<>, $0xc2aeac50)  // -87.3365447504019
CONST8(log2e<>, $0x3fb8aa3b)  // 1.44269504088896341
CONST8(expC1<>, $0x3f318000)  // 0.693359375
CONST8(expC2<>, $0xb95e8083)  // -2.12194440e-4
CONST8(expP0<>, $0x39506967)  // 1.9875691500e-4
CONST8(expP1<>, $0x3ab743ce)  // 1.3981999507e-3
CONST8(expP2<>, $0x3c088908)  // 8.3334519073e-3
CONST8(expP3<>, $0x3d2aa9c1)  // 4.1665795894e-2
CONST8(expP4<>, $0x3e2aaaaa)  // 1.6666665459e-1
CONST8(expP5<>, $0x3f000000)  // 5.0000001201e-1
CONST8(bias127<>, $127)

// EXPF replaces X by exp(X) (Cephes expf: Cody–Waite reduction by ln 2,
// degree-5 polynomial, relative error about 1 ulp). The clamp keeps 2ⁿ
// a normal number; its operand order lets a NaN through. T1, T2 are
// scratch.
#define EXPF(X, T1, T2) \
	VMOVUPS expHi<>(SB), T1; \
	VMINPS X, T1, X; \
	VMOVUPS expLo<>(SB), T1; \
	VMAXPS X, T1, X; \
	VMULPS log2e<>(SB), X, T1; \
	VROUNDPS $0, T1, T1; \
	VFNMADD231PS expC1<>(SB), T1, X; \
	VFNMADD231PS expC2<>(SB), T1, X; \
	VMOVUPS expP0<>(SB), T2; \
	VFMADD213PS expP1<>(SB), X, T2; \
	VFMADD213PS expP2<>(SB), X, T2; \
	VFMADD213PS expP3<>(SB), X, T2; \
	VFMADD213PS expP4<>(SB), X, T2; \
	VFMADD213PS expP5<>(SB), X, T2; \
	VMULPS X, T2, T2; \
	VFMADD213PS X, X, T2; \
	VADDPS one<>(SB), T2, T2; \
	VCVTPS2DQ T1, T1; \
	VPADDD bias127<>(SB), T1, T1; \
	VPSLLD $23, T1, T1; \
	VMULPS T1, T2, X

// SIGMOID replaces X by 1/(1+exp(−X)).
#define SIGMOID(X, T1, T2) \
	VXORPS sign<>(SB), X, X; \
	EXPF(X, T1, T2); \
	VADDPS one<>(SB), X, X; \
	VMOVUPS one<>(SB), T1; \
	VDIVPS X, T1, X

// TANH replaces X by 1 − 2/(1+exp(2X)).
#define TANH(X, T1, T2) \
	VADDPS X, X, X; \
	EXPF(X, T1, T2); \
	VADDPS one<>(SB), X, X; \
	VMOVUPS two<>(SB), T1; \
	VDIVPS X, T1, X; \
	VMOVUPS one<>(SB), T1; \
	VSUBPS X, T1, X

// func sigmoidAvx2(x *float32, n int)
TEXT ·sigmoidAvx2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX

sgloop:
	CMPQ CX, $8
	JLT  sgdone
	VMOVUPS (DI), Y0
	SIGMOID(Y0, Y1, Y2)
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  sgloop

sgdone:
	VZEROUPPER
	RET

// func tanhAvx2(dst, src *float32, n int)
TEXT ·tanhAvx2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

thloop:
	CMPQ CX, $8
	JLT  thdone
	VMOVUPS (SI), Y0
	TANH(Y0, Y1, Y2)
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  thloop

thdone:
	VZEROUPPER
	RET

// func lstmCellAvx2(gates, cPrev, c, h *float32, hidden, n int)
TEXT ·lstmCellAvx2(SB), NOSPLIT, $0-48
	MOVQ gates+0(FP), DI
	MOVQ cPrev+8(FP), SI
	MOVQ c+16(FP), DX
	MOVQ h+24(FP), R8
	MOVQ hidden+32(FP), R9
	MOVQ n+40(FP), R10
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R11

cfloop:
	CMPQ R10, $8
	JLT  cfdone
	VMOVUPS (DI), Y0
	VMOVUPS (DI)(R9*1), Y1
	VMOVUPS (DI)(R9*2), Y2
	VMOVUPS (DI)(R11*1), Y3
	SIGMOID(Y0, Y8, Y9)
	SIGMOID(Y1, Y10, Y11)
	TANH(Y2, Y12, Y13)
	SIGMOID(Y3, Y14, Y15)
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(R9*1)
	VMOVUPS Y2, (DI)(R9*2)
	VMOVUPS Y3, (DI)(R11*1)
	VMULPS Y2, Y0, Y4
	VFMADD231PS (SI), Y1, Y4
	VMOVUPS Y4, (DX)
	TANH(Y4, Y8, Y9)
	VMULPS Y4, Y3, Y4
	VMOVUPS Y4, (R8)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	SUBQ $8, R10
	JMP  cfloop

cfdone:
	VZEROUPPER
	RET

// func lstmCellBackwardAvx2(dgates, dcPrev, gates, cPrev, c, dh, dc, dcT *float32, hidden, n int)
// dcT may be nil; otherwise it receives the total gradient reaching c.
TEXT ·lstmCellBackwardAvx2(SB), NOSPLIT, $0-80
	MOVQ dgates+0(FP), DI
	MOVQ dcPrev+8(FP), R12
	MOVQ gates+16(FP), SI
	MOVQ cPrev+24(FP), R13
	MOVQ c+32(FP), DX
	MOVQ dh+40(FP), R8
	MOVQ dc+48(FP), BX
	MOVQ dcT+56(FP), R14
	MOVQ hidden+64(FP), R9
	MOVQ n+72(FP), R10
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R11

cbloop:
	CMPQ R10, $8
	JLT  cbdone
	VMOVUPS (DX), Y4
	TANH(Y4, Y8, Y9)            // tc = tanh(c)
	VMOVUPS (SI), Y0            // i
	VMOVUPS (SI)(R9*1), Y1      // f
	VMOVUPS (SI)(R9*2), Y2      // g
	VMOVUPS (SI)(R11*1), Y3     // o
	VMOVUPS (R8), Y5            // dh
	// dcT = dc + dh·o·(1 − tc²)
	VMOVUPS one<>(SB), Y6
	VFNMADD231PS Y4, Y4, Y6     // 1 − tc²
	VMULPS Y3, Y5, Y7           // dh·o
	VMOVUPS (BX), Y10
	VFMADD231PS Y7, Y6, Y10     // dcT
	TESTQ R14, R14
	JZ   cbnodct
	VMOVUPS Y10, (R14)
	ADDQ $32, R14

cbnodct:
	// do = dh·tc·o·(1 − o)
	VMULPS Y4, Y5, Y7           // dh·tc
	VMOVAPS Y3, Y6
	VFNMADD231PS Y3, Y3, Y6     // o − o²
	VMULPS Y6, Y7, Y7
	VMOVUPS Y7, (DI)(R11*1)
	// di = dcT·g·i·(1 − i)
	VMOVAPS Y0, Y6
	VFNMADD231PS Y0, Y0, Y6
	VMULPS Y2, Y10, Y7
	VMULPS Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	// dg = dcT·i·(1 − g²)
	VMOVUPS one<>(SB), Y6
	VFNMADD231PS Y2, Y2, Y6
	VMULPS Y0, Y10, Y7
	VMULPS Y6, Y7, Y7
	VMOVUPS Y7, (DI)(R9*2)
	// df = dcT·cPrev·f·(1 − f)
	VMOVAPS Y1, Y6
	VFNMADD231PS Y1, Y1, Y6
	VMULPS (R13), Y10, Y7
	VMULPS Y6, Y7, Y7
	VMOVUPS Y7, (DI)(R9*1)
	// dcPrev = dcT·f
	VMULPS Y1, Y10, Y7
	VMOVUPS Y7, (R12)
	ADDQ $32, DI
	ADDQ $32, R12
	ADDQ $32, SI
	ADDQ $32, R13
	ADDQ $32, DX
	ADDQ $32, R8
	ADDQ $32, BX
	SUBQ $8, R10
	JMP  cbloop

cbdone:
	VZEROUPPER
	RET

// func adamAvx2(p, grad, m, v *float32, n int, s *AdamStep, rcp float32)
// The same separately rounded operations as adamGeneric (no FMA in the
// arithmetic itself), so the results are bit-identical. The one exception
// in form, not in result: √v/BC2Sqrt, a division by a constant, is
// computed as q = RN(√v·rcp), r = √v − q·BC2Sqrt (exact, by FMA),
// q' = RN(q + r·rcp), with rcp = RN(1/BC2Sqrt). By Markstein's theorem
// (Handbook of Floating-Point Arithmetic, 2nd ed., Thm. 4.10) q' is the
// correctly rounded quotient whenever no underflow or overflow occurs
// (√v/BC2Sqrt is ≥ 2⁻⁷⁵ or exactly 0 here, BC2Sqrt ≤ 1): one divider
// operation fewer per element, and the divider bounds this loop.
TEXT ·adamAvx2(SB), NOSPLIT, $0-52
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ s+40(FP), AX
	VBROADCASTSS 0(AX), Y8      // B1
	VBROADCASTSS 4(AX), Y9      // B2
	VBROADCASTSS 8(AX), Y10     // C1
	VBROADCASTSS 12(AX), Y11    // C2
	VBROADCASTSS 16(AX), Y12    // StepSize
	VBROADCASTSS 20(AX), Y13    // BC2Sqrt
	VBROADCASTSS 24(AX), Y14    // Eps
	VBROADCASTSS rcp+48(FP), Y15 // RN(1/BC2Sqrt)

adloop:
	CMPQ CX, $8
	JLT  addone
	VMOVUPS (SI), Y0            // g
	VMULPS (DX), Y8, Y1         // b1·m
	VMULPS Y0, Y10, Y2          // c1·g
	VADDPS Y2, Y1, Y1           // m
	VMOVUPS Y1, (DX)
	VMULPS Y0, Y0, Y2           // g²
	VMULPS Y2, Y11, Y2          // c2·g²
	VMULPS (R8), Y9, Y3         // b2·v
	VADDPS Y2, Y3, Y3           // v
	VMOVUPS Y3, (R8)
	VSQRTPS Y3, Y3              // a = √v
	VMULPS Y15, Y3, Y5          // q = a·rcp
	VMOVAPS Y3, Y6
	VFNMADD231PS Y13, Y5, Y6    // r = a − q·BC2Sqrt (exact)
	VFMADD231PS Y15, Y6, Y5     // q' = q + r·rcp = RN(a/BC2Sqrt)
	VADDPS Y14, Y5, Y3          // denom
	VDIVPS Y3, Y1, Y1           // m/denom
	VMULPS Y1, Y12, Y1          // stepSize·…
	VMOVUPS (DI), Y4
	VSUBPS Y1, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	SUBQ $8, CX
	JMP  adloop

addone:
	VZEROUPPER
	RET

// func momentumAvx2(p, grad, v *float32, n int, lr, mu float32)
TEXT ·momentumAvx2(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS lr+32(FP), Y8
	VBROADCASTSS mu+36(FP), Y9

moloop:
	CMPQ CX, $8
	JLT  modone
	VMULPS (DX), Y9, Y0         // mu·v
	VADDPS (SI), Y0, Y0         // + g
	VMOVUPS Y0, (DX)
	VMULPS Y0, Y8, Y0           // lr·v
	VMOVUPS (DI), Y1
	VSUBPS Y0, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  moloop

modone:
	VZEROUPPER
	RET

// func sumSquaresAvx2(x *float32, n int, acc *[16]float64)
// acc[i%16] += float64(x[i])², for n a multiple of 16: four 4-lane float64
// accumulators, lane l of accumulator k taking the elements i ≡ 4k+l
// (mod 16). The squares of float32 values are exact in float64, so the
// fused multiply-add rounds exactly as the portable loop's addition.
TEXT ·sumSquaresAvx2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ acc+16(FP), DI
	VMOVUPD 0(DI), Y4
	VMOVUPD 32(DI), Y5
	VMOVUPD 64(DI), Y6
	VMOVUPD 96(DI), Y7

ssloop:
	CMPQ CX, $16
	JLT  ssdone
	VCVTPS2PD 0(SI), Y0
	VCVTPS2PD 16(SI), Y1
	VCVTPS2PD 32(SI), Y2
	VCVTPS2PD 48(SI), Y3
	VFMADD231PD Y0, Y0, Y4
	VFMADD231PD Y1, Y1, Y5
	VFMADD231PD Y2, Y2, Y6
	VFMADD231PD Y3, Y3, Y7
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  ssloop

ssdone:
	VMOVUPD Y4, 0(DI)
	VMOVUPD Y5, 32(DI)
	VMOVUPD Y6, 64(DI)
	VMOVUPD Y7, 96(DI)
	VZEROUPPER
	RET

// func scaleAvx2(x *float32, n int, s float32)
// x[i] *= s for n a multiple of 8.
TEXT ·scaleAvx2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Y8

scloop:
	CMPQ CX, $8
	JLT  scdone
	VMULPS (DI), Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  scloop

scdone:
	VZEROUPPER
	RET
