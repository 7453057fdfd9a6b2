package eval_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/labels"
)

// Phone error rate of a hypothesis against a reference: over 61 phones
// (four substitutions, preferred to the equally costly deletion of q plus
// an insertion), and over 39 classes after folding both (q removed, ao
// becomes aa, the closures sil): one inserted iy.
func ExampleScorePhones() {
	set := labels.TIMIT61()
	parse := func(names ...string) []int32 {
		var out []int32
		for _, n := range names {
			p, _ := set.Index(n)
			out = append(out, int32(p))
		}
		return out
	}
	ref := parse("h#", "q", "ao", "bcl", "b", "iy", "h#")
	hyp := parse("h#", "aa", "pcl", "b", "iy", "iy", "h#")
	s, _ := eval.ScorePhones(ref, hyp, nil)
	fmt.Printf("PER-61 %.1f%% %+v\n", 100*s.Edits61.Rate(), s.Edits61)
	fmt.Printf("PER-39 %.1f%% %+v\n", 100*s.Edits39.Rate(), s.Edits39)
	// Output:
	// PER-61 57.1% {Ref:7 Sub:4 Del:0 Ins:0}
	// PER-39 16.7% {Ref:6 Sub:0 Del:0 Ins:1}
}

// Greedy decoding merges the arg-max of each frame; the Viterbi decoder's
// minimum durations, bigram and insertion penalty remove the one-frame
// flicker.
func ExampleViterbiDecoder() {
	set := labels.TIMIT61()
	const n = labels.NumPhones
	var lp []float32
	for _, name := range []string{"s", "s", "s", "z", "s", "s", "iy", "iy", "iy", "iy", "iy", "iy"} {
		p, _ := set.Index(name)
		row := make([]float32, n)
		for j := range row {
			row[j] = -6
			if j == p {
				row[j] = -0.1
			}
		}
		lp = append(lp, row...)
	}
	names := func(ps []int32) (out []string) {
		for _, p := range ps {
			out = append(out, set.Name(int(p)))
		}
		return out
	}
	fmt.Println("greedy: ", names(eval.GreedyPhones(nil, lp, n)))
	stats := eval.SyntheticDecoderStats(rand.New(rand.NewPCG(1, 2)))
	g, err := eval.NewPhoneLoop(stats, eval.DecoderWeights{PriorScale: 0.5, LMWeight: 1, InsertionPenalty: -3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("viterbi:", names(g.NewDecoder().Decode(nil, lp, n)))
	// Output:
	// greedy:  [s z s iy]
	// viterbi: [s iy]
}
