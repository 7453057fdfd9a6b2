//go:build !purego

#include "textflag.h"

// AVX2+FMA kernels. Register use follows the Go ABI0 convention for
// assembly: arguments on the stack, BP, R14 and R15 untouched. Every
// routine ends with VZEROUPPER so that following SSE code (the Go runtime,
// gonum) pays no transition penalty.

// maskTable<>+32-4r holds r all-ones lanes followed by zeros: the VMASKMOVPS
// mask for a tail of r < 8 floats.
DATA maskTable<>+0(SB)/4, $0xffffffff
DATA maskTable<>+4(SB)/4, $0xffffffff
DATA maskTable<>+8(SB)/4, $0xffffffff
DATA maskTable<>+12(SB)/4, $0xffffffff
DATA maskTable<>+16(SB)/4, $0xffffffff
DATA maskTable<>+20(SB)/4, $0xffffffff
DATA maskTable<>+24(SB)/4, $0xffffffff
DATA maskTable<>+28(SB)/4, $0xffffffff
DATA maskTable<>+32(SB)/4, $0
DATA maskTable<>+36(SB)/4, $0
DATA maskTable<>+40(SB)/4, $0
DATA maskTable<>+44(SB)/4, $0
DATA maskTable<>+48(SB)/4, $0
DATA maskTable<>+52(SB)/4, $0
DATA maskTable<>+56(SB)/4, $0
DATA maskTable<>+60(SB)/4, $0
GLOBL maskTable<>(SB), RODATA|NOPTR, $64

// func gemmNTAvx2(c, a, b *float32, m, n, k int)
// C (m×n) += A (m×k) · Bᵀ, B (n×k). Blocks of four rows of B share each
// load of a row of A; eight accumulators hide the FMA latency.
TEXT ·gemmNTAvx2(SB), NOSPLIT, $0-48
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R13
	MOVQ m+24(FP), R8
	MOVQ n+32(FP), R9
	MOVQ k+40(FP), R10
	MOVQ R10, R11
	SHLQ $2, R11             // row stride in bytes
	LEAQ (R11)(R11*2), R14   // 3 strides
	MOVQ R10, AX
	ANDQ $7, AX
	NEGQ AX
	LEAQ maskTable<>+32(SB), BX
	VMOVUPS (BX)(AX*4), Y15  // tail mask for k%8
	XORQ R12, R12            // j

nt4:
	LEAQ 4(R12), AX
	CMPQ AX, R9
	JGT  nt1
	XORQ DX, DX              // i

nt4row:
	CMPQ DX, R8
	JGE  nt4next
	MOVQ DX, CX
	IMULQ R11, CX
	ADDQ SI, CX              // &A[i][0]
	MOVQ R13, BX             // &B[j][0]
	MOVQ R10, AX             // k remaining
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ AX, $16
	JLT  nt4one

nt4loop:
	VMOVUPS (CX), Y8
	VMOVUPS 32(CX), Y9
	VFMADD231PS (BX), Y8, Y0
	VFMADD231PS 32(BX), Y9, Y4
	VFMADD231PS (BX)(R11*1), Y8, Y1
	VFMADD231PS 32(BX)(R11*1), Y9, Y5
	VFMADD231PS (BX)(R11*2), Y8, Y2
	VFMADD231PS 32(BX)(R11*2), Y9, Y6
	VFMADD231PS (BX)(R14*1), Y8, Y3
	VFMADD231PS 32(BX)(R14*1), Y9, Y7
	ADDQ $64, CX
	ADDQ $64, BX
	SUBQ $16, AX
	CMPQ AX, $16
	JGE  nt4loop

nt4one:
	CMPQ AX, $8
	JLT  nt4tail
	VMOVUPS (CX), Y8
	VFMADD231PS (BX), Y8, Y0
	VFMADD231PS (BX)(R11*1), Y8, Y1
	VFMADD231PS (BX)(R11*2), Y8, Y2
	VFMADD231PS (BX)(R14*1), Y8, Y3
	ADDQ $32, CX
	ADDQ $32, BX
	SUBQ $8, AX

nt4tail:
	TESTQ AX, AX
	JZ    nt4sum
	VMASKMOVPS (CX), Y15, Y8
	VMASKMOVPS (BX), Y15, Y9
	VFMADD231PS Y9, Y8, Y4
	VMASKMOVPS (BX)(R11*1), Y15, Y10
	VFMADD231PS Y10, Y8, Y5
	VMASKMOVPS (BX)(R11*2), Y15, Y11
	VFMADD231PS Y11, Y8, Y6
	VMASKMOVPS (BX)(R14*1), Y15, Y12
	VFMADD231PS Y12, Y8, Y7

nt4sum:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	MOVQ DX, AX
	IMULQ R9, AX
	ADDQ R12, AX
	VADDPS (DI)(AX*4), X0, X0
	VMOVUPS X0, (DI)(AX*4)
	INCQ DX
	JMP  nt4row

nt4next:
	ADDQ $4, R12
	LEAQ (R13)(R11*4), R13
	JMP  nt4

nt1:
	CMPQ R12, R9
	JGE  ntdone
	XORQ DX, DX

nt1row:
	CMPQ DX, R8
	JGE  nt1next
	MOVQ DX, CX
	IMULQ R11, CX
	ADDQ SI, CX
	MOVQ R13, BX
	MOVQ R10, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ AX, $32
	JLT  nt1one

nt1loop:
	VMOVUPS (CX), Y8
	VMOVUPS 32(CX), Y9
	VMOVUPS 64(CX), Y10
	VMOVUPS 96(CX), Y11
	VFMADD231PS (BX), Y8, Y0
	VFMADD231PS 32(BX), Y9, Y1
	VFMADD231PS 64(BX), Y10, Y2
	VFMADD231PS 96(BX), Y11, Y3
	ADDQ $128, CX
	ADDQ $128, BX
	SUBQ $32, AX
	CMPQ AX, $32
	JGE  nt1loop

nt1one:
	CMPQ AX, $8
	JLT  nt1tail
	VMOVUPS (CX), Y8
	VFMADD231PS (BX), Y8, Y0
	ADDQ $32, CX
	ADDQ $32, BX
	SUBQ $8, AX
	JMP  nt1one

nt1tail:
	TESTQ AX, AX
	JZ    nt1sum
	VMASKMOVPS (CX), Y15, Y8
	VMASKMOVPS (BX), Y15, Y9
	VFMADD231PS Y9, Y8, Y1

nt1sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVQ DX, AX
	IMULQ R9, AX
	ADDQ R12, AX
	VADDSS (DI)(AX*4), X0, X0
	VMOVSS X0, (DI)(AX*4)
	INCQ DX
	JMP  nt1row

nt1next:
	INCQ R12
	ADDQ R11, R13
	JMP  nt1

ntdone:
	VZEROUPPER
	RET

// func axpyRowsAvx2(y, b *float32, rows, cols int, x *float32, incx int)
// y (cols) += Σ_r x[r·incx] · B[r] for row-major B (rows×cols). A block of
// 64 columns of y stays in eight registers while all rows stream past, so
// y is loaded and stored once.
TEXT ·axpyRowsAvx2(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ cols+24(FP), R9
	MOVQ x+32(FP), DX
	MOVQ incx+40(FP), R10
	SHLQ $2, R10             // x stride in bytes
	MOVQ R9, R11
	SHLQ $2, R11             // row stride in bytes
	MOVQ R9, AX
	ANDQ $7, AX
	NEGQ AX
	LEAQ maskTable<>+32(SB), BX
	VMOVUPS (BX)(AX*4), Y15
	MOVQ R9, R13             // columns remaining

ar64:
	CMPQ R13, $64
	JLT  ar8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	MOVQ SI, BX
	MOVQ DX, CX
	MOVQ R8, AX
	TESTQ AX, AX
	JZ   ar64store

ar64row:
	VBROADCASTSS (CX), Y8
	VFMADD231PS (BX), Y8, Y0
	VFMADD231PS 32(BX), Y8, Y1
	VFMADD231PS 64(BX), Y8, Y2
	VFMADD231PS 96(BX), Y8, Y3
	VFMADD231PS 128(BX), Y8, Y4
	VFMADD231PS 160(BX), Y8, Y5
	VFMADD231PS 192(BX), Y8, Y6
	VFMADD231PS 224(BX), Y8, Y7
	ADDQ R10, CX
	ADDQ R11, BX
	DECQ AX
	JNZ  ar64row

ar64store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, R13
	JMP  ar64

ar8:
	// One vector of y at a time, four rows per step into four
	// accumulators (they are independent FMA chains).
	CMPQ R13, $8
	JLT  artail
	VMOVUPS (DI), Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, BX
	MOVQ DX, CX
	MOVQ R8, AX
	CMPQ AX, $4
	JLT  ar8one

ar8row4:
	VBROADCASTSS (CX), Y8
	ADDQ R10, CX
	VBROADCASTSS (CX), Y9
	ADDQ R10, CX
	VBROADCASTSS (CX), Y10
	ADDQ R10, CX
	VBROADCASTSS (CX), Y11
	ADDQ R10, CX
	VFMADD231PS (BX), Y8, Y0
	ADDQ R11, BX
	VFMADD231PS (BX), Y9, Y1
	ADDQ R11, BX
	VFMADD231PS (BX), Y10, Y2
	ADDQ R11, BX
	VFMADD231PS (BX), Y11, Y3
	ADDQ R11, BX
	SUBQ $4, AX
	CMPQ AX, $4
	JGE  ar8row4

ar8one:
	TESTQ AX, AX
	JZ   ar8store
	VBROADCASTSS (CX), Y8
	VFMADD231PS (BX), Y8, Y0
	ADDQ R10, CX
	ADDQ R11, BX
	DECQ AX
	JMP  ar8one

ar8store:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, R13
	JMP  ar8

artail:
	// The last cols%8 columns: masked loads, one masked store.
	TESTQ R13, R13
	JZ   ardone
	VMASKMOVPS (DI), Y15, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, BX
	MOVQ DX, CX
	MOVQ R8, AX
	CMPQ AX, $4
	JLT  artone

artrow4:
	VBROADCASTSS (CX), Y8
	ADDQ R10, CX
	VBROADCASTSS (CX), Y9
	ADDQ R10, CX
	VBROADCASTSS (CX), Y10
	ADDQ R10, CX
	VBROADCASTSS (CX), Y11
	ADDQ R10, CX
	VMASKMOVPS (BX), Y15, Y4
	ADDQ R11, BX
	VMASKMOVPS (BX), Y15, Y5
	ADDQ R11, BX
	VMASKMOVPS (BX), Y15, Y6
	ADDQ R11, BX
	VMASKMOVPS (BX), Y15, Y7
	ADDQ R11, BX
	VFMADD231PS Y4, Y8, Y0
	VFMADD231PS Y5, Y9, Y1
	VFMADD231PS Y6, Y10, Y2
	VFMADD231PS Y7, Y11, Y3
	SUBQ $4, AX
	CMPQ AX, $4
	JGE  artrow4

artone:
	TESTQ AX, AX
	JZ   artstore
	VBROADCASTSS (CX), Y8
	VMASKMOVPS (BX), Y15, Y4
	VFMADD231PS Y4, Y8, Y0
	ADDQ R10, CX
	ADDQ R11, BX
	DECQ AX
	JMP  artone

artstore:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VMASKMOVPS Y0, Y15, (DI)

ardone:
	VZEROUPPER
	RET

// func addOuterAvx2(a *float32, rows, cols int, x, y *float32)
// A (rows×cols) += x·yᵀ, one row at a time.
TEXT ·addOuterAvx2(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ cols+16(FP), R9
	MOVQ x+24(FP), DX
	MOVQ y+32(FP), SI
	MOVQ R9, AX
	ANDQ $7, AX
	NEGQ AX
	LEAQ maskTable<>+32(SB), BX
	VMOVUPS (BX)(AX*4), Y15

aorow:
	TESTQ R8, R8
	JZ    aodone
	VBROADCASTSS (DX), Y8
	MOVQ SI, BX
	MOVQ R9, AX

ao32:
	CMPQ AX, $32
	JLT  ao8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VFMADD231PS (BX), Y8, Y0
	VFMADD231PS 32(BX), Y8, Y1
	VFMADD231PS 64(BX), Y8, Y2
	VFMADD231PS 96(BX), Y8, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, BX
	SUBQ $32, AX
	JMP  ao32

ao8:
	CMPQ AX, $8
	JLT  aotail
	VMOVUPS (DI), Y0
	VFMADD231PS (BX), Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, BX
	SUBQ $8, AX
	JMP  ao8

aotail:
	// Scalar tail: a masked store is slow on AMD.
	TESTQ AX, AX
	JZ    aonext
	VMOVSS (DI), X0
	VFMADD231SS (BX), X8, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ $4, BX
	DECQ AX
	JMP  aotail

aonext:
	ADDQ $4, DX
	DECQ R8
	JMP  aorow

aodone:
	VZEROUPPER
	RET

// func gemmTNAvx2(c, a, b *float32, m, n, k int)
// C (m×n) += Aᵀ·B with A (k×m), B (k×n): register tiles of 4 rows × 16
// columns of C, accumulated over all k rows of A and B.
TEXT ·gemmTNAvx2(SB), NOSPLIT, $0-48
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+32(FP), R9
	MOVQ R9, R11
	SHLQ $2, R11             // row stride of B and C
	LEAQ (R11)(R11*2), R14
	MOVQ m+24(FP), R12
	SHLQ $2, R12             // row stride of A
	XORQ BX, BX             // j0

colblk:
	MOVQ R9, AX
	SUBQ BX, AX
	JLE  done
	CMPQ AX, $16
	JLT  maskcols
	XORQ CX, CX             // i0

fullrows4:
	LEAQ 4(CX), AX
	CMPQ AX, m+24(FP)
	JGT  fullrows1
	MOVQ CX, R13
	IMULQ R9, R13
	ADDQ BX, R13
	LEAQ (DI)(R13*4), R13   // &C[i0][j0]
	VMOVUPS (R13), Y0
	VMOVUPS 32(R13), Y1
	VMOVUPS (R13)(R11*1), Y2
	VMOVUPS 32(R13)(R11*1), Y3
	VMOVUPS (R13)(R11*2), Y4
	VMOVUPS 32(R13)(R11*2), Y5
	VMOVUPS (R13)(R14*1), Y6
	VMOVUPS 32(R13)(R14*1), Y7
	LEAQ (SI)(CX*4), R8     // &A[0][i0]
	LEAQ (DX)(BX*4), R10    // &B[0][j0]
	MOVQ k+40(FP), AX

fullt4:
	VMOVUPS 0(R10), Y8
	VMOVUPS 32(R10), Y9
	VBROADCASTSS 0(R8), Y10
	VBROADCASTSS 4(R8), Y11
	VBROADCASTSS 8(R8), Y12
	VBROADCASTSS 12(R8), Y13
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ R12, R8
	ADDQ R11, R10
	DECQ AX
	JNZ  fullt4
	VMOVUPS Y0, (R13)
	VMOVUPS Y1, 32(R13)
	VMOVUPS Y2, (R13)(R11*1)
	VMOVUPS Y3, 32(R13)(R11*1)
	VMOVUPS Y4, (R13)(R11*2)
	VMOVUPS Y5, 32(R13)(R11*2)
	VMOVUPS Y6, (R13)(R14*1)
	VMOVUPS Y7, 32(R13)(R14*1)
	ADDQ $4, CX
	JMP  fullrows4

fullrows1:
	CMPQ CX, m+24(FP)
	JGE  fullnext
	MOVQ CX, R13
	IMULQ R9, R13
	ADDQ BX, R13
	LEAQ (DI)(R13*4), R13
	VMOVUPS (R13), Y0
	VMOVUPS 32(R13), Y1
	LEAQ (SI)(CX*4), R8
	LEAQ (DX)(BX*4), R10
	MOVQ k+40(FP), AX

fullt1:
	VMOVUPS 0(R10), Y8
	VMOVUPS 32(R10), Y9
	VBROADCASTSS (R8), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	ADDQ R12, R8
	ADDQ R11, R10
	DECQ AX
	JNZ  fullt1
	VMOVUPS Y0, (R13)
	VMOVUPS Y1, 32(R13)
	INCQ CX
	JMP  fullrows1

fullnext:
	ADDQ $16, BX
	JMP  colblk

maskcols:
	// masks for the last AX < 16 columns: Y14 the first vector, Y15 the second
	LEAQ maskTable<>+32(SB), CX
	CMPQ AX, $8
	JLT  mask1
	VPCMPEQD Y14, Y14, Y14
	SUBQ $8, AX
	NEGQ AX
	VMOVUPS (CX)(AX*4), Y15
	JMP  maskdone

mask1:
	NEGQ AX
	VMOVUPS (CX)(AX*4), Y14
	VXORPS Y15, Y15, Y15

maskdone:
	XORQ CX, CX             // i0

maskrows4:
	LEAQ 4(CX), AX
	CMPQ AX, m+24(FP)
	JGT  maskrows1
	MOVQ CX, R13
	IMULQ R9, R13
	ADDQ BX, R13
	LEAQ (DI)(R13*4), R13   // &C[i0][j0]
	VMASKMOVPS (R13), Y14, Y0
	VMASKMOVPS 32(R13), Y15, Y1
	VMASKMOVPS (R13)(R11*1), Y14, Y2
	VMASKMOVPS 32(R13)(R11*1), Y15, Y3
	VMASKMOVPS (R13)(R11*2), Y14, Y4
	VMASKMOVPS 32(R13)(R11*2), Y15, Y5
	VMASKMOVPS (R13)(R14*1), Y14, Y6
	VMASKMOVPS 32(R13)(R14*1), Y15, Y7
	LEAQ (SI)(CX*4), R8     // &A[0][i0]
	LEAQ (DX)(BX*4), R10    // &B[0][j0]
	MOVQ k+40(FP), AX

maskt4:
	VMASKMOVPS 0(R10), Y14, Y8
	VMASKMOVPS 32(R10), Y15, Y9
	VBROADCASTSS 0(R8), Y10
	VBROADCASTSS 4(R8), Y11
	VBROADCASTSS 8(R8), Y12
	VBROADCASTSS 12(R8), Y13
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ R12, R8
	ADDQ R11, R10
	DECQ AX
	JNZ  maskt4
	VMASKMOVPS Y0, Y14, (R13)
	VMASKMOVPS Y1, Y15, 32(R13)
	VMASKMOVPS Y2, Y14, (R13)(R11*1)
	VMASKMOVPS Y3, Y15, 32(R13)(R11*1)
	VMASKMOVPS Y4, Y14, (R13)(R11*2)
	VMASKMOVPS Y5, Y15, 32(R13)(R11*2)
	VMASKMOVPS Y6, Y14, (R13)(R14*1)
	VMASKMOVPS Y7, Y15, 32(R13)(R14*1)
	ADDQ $4, CX
	JMP  maskrows4

maskrows1:
	CMPQ CX, m+24(FP)
	JGE  masknext
	MOVQ CX, R13
	IMULQ R9, R13
	ADDQ BX, R13
	LEAQ (DI)(R13*4), R13
	VMASKMOVPS (R13), Y14, Y0
	VMASKMOVPS 32(R13), Y15, Y1
	LEAQ (SI)(CX*4), R8
	LEAQ (DX)(BX*4), R10
	MOVQ k+40(FP), AX

maskt1:
	VMASKMOVPS 0(R10), Y14, Y8
	VMASKMOVPS 32(R10), Y15, Y9
	VBROADCASTSS (R8), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	ADDQ R12, R8
	ADDQ R11, R10
	DECQ AX
	JNZ  maskt1
	VMASKMOVPS Y0, Y14, (R13)
	VMASKMOVPS Y1, Y15, 32(R13)
	INCQ CX
	JMP  maskrows1

masknext:
	ADDQ $16, BX
	JMP  colblk

done:
	VZEROUPPER
	RET

