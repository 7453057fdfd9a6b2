// Package f32 holds the float32 kernels on the hot path of LSTM training:
// matrix–vector and small matrix–matrix products on row-major slices,
// vector updates, the fused LSTM gate non-linearities (one row, or the
// rows of a lockstep batch's frame at once) and their gradient, the output
// layer's log soft-max and scaled exponential, the optimiser updates and
// gradient clipping's norm and scaling. Every kernel has a portable Go version that defines its result;
// faster versions are selected at run time from the CPU's features and are
// tested against the portable ones and against float64 references.
//
// Matrices are plain row-major []float32 with explicit dimensions; the
// linear-algebra kernels accumulate into their destination (y += …,
// C += …) so that callers can sum contributions without temporaries.
// MatTMulSet (C = Aᵀ·B, the same bits as clearing C and accumulating) writes
// a gradient tensor's first contribution without a separate clearing pass,
// and MatMulSet (C = A·B) likewise the input projection of a window; the
// AVX-512 kernels start their tiles from zero instead of loading C.
// Kernels do not allocate, and they panic, like an index expression, when
// a slice is shorter than its stated shape.
//
// # Dispatch
//
// At start-up the package picks one of three implementations, reported by
// Implementation:
//
//   - "avx512" when the CPU and OS support AVX-512F (with AVX2 and FMA):
//     16-lane Go assembly for the products, except that dot products
//     shorter than 64 (MatVec and MatMulT with 39 inputs) use the AVX2
//     kernel, which measured faster there on AMD Zen 5;
//   - "avx2" when AVX2 and FMA are available: 8-lane Go assembly;
//   - "portable" otherwise, on other architectures, and with the purego
//     build tag.
//
// The element-wise kernels (LSTMCell, LSTMCellBackward(DC), Sigmoid, Tanh,
// Adam, Momentum, SumSquares, Scale) have one 8-lane AVX2 version used at
// both vector levels, except Adam, which has a 16-lane AVX-512 one: with
// per-frame updates its step is most of the work, and it is bound by the
// square-root and division unit, which on Zen 5 takes a 16-lane register
// at the rate of an 8-lane one. The others are a small part of the work. SumSquares, Scale, Adam and
// Momentum are bit-identical across implementations. Every assembly routine ends with
// VZEROUPPER, so no dirty upper-register state slows the SSE code (the Go
// runtime, gonum) that runs after it; no GOEXPERIMENT or environment
// variable is involved. Implementations lists what the CPU can run and
// Use switches implementation, for tests and benchmarks that compare them.
//
// The row kernels of a lockstep batch (LSTMCellRows, LSTMCellBackwardRows,
// LogSoftmaxRows, LogSoftmax, ExpScale) take many rows per call and have
// 16-lane AVX-512 versions whose partial vectors at the end of a row go
// through opmask registers (masked loads and stores, no scalar tail). At
// the AVX2 level the LSTM cell kernels loop the 8-lane ones row by row,
// and the log soft-max and ExpScale have 8-lane versions. The AVX-512 LSTM
// cell performs, lane for lane, the 8-lane kernel's operations, so where
// hidden is a multiple of 8 its results are LSTMCell's bits at the AVX2
// level.
//
// # Assembly
//
// The assembly (avx2_amd64.s, avx512_amd64.s, act_amd64.s) is generated
// by avo (github.com/mmcloughlin/avo) from Go descriptions in _asm/, one
// per kernel, shared by the AVX2 and AVX-512 levels where they have the
// same structure; _asm is a module of its own, as in the standard
// library's crypto packages, so avo is not a dependency of this module.
// Edit the descriptions, never the .s files, and regenerate with
//
//	cd internal/f32 && go generate
//
// CI runs _asm/check.sh, which regenerates the files and fails if they
// differ from the committed ones. The generated code is, instruction for
// instruction, the hand-written assembly it replaced (_asm/samecode.sh
// compares the machine code with any revision), except the AVX-512 A·B
// and Aᵀ·B kernels, retiled since with the same output bits; a golden
// test (TestKernelsGolden) pins the output bits of every routine.
//
// # Accuracy
//
// The products sum in a different order from the portable loops and use
// fused multiply-adds, so results differ from the portable ones by float32
// rounding: each output is within 2(n+1)·2⁻²⁴·Σ|terms| of the exact sum
// for a sum of n products, which the tests check for every
// implementation. Sigmoid and Tanh (and so LSTMCell) use a polynomial
// exponential in the fast versions, with an absolute error against
// float64 math below 1e-6 (measured at most 9e-8 for σ and 1.8e-7 for
// tanh); the portable versions round float64 math once. Adam and Momentum
// give bit-identical results in every implementation: the same separately
// rounded operations, except that the fast Adam divides by the constant
// √(1−β2ᵗ) with Markstein's exact correction of a reciprocal product
// (correctly rounded, proven and tested), saving one of its three divider
// operations per element. ExpScale's fast versions use the same
// exponential: relative error at most 3·2⁻²⁴ (measured 2.1·2⁻²⁴) where
// the result is a normal float32. LogSoftmaxRows sums its exponentials in
// float32 lanes in the fast versions (in float64 in the portable one) and
// takes the logarithm in float64; its error bound, a few 2⁻²⁴ plus the output's
// own rounding, is stated with it (for rows of 61 logits drawn from
// N(0, 5²) the test measured no difference from the portable results).
// Non-finite inputs propagate as IEEE arithmetic
// dictates, with one difference: the portable MatTVec, AddOuter and
// MatTMul skip terms whose x is zero, so there 0·Inf counts as 0, where
// the vector versions give NaN.
//
// # Speed
//
// FMALoop runs a register-only loop of independent fused multiply-adds:
// its FLOPs per second are the machine's float32 peak, against which
// `phoneme bench` and the product benchmarks state their GFLOP/s
// (BenchmarkFMALoop: 207 GFLOP/s for one Zen 5 core with AVX-512, 105
// with AVX2, 3.3 portable).
//
// MatMul (C += A·B) is register-blocked as BLIS's micro-kernels are: a
// tile of 8 rows × 3 vectors of C (24 of the 32 ZMM registers; 4 × 2 with
// AVX2) stays in registers while k runs, each load of B feeding eight
// rows; with AVX-512 the column panels of B are the outer loop, so a
// panel comes from L2 once and from L1 for the other rows. MatTMul
// (C += Aᵀ·B) keeps 4 rows × 4 vectors (4 × 2 with AVX2), with tiles of
// 1–4 vectors, the last one masked, for the end of widths such as 39 and
// 61 (8 rows tall when narrow). Both prefetch their next tile's data (A·B
// the next rows of C, Aᵀ·B the next line of A). On one shared Zen 5 core (medians of 5–9 interleaved runs over
// three sessions, FMALoop alongside about 205 GFLOP/s), in GFLOP/s: the
// recurrent product, 16×128 by 128×512, 180–198 (88–97 % of the peak;
// the 4×4 tile before 172–186; MatMulT, the dot products, 131–135),
// ∂h = ∂gates·W_hh (16×512 by 512×128) 189–201, ∂h from the outputs
// (4800×61 by 61×128) 176–192 (level with the 4×4 tile, or up to 10 %
// behind it in single runs), the input projection (4800×39 by 39×512,
// bound by streaming C) 155–171, 163–167 with MatMulSet (MatMulT 41);
// the weight gradients MatTMul 512×128 over 16, 32 and 4800 rows 191,
// 186, 178 (4×2 tile before: 189, 156, 144), 512×39 147, 152, 130 (88,
// 83, 84) and 61×128 176, 189, 185 (179, 187, 162).
//
// Measured on a 2-core AMD Zen 5 (fastest of 25 interleaved runs, the
// machine being shared; the avx512 MatTMul figures here are of the former
// 4×2 tile), in GFLOP/s as portable / avx2 / avx512: MatVec
// 512×128 3.5 / 58 / 58 (bound by streaming the 256 KiB matrix from L2),
// MatVec 512×39 2.8 / 52 / 52, MatTVec 512×128 6.1 / 58 / 58, MatTMul
// 512×128 over 20 frames 4.3 / 88 / 111 (and 100 over 4800 rows, in
// blocks of 48 rows: unblocked, 19), MatTMul 512×39 over 20 frames
// 5.1 / 49 / 64, MatMulT 20×39 by 512×39 2.3 / 55 / 55. LSTMCell for 128
// cells takes 0.44 µs (portable 8–11 µs), its backward 0.14 µs (2.7 µs),
// Adam over 94 k parameters 32 µs (310 µs; 38 µs with three divider operations per element;
// 18 µs on 16 lanes with AVX-512), Momentum 12 µs (53 µs).
//
// The row kernels, medians of 7 interleaved runs (minima at most 13 % lower):
// for a frame of 16 streams × 128 cells LSTMCellRows takes 2.1 µs with
// AVX-512 against 5.8 µs for 16 calls of LSTMCell (2.8×; the AVX2 level,
// which makes those calls, 5.8 µs), LSTMCellBackwardRows 1.07 µs against
// 2.2 µs (2.1×); LogSoftmaxRows over 4800 rows of 61, with a copy of the
// logits (35 µs), 0.27 ms (AVX2 0.34 ms) against 3.1 ms for the LSTM's
// former scalar Go with a float32 exponential (11×); ExpScale 15 ns for
// 61 values (AVX2 42 ns, the scalar loop 350 ns) and 55 µs for 4800×61
// (AVX2 114 µs, scalar 1.8 ms).
package f32
