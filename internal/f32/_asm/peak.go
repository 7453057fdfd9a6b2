package main

import (
	"github.com/mmcloughlin/avo/operand"
)

// peakChains is the number of independent FMA chains of fmaLoop: enough
// to cover the FMA latency (4 cycles on Zen 4/5, Intel since Skylake)
// times the FMA ports (2), with room for a machine whose latency is 5 or
// 6, while keeping within the 16 YMM registers of AVX2 (two more hold the
// operands).
const peakChains = 12

// fmaLoop emits
//
//	func fmaLoop<level>(n int)
//
// n iterations of peakChains independent register-only fused
// multiply-adds (acc_i = acc_i·x + y; x, y in registers 12 and 13): no
// loads, no stores, so the loop runs at the FMA units' throughput and
// measures the machine's float32 peak, 2·lanes·peakChains FLOPs per
// iteration. The accumulators start from whatever the registers hold and
// are discarded; the values do not matter (denormals cannot arise from
// VXORPS-cleared operands: x = y = 0).
//
// Registers: CX iterations left; vector registers 0…11 accumulators, 12
// and 13 the operands.
func fmaLoop(g *gen, v *vec) {
	g.text("fmaLoop"+v.name, "func(n int)")
	g.Comment("n × peakChains independent register FMAs; described in _asm/peak.go.")
	g.MOVQ(g.arg("n"), CX)
	for i := range peakChains + 2 {
		v.zero(g, v.r(i))
	}
	g.TESTQ(CX, CX)
	g.JZ(operand.LabelRef("fmadone"))
	g.Label("fmaloop")
	for i := range peakChains {
		g.VFMADD231PS(v.r(peakChains), v.r(peakChains+1), v.r(i))
	}
	g.DECQ(CX)
	g.JNZ(operand.LabelRef("fmaloop"))
	g.Label("fmadone")
	g.VZEROUPPER()
	g.RET()
}
