package eval_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/lstm"
)

// A hand-made one-cell network that says "aa" while the log energy (the
// first feature) is above the CMVN mean and "h#" otherwise, applied to
// 0.1 s of silence, 0.1 s of a 440 Hz tone and 0.1 s of silence. Every
// frame touching the tone is loud: frames 8 to 19 of 25 ms every 10 ms.
func ExampleClassify() {
	fc := features.DefaultConfig()
	m, _ := lstm.New(lstm.Config{Inputs: fc.Dim(), Hidden: 1, Layers: 1, Outputs: labels.NumPhones}, rand.New(rand.NewPCG(1, 1)))
	clear(m.Params())
	// Gates in PyTorch order i, f, g, o: input and output gates open,
	// forget gate shut, cell input tanh(log energy); then the output layer.
	copy(m.Tensor("lstm.bias_ih_l0"), []float32{10, -10, 0, 10})
	m.Tensor("lstm.weight_ih_l0")[2*fc.Dim()] = 1
	aa, _ := labels.TIMIT61().Index("aa")
	sil, _ := labels.TIMIT61().Index("h#")
	m.Tensor("output.weight")[aa], m.Tensor("output.weight")[sil] = 10, -10

	mean, std := make([]float32, fc.Dim()), make([]float32, fc.Dim())
	for i := range std {
		std[i] = 1
	}
	mean[0] = 4 // between silence (log energy −16) and the tone (+23)
	feats, _ := json.Marshal(fc)
	md := &lstm.Metadata{Phones: labels.TIMIT61().Names(), Features: feats, CMVNMean: mean, CMVNStd: std}

	samples := make([]int16, 4800)
	for i := 1600; i < 3200; i++ {
		samples[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	c, err := eval.Classify(m, md, samples, 16000)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frames, posteriors %d×%d\n", len(c.Decisions), c.Posteriors.Rows, c.Posteriors.Cols)
	c.WritePHN(os.Stdout)
	// Output:
	// 28 frames, posteriors 28×61
	// 0 1280 h#
	// 1280 3200 aa
	// 3200 4480 h#
}
