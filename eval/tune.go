package eval

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/lstm"
)

// LogPosteriors runs a checkpoint over every sentence of a split of raw
// features (checked and normalised as EvaluateModel does) and returns, per
// sentence, the log-posteriors of the outputs that describe a frame (those
// before the target delay dropped), row-major with lp's 61 columns.
func LogPosteriors(m *lstm.Model, md *lstm.Metadata, s *data.Split) ([][]float32, error) {
	if err := CheckModel("", m, md, s); err != nil {
		return nil, err
	}
	out := make([][]float32, len(s.Sentences))
	d := md.TargetDelay
	parallel(len(s.Sentences), func() func(i int) {
		var x features.Matrix
		return func(i int) {
			f := s.Sentences[i].Feats
			x.Rows, x.Cols = f.Rows, f.Cols
			x.Data = append(x.Data[:0], f.Data[:f.Rows*f.Cols]...)
			features.Normalize(&x, md.CMVNMean, md.CMVNStd)
			lp := m.LogProbs(&x)
			out[i] = lp.Data[min(d, lp.Rows)*lp.Cols:]
		}
	})
	return out, nil
}

// parallel calls the functions made by worker (one per goroutine, one
// goroutine per CPU) for i = 0…n−1.
func parallel(n int, worker func() func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do := worker()
			for i := range next {
				do(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// TuneGrid lists the values tried for each decoder weight.
type TuneGrid struct {
	PriorScale, LMWeight, InsertionPenalty []float64
}

// DefaultTuneGrid returns the grid of phoneme eval --tune-decoder: 5 prior
// scales × 6 LM weights × 10 insertion penalties, 300 points, each a full
// decode of the tuning split.
func DefaultTuneGrid() TuneGrid {
	return TuneGrid{
		PriorScale:       []float64{0, 0.25, 0.5, 0.75, 1},
		LMWeight:         []float64{0, 0.5, 1, 2, 3, 4},
		InsertionPenalty: []float64{-6, -4, -3, -2, -1, 0, 1, 2, 3, 4},
	}
}

// TunePoint is the outcome of one grid point.
type TunePoint struct {
	Weights DecoderWeights
	PER39   float64
	Edits   Edits // over 39 classes
}

// DecodePER decodes pre-computed log-posteriors (as LogPosteriors returns
// them) with dec and returns the PER-39 edits against refs (61-phone
// reference strings, one per utterance).
func DecodePER(lps [][]float32, refs [][]int32, dec Decoding) (Edits, error) {
	if err := dec.check(); err != nil {
		return Edits{}, err
	}
	if len(lps) != len(refs) {
		return Edits{}, fmt.Errorf("%d utterances of posteriors, %d references", len(lps), len(refs))
	}
	per := make([]Edits, len(lps))
	parallel(len(lps), func() func(int) {
		decode := dec.phoneDecoder()
		var phones, buf []int32
		return func(i int) {
			phones = decode(phones[:0], lps[i], 61)
			var sc PhoneScore
			sc, buf = ScorePhones(refs[i], phones, buf)
			per[i] = sc.Edits39
		}
	})
	var tot Edits
	for _, e := range per {
		tot = tot.Add(e)
	}
	return tot, nil
}

// TuneDecoder decodes the log-posteriors of a tuning split (dev) at every
// point of grid and returns the points in grid order and the index of the
// best: the lowest PER-39, ties going to the earlier point.
func TuneDecoder(st *DecoderStats, lps [][]float32, refs [][]int32, grid TuneGrid) ([]TunePoint, int, error) {
	var pts []TunePoint
	best := -1
	for _, a := range grid.PriorScale {
		for _, l := range grid.LMWeight {
			for _, b := range grid.InsertionPenalty {
				w := DecoderWeights{PriorScale: a, LMWeight: l, InsertionPenalty: b}
				g, err := NewPhoneLoop(st, w)
				if err != nil {
					return nil, 0, err
				}
				e, err := DecodePER(lps, refs, Decoding{Kind: Viterbi, Loop: g})
				if err != nil {
					return nil, 0, err
				}
				pts = append(pts, TunePoint{Weights: w, PER39: e.Rate(), Edits: e})
				if best < 0 || e.Rate() < pts[best].PER39 {
					best = len(pts) - 1
				}
			}
		}
	}
	if best < 0 {
		return nil, 0, fmt.Errorf("empty tuning grid")
	}
	return pts, best, nil
}
