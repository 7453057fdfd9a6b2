// Package synth makes small synthetic data for tests: a split whose labels
// a network can learn from its features in a few epochs, its majority-class
// error rate, and a bit-for-bit comparison of parameters. It is imported by
// the tests of tbptt/train, tbptt/compare and tbptt/horizon.
package synth

import (
	"math"
	"math/rand/v2"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// Dim is the feature dimension of Split.
const Dim = 4

// Split builds an in-memory split of a learnable task: each frame's
// label is the argmax of its first three features, three of the 61 phone
// classes (plus a few excluded frames), so chance — always predicting the
// most frequent class — is about 2/3 frame error. The features are shifted
// and scaled so that CMVN matters, and the manifest carries their true
// statistics. random makes the labels independent of the features
// (nothing to learn).
func Split(seed uint64, n int, random bool) *data.Split {
	rng := rand.New(rand.NewPCG(seed, 99))
	classes := []int32{5, 27, 48} // ax, h#, s
	s := &data.Split{Dir: "synthetic", Manifest: &data.Manifest{
		Features: features.DefaultConfig(),
		Dim:      Dim,
		Phones:   labels.TIMIT61().Names(),
		CMVNMean: []float32{10, 10, 10, 10},
		CMVNStd:  []float32{3, 3, 3, 3},
	}}
	for i := range n {
		T := 5 + rng.IntN(30)
		x := features.NewMatrix(T, Dim)
		lab := make([]int32, T)
		for t := range T {
			row := x.Row(t)
			best := 0
			for d := range row {
				row[d] = float32(10 + 3*rng.NormFloat64())
				if d < 3 && row[d] > row[best] {
					best = d
				}
			}
			lab[t] = classes[best]
			if random {
				lab[t] = classes[rng.IntN(3)]
			}
			if rng.IntN(20) == 0 {
				lab[t] = labels.Excluded
			}
		}
		s.Sentences = append(s.Sentences, &data.Sentence{
			ID: "utt" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Speaker: "spk",
			Feats: x, Labels: lab,
		})
	}
	return s
}

// MajorityFER is the frame error of always predicting the most frequent
// scored label.
func MajorityFER(s *data.Split) float64 {
	count := map[int32]int{}
	total := 0
	for _, x := range s.Sentences {
		for _, l := range x.Labels {
			if l != labels.Excluded {
				count[l]++
				total++
			}
		}
	}
	best := 0
	for _, c := range count {
		best = max(best, c)
	}
	return 1 - float64(best)/float64(total)
}

func SameBits(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
