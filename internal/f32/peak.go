package f32

// peakChains is the number of independent FMA chains per iteration of
// FMALoop, in every implementation (the assembly's is in _asm/peak.go).
const peakChains = 12

// FMALoop runs n iterations of a loop of register-only float32 fused
// multiply-adds, peakChains independent chains of full vectors per
// iteration, in the implementation in use, and returns the number of
// floating-point operations done (an FMA counts as two per lane). Nothing
// is loaded or stored, so FLOPs per second of wall time is the float32
// arithmetic peak of the core that runs it: `phoneme bench` states every
// training row as a share of it. The portable version is a scalar Go loop
// (one lane), which is what the portable kernels can reach.
func FMALoop(n int) int64 {
	if n <= 0 {
		return 0
	}
	switch impl {
	case implAVX512:
		fmaLoopAvx512(n)
		return int64(n) * peakChains * 2 * 16
	case implAVX2:
		fmaLoopAvx2(n)
		return int64(n) * peakChains * 2 * 8
	}
	return fmaLoopGeneric(n)
}

func fmaLoopGeneric(n int) int64 {
	var acc [peakChains]float32
	x, y := float32(0.5), float32(0.25)
	for range n {
		for i := range acc {
			acc[i] = acc[i]*x + y
		}
	}
	// The accumulators converge to 0.5; using them keeps the loop.
	if s := acc[0] + acc[peakChains-1]; s != s {
		panic("f32: NaN in the FMA loop")
	}
	return int64(n) * peakChains * 2
}
