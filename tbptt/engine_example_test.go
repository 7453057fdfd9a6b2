package tbptt_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/f32"
	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

// Train one 8-frame sentence with TBPTT(3, 5) and plain SGD: updates after
// frames 2, 5 and 7; the windows of the last two are re-run (see the
// package's worked example).
func ExampleEngine_Train() {
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := lstm.New(lstm.Config{Inputs: 4, Hidden: 8, Layers: 1, Outputs: 3}, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := &data.Sentence{ID: "s1", Feats: features.NewMatrix(8, 4), Labels: []int32{0, 0, 1, 1, 1, 2, 2, 0}}
	for i := range s.Feats.Data {
		s.Feats.Data[i] = float32(rng.NormFloat64())
	}
	sched, err := tbptt.ParseSchedule("tbptt", 3, "5", "window")
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := tbptt.NewEngine(m, sched, 0, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := e.Train([]*data.Sentence{s}, func(g *lstm.Grads) error {
		f32.Axpy(m.Params(), -0.01, g.Data) // θ ← θ − 0.01·g
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v: %d updates, %d frames forward, %d backward, %d scored\n",
		sched, st.Updates, st.FramesForward, st.FramesBackward, st.Scored)
	// Output: tbptt:k1=3:k2=5: 3 updates, 18 frames forward, 13 backward, 8 scored
}
