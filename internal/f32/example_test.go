package f32_test

import (
	"fmt"

	"github.com/phoneme/phoneme/internal/f32"
)

func ExampleMatVec() {
	// y += A·x for A = [[1 2 3] [4 5 6]].
	a := []float32{1, 2, 3, 4, 5, 6}
	x := []float32{1, 0, -1}
	y := []float32{10, 20}
	f32.MatVec(y, a, 2, 3, x)
	fmt.Println(y)
	// Output: [8 18]
}

func ExampleMatTMul() {
	// A weight gradient over a window of two frames: C += Σ_t dg_t ⊗ x_t,
	// with dg (2 frames × 2 gates) and x (2 frames × 3 inputs).
	dg := []float32{1, 2, 3, 4}
	x := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 2*3)
	f32.MatTMul(c, dg, x, 2, 3, 2)
	fmt.Println(c)
	// Output: [1 3 1 2 4 2]
}

func ExampleMatMulSet() {
	// The gates of two frames written from their inputs: G = X·W with X
	// (2 frames × 2 inputs) and W (2 inputs × 16 gates); G's old contents
	// do not matter.
	x := []float32{1, 2, 3, 4}
	w := make([]float32, 2*16)
	for j := range 16 {
		w[j], w[16+j] = float32(j), 1
	}
	g := make([]float32, 2*16)
	for i := range g {
		g[i] = 99
	}
	f32.MatMulSet(g, x, w, 2, 16, 2)
	fmt.Println(g[:4], g[16:20])
	// Output: [2 3 4 5] [4 7 10 13]
}

func ExampleAdam() {
	p := []float32{1, 1}
	g := []float32{0.5, -2}
	m, v := make([]float32, 2), make([]float32, 2)
	// The first update moves every parameter by about lr against the sign
	// of its gradient, whatever the gradient's size.
	f32.Adam(p, g, m, v, f32.NewAdamStep(0.1, 0.9, 0.999, 1e-8, 1))
	fmt.Printf("%.4f\n", p)
	// Output: [0.9000 1.1000]
}

func ExampleLogSoftmaxRows() {
	// The output layer of two frames with three classes: log-posteriors,
	// then the gradient of the mean cross-entropy with respect to the
	// logits, scale·(softmax − onehot) with scale = 1/frames.
	const frames, classes = 2, 3
	z := []float32{
		2, 1, 0, // frame 0, target 0
		0, 0, 0, // frame 1, target 2
	}
	targets := []int{0, 2}
	f32.LogSoftmaxRows(z, frames, classes)
	fmt.Printf("log p: %.3f\n", z)

	const scale = 1.0 / frames
	dy := make([]float32, len(z))
	f32.ExpScale(dy, z, scale)
	for t, y := range targets {
		dy[t*classes+y] -= scale
	}
	fmt.Printf("dy:    %.3f\n", dy)
	// Output:
	// log p: [-0.408 -1.408 -2.408 -1.099 -1.099 -1.099]
	// dy:    [-0.167 0.122 0.045 0.167 0.167 -0.333]
}
