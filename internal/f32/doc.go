// Package f32 holds the float32 linear-algebra kernels on the hot path of
// LSTM training: matrix–vector and small matrix–matrix products on
// row-major slices, and vector updates. Every kernel has a portable Go
// version that defines its result; faster versions may be selected at run
// time from the CPU's features and are tested against the portable ones.
//
// Matrices are plain row-major []float32 with explicit dimensions; kernels
// accumulate into their destination (y += …, C += …) so that callers can
// sum contributions without temporaries. Kernels do not allocate.
package f32
