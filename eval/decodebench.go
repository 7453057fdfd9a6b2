package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/phoneme/phoneme/labels"
)

// SyntheticPosteriors returns the log-posteriors of a synthetic utterance
// of T frames over the 61 phones, shaped like a trained network's: a
// random phone sequence with durations of 2 to 14 frames, each frame's
// logits standard normal plus `sharpness` on its phone (3 gives a frame
// accuracy of roughly 60–70%, like the networks of the TIMIT sample). The
// phones are appended to ref, which is returned.
func SyntheticPosteriors(rng *rand.Rand, T int, sharpness float64, ref []int32) ([]float32, []int32) {
	const n = labels.NumPhones
	lp := make([]float32, T*n)
	phone, left := 0, 0
	for t := range T {
		if left == 0 {
			phone, left = rng.IntN(n), 2+rng.IntN(13)
			ref = append(ref, int32(phone))
		}
		left--
		row := lp[t*n : (t+1)*n]
		var z float64
		for j := range row {
			v := rng.NormFloat64()
			if j == phone {
				v += sharpness
			}
			row[j] = float32(v)
			z += math.Exp(v)
		}
		lz := float32(math.Log(z))
		for j := range row {
			row[j] -= lz
		}
	}
	return lp, ref
}

// SyntheticDecoderStats returns decoder statistics of a made-up training
// set shaped like TIMIT's: every phone seen, minimum durations of 1 to 4
// frames, mean durations two frames longer, and a sparse bigram.
func SyntheticDecoderStats(rng *rand.Rand) *DecoderStats {
	const n = labels.NumPhones
	st := &DecoderStats{
		Frames: make([]int64, n), Segments: make([]int64, n), RunFrames: make([]int64, n),
		MinFrames: make([]int, n), Start: make([]int64, n), End: make([]int64, n), Pairs: make([]int64, n*n),
	}
	for p := range n {
		st.MinFrames[p] = 1 + rng.IntN(4)
		st.Segments[p] = int64(10 + rng.IntN(200))
		st.RunFrames[p] = st.Segments[p] * int64(st.MinFrames[p]+2)
		st.Frames[p] = st.RunFrames[p]
		for range 8 {
			st.Pairs[p*n+rng.IntN(n)] += int64(1 + rng.IntN(20))
		}
	}
	st.Start[27], st.End[27] = 100, 100 // h#
	return st
}

// DecoderSpeed is the outcome of BenchDecoders: frames decoded per second
// on one core (median over rounds) by each decoder.
type DecoderSpeed struct {
	Greedy  float64 `json:"greedy_frames_per_sec"`
	Viterbi float64 `json:"viterbi_frames_per_sec"`
	Frames  int     `json:"frames"` // per round
	Rounds  int     `json:"rounds"`
}

// BenchDecoders measures greedy and Viterbi decoding (a phone loop of
// SyntheticDecoderStats, default weights) on synthetic 300-frame
// utterances (SyntheticPosteriors, sharpness 3) for about d in all, on one
// goroutine, and returns the median frames/s of each over several rounds:
// the figure for phoneme bench.
func BenchDecoders(d time.Duration, rng *rand.Rand) (DecoderSpeed, error) {
	g, err := NewPhoneLoop(SyntheticDecoderStats(rng), DefaultDecoderWeights())
	if err != nil {
		return DecoderSpeed{}, err
	}
	const utts, T = 20, 300
	lps := make([][]float32, utts)
	for i := range lps {
		lps[i], _ = SyntheticPosteriors(rng, T, 3, nil)
	}
	vd := g.NewDecoder()
	var phones []int32
	round := func(viterbi bool) float64 {
		start := time.Now()
		for _, lp := range lps {
			if viterbi {
				phones = vd.Decode(phones[:0], lp, labels.NumPhones)
			} else {
				phones = GreedyPhones(phones[:0], lp, labels.NumPhones)
			}
		}
		return float64(utts*T) / time.Since(start).Seconds()
	}
	var gs, vs []float64
	deadline := time.Now().Add(d)
	for len(vs) < 3 || time.Now().Before(deadline) {
		gs = append(gs, round(false))
		vs = append(vs, round(true))
		if len(vs) >= 1000 {
			break
		}
	}
	return DecoderSpeed{Greedy: median(gs), Viterbi: median(vs), Frames: utts * T, Rounds: len(vs)}, nil
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
