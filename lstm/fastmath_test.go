package lstm

import (
	"math"
	"testing"
)

// TestExp32 bounds the error of the float32 non-linearities against
// float64 math on a dense grid: exp32 within 4e-7 relative (a few ulps),
// sigmoid and tanh within 2e-7 absolute (their values are ≤ 1 in size;
// tanh's 2σ(2x) − 1 form loses relative, not absolute, accuracy near
// 0). TestForwardReference and the gradient checks bound the effect on the
// network.
func TestExp32(t *testing.T) {
	var we, ws, wt float64
	for i := -2000000; i <= 2000000; i++ {
		x := float32(i) * 4.4e-5 // −88 … 88
		want := math.Exp(float64(x))
		if want > 1e-37 && want < 1e38 {
			we = max(we, math.Abs(float64(exp32(x))-want)/want)
		}
		v := []float32{x}
		sigmoids(v)
		tanhs(v[:0], nil)
		th := []float32{0}
		tanhs(th, []float32{x})
		for _, s := range []float32{sigmoid(x), v[0]} {
			ws = max(ws, math.Abs(float64(s)-1/(1+math.Exp(-float64(x)))))
		}
		for _, s := range []float32{tanh(x), th[0]} {
			wt = max(wt, math.Abs(float64(s)-math.Tanh(float64(x))))
		}
	}
	if we > 4e-7 || ws > 2e-7 || wt > 2e-7 {
		t.Errorf("max errors: exp %.3g relative, sigmoid %.3g, tanh %.3g", we, ws, wt)
	}
	t.Logf("max errors: exp %.3g relative, sigmoid %.3g, tanh %.3g", we, ws, wt)
	for _, c := range []struct{ x, want float32 }{{-100, 0}, {100, 1}, {0, 0.5}} {
		if got := sigmoid(c.x); math.Abs(float64(got-c.want)) > 1e-37 {
			t.Errorf("sigmoid(%v) = %v", c.x, got)
		}
	}
	if tanh(20) != 1 || tanh(-20) != -1 || tanh(0) != 0 {
		t.Error("tanh saturation")
	}
	if exp32(100) < 1e38 || exp32(-100) > 1e-37 || math.IsInf(float64(exp32(100)), 0) {
		t.Error("exp32 range: clamped to [e^−87.33, e^88]")
	}
}

func BenchmarkSigmoid(b *testing.B) {
	x := make([]float32, 512)
	for i := range x {
		x[i] = float32(i-256) / 40
	}
	for b.Loop() {
		sigmoids(x)
	}
}
