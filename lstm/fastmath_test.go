package lstm

import (
	"math"
	"testing"
)

// TestExp32 bounds the error of the float32 exponential against float64
// math on a dense grid: within 4e-7 relative (a few ulps).
// TestForwardReference and the gradient checks bound the effect on the
// network.
func TestExp32(t *testing.T) {
	var we float64
	for i := -2000000; i <= 2000000; i++ {
		x := float32(i) * 4.4e-5 // −88 … 88
		want := math.Exp(float64(x))
		if want > 1e-37 && want < 1e38 {
			we = max(we, math.Abs(float64(exp32(x))-want)/want)
		}
	}
	if we > 4e-7 {
		t.Errorf("max error: exp %.3g relative", we)
	}
	t.Logf("max error: exp %.3g relative", we)
	if exp32(100) < 1e38 || exp32(-100) > 1e-37 || math.IsInf(float64(exp32(100)), 0) {
		t.Error("exp32 range: clamped to [e^−87.33, e^88]")
	}
}
