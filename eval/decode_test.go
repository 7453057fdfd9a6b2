package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// randomLoop builds a phone loop of len(minDur) phones with random scores
// (log-probability-like, so negative).
func randomLoop(r *rand.Rand, minDur []int) *PhoneLoop {
	g := newLoop(minDur)
	neg := func() float32 { return -3 * r.Float32() }
	for p := range g.phones {
		g.prior[p], g.selfLp[p], g.start[p], g.finish[p] = r.Float32()-0.5, neg(), neg(), neg()
	}
	for i := range g.trans {
		g.trans[i] = neg()
	}
	g.setColMax()
	return g
}

// bruteForce enumerates every path of g through T frames (every sequence
// of phones with durations of at least their minimum summing to T) and
// returns the best score and its runs.
func bruteForce(g *PhoneLoop, lp []float32, T int) (float64, []Run) {
	n := g.phones
	best, bestRuns := math.Inf(-1), []Run(nil)
	var rec func(runs []Run, t int, score float64)
	rec = func(runs []Run, t int, score float64) {
		if t == T {
			last := runs[len(runs)-1].Phone
			if s := score + float64(g.finish[last]); s > best {
				best, bestRuns = s, slices.Clone(runs)
			}
			return
		}
		for q := range n {
			for d := g.minDur[q]; t+d <= T; d++ {
				s := score
				if len(runs) == 0 {
					s += float64(g.start[q])
				} else {
					s += float64(g.trans[runs[len(runs)-1].Phone*n+q])
				}
				s += float64(d-g.minDur[q]) * float64(g.selfLp[q])
				for f := t; f < t+d; f++ {
					s += float64(lp[f*n+q] - g.prior[q])
				}
				rec(append(runs, Run{Phone: q, Start: t, End: t + d}), t+d, s)
			}
		}
	}
	rec(nil, 0, 0)
	return best, bestRuns
}

// TestViterbiBruteForce: on 3-phone loops and 6 frames the decoder finds
// the path that enumerating every path finds. Scores are sums of about 20
// float32 terms of magnitude < 5, so they agree to 1e-4; random scores
// make ties (where the two could pick different paths) improbable, and a
// tie would still show as equal scores.
func TestViterbiBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const T = 6
	for _, minDur := range [][]int{{1, 1, 1}, {1, 2, 3}, {2, 2, 2}, {3, 1, 2}, {4, 4, 1}} {
		for trial := range 200 {
			g := randomLoop(r, minDur)
			lp := make([]float32, T*3)
			for i := range lp {
				lp[i] = -4 * r.Float32()
			}
			want, wantRuns := bruteForce(g, lp, T)
			d := g.NewDecoder()
			got := d.DecodeRuns(nil, lp, 3)
			if math.Abs(float64(d.Score())-want) > 1e-4 {
				t.Fatalf("minDur %v trial %d: score %g, brute force %g", minDur, trial, d.Score(), want)
			}
			if !slices.Equal(got, wantRuns) {
				t.Errorf("minDur %v trial %d: path %v, brute force %v", minDur, trial, got, wantRuns)
			}
		}
	}
}

// TestViterbiNoPath: when no path fits (every minimum duration is longer
// than the utterance) the decoder falls back to greedy decoding.
func TestViterbiNoPath(t *testing.T) {
	g := randomLoop(rand.New(rand.NewPCG(3, 4)), []int{5, 6, 7})
	lp := []float32{-1, -0.1, -3, -0.2, -1, -3}
	d := g.NewDecoder()
	if got := d.Decode(nil, lp, 3); !slices.Equal(got, []int32{1, 0}) || !math.IsInf(float64(d.Score()), -1) {
		t.Errorf("got %v (score %g), want the greedy [1 0]", got, d.Score())
	}
}

// testStats are decoder statistics of a made-up training set: every phone
// seen, with minimum durations 1…4.
func testStats() *DecoderStats {
	const n = labels.NumPhones
	st := &DecoderStats{
		Frames: make([]int64, n), Segments: make([]int64, n), RunFrames: make([]int64, n),
		MinFrames: make([]int, n), Start: make([]int64, n), End: make([]int64, n), Pairs: make([]int64, n*n),
	}
	for p := range n {
		st.MinFrames[p] = 1 + p%4
		st.Segments[p] = int64(10 + p)
		st.RunFrames[p] = st.Segments[p] * int64(st.MinFrames[p]+2)
		st.Frames[p] = st.RunFrames[p]
		st.Pairs[p*n+(p*7+3)%n] = 5
		st.Pairs[p*n+(p+1)%n] = 2
	}
	st.Start[27], st.End[27] = 20, 20
	return st
}

// TestViterbiMinDuration: on the 61-phone loop with random posteriors,
// every decoded phone lasts at least its minimum duration and the runs
// tile the utterance.
func TestViterbiMinDuration(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	g, err := NewPhoneLoop(testStats(), DecoderWeights{PriorScale: 0.5, LMWeight: 1, InsertionPenalty: 2})
	if err != nil {
		t.Fatal(err)
	}
	d := g.NewDecoder()
	const n = labels.NumPhones
	for trial := range 20 {
		T := 20 + r.IntN(200)
		lp := randomLogProbs(r, T, n)
		runs := d.DecodeRuns(nil, lp, n)
		if len(runs) < 2 {
			t.Errorf("trial %d: %d runs; a positive insertion penalty should give many", trial, len(runs))
		}
		next := 0
		for _, ru := range runs {
			if ru.Start != next || ru.End-ru.Start < g.MinFrames(ru.Phone) {
				t.Fatalf("trial %d: run %+v (next frame %d, minimum %d)", trial, ru, next, g.MinFrames(ru.Phone))
			}
			next = ru.End
		}
		if next != T {
			t.Errorf("trial %d: runs end at %d of %d frames", trial, next, T)
		}
	}
}

// randomLogProbs returns T rows of normalised log-probabilities.
func randomLogProbs(r *rand.Rand, T, n int) []float32 {
	lp := make([]float32, T*n)
	for t := range T {
		row := lp[t*n : (t+1)*n]
		var z float64
		for j := range row {
			row[j] = float32(3 * r.NormFloat64())
			z += math.Exp(float64(row[j]))
		}
		for j := range row {
			row[j] -= float32(math.Log(z))
		}
	}
	return lp
}

// TestGreedyPhones: greedy decoding is the arg-max of every frame with
// repeats merged.
func TestGreedyPhones(t *testing.T) {
	lp := []float32{
		-1, -0.1, -3, // 1
		-2, -0.5, -1, // 1
		-0.1, -2, -3, // 0
		-3, -2, -0.1, // 2
		-3, -2, -0.2, // 2
		-0.3, -2, -1, // 0
	}
	if got := GreedyPhones([]int32{9}, lp, 3); !slices.Equal(got, []int32{9, 1, 0, 2, 0}) {
		t.Errorf("got %v", got)
	}
	r := rand.New(rand.NewPCG(7, 8))
	lp = randomLogProbs(r, 300, 61)
	want := Collapse(Decode(nil, lp, 61))
	if got := GreedyPhones(nil, lp, 61); !slices.Equal(got, want) {
		t.Errorf("greedy %v, collapse of arg-max %v", got, want)
	}
	var fromRuns []int32
	for _, ru := range greedyRuns(nil, lp, 61) {
		fromRuns = append(fromRuns, int32(ru.Phone))
	}
	if !slices.Equal(fromRuns, want) {
		t.Errorf("greedy runs give %v", fromRuns)
	}
}

func TestParseDecoderKind(t *testing.T) {
	for _, k := range []DecoderKind{Greedy, Viterbi} {
		if got, err := ParseDecoderKind(k.String()); err != nil || got != k {
			t.Errorf("%v: %v, %v", k, got, err)
		}
	}
	if _, err := ParseDecoderKind("beam"); err == nil || !strings.Contains(err.Error(), "greedy or viterbi") {
		t.Errorf("beam: %v", err)
	}
}

// BenchmarkViterbi measures the 61-phone decoder in frames per second on
// 300-frame utterances (a TIMIT sentence): random posteriors (every path
// competitive, the worst case) and posteriors shaped like a trained
// network's (SyntheticPosteriors).
func BenchmarkViterbi(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	const T = 300
	b.Run("random", func(b *testing.B) { benchViterbi(b, randomLogProbs(r, T, labels.NumPhones)) })
	lp, _ := SyntheticPosteriors(r, T, 3, nil)
	b.Run("trained", func(b *testing.B) { benchViterbi(b, lp) })
}

func benchViterbi(b *testing.B, lp []float32) {
	g, err := NewPhoneLoop(SyntheticDecoderStats(rand.New(rand.NewPCG(1, 1))), DefaultDecoderWeights())
	if err != nil {
		b.Fatal(err)
	}
	T := len(lp) / labels.NumPhones
	d := g.NewDecoder()
	var phones []int32
	b.ReportAllocs()
	for b.Loop() {
		phones = d.Decode(phones[:0], lp, labels.NumPhones)
	}
	b.ReportMetric(float64(b.N*T)/b.Elapsed().Seconds(), "frames/s")
}

// TestDecodedSegments: greedy segments are Classify's; Viterbi segments
// tile the described frames and respect the minimum durations.
func TestDecodedSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n, T, delay, shift = labels.NumPhones, 120, 2, 160
	lp, _ := SyntheticPosteriors(r, T, 3, nil)
	numSamples := (T-delay)*shift - 37 // the last frame's tail is cut
	c := &Classification{TargetDelay: delay, FrameShift: shift, LogProbs: &features.Matrix{Rows: T, Cols: n, Data: lp}}
	c.Decisions = Decode(nil, lp, n)
	c.Segments = Segments(c.Decisions, delay, shift, numSamples)
	got, err := DecodedSegments(c, Decoding{Kind: Greedy}, numSamples)
	if err != nil || !slices.Equal(got, c.Segments) {
		t.Errorf("greedy segments %v (%v), want %v", got, err, c.Segments)
	}
	g, err := NewPhoneLoop(SyntheticDecoderStats(r), DefaultDecoderWeights())
	if err != nil {
		t.Fatal(err)
	}
	vs, err := DecodedSegments(c, Decoding{Kind: Viterbi, Loop: g}, numSamples)
	if err != nil {
		t.Fatal(err)
	}
	next := 0
	for i, s := range vs {
		last := i == len(vs)-1
		if s.Start != next || (!last && s.End-s.Start < g.MinFrames(s.Phone)*shift) {
			t.Fatalf("segment %d %+v (expected start %d, minimum %d frames)", i, s, next, g.MinFrames(s.Phone))
		}
		next = s.End
	}
	if next != numSamples {
		t.Errorf("segments end at %d of %d samples", next, numSamples)
	}
	if _, err := DecodedSegments(c, Decoding{Kind: Viterbi}, numSamples); err == nil {
		t.Error("Viterbi without a phone loop accepted")
	}
}

// TestBenchDecoders: the speed measurement runs at least three rounds of
// each decoder and reports positive speeds (no target: timing belongs to
// benchmarks and phoneme bench).
func TestBenchDecoders(t *testing.T) {
	s, err := BenchDecoders(time.Millisecond, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if !(s.Greedy > 0) || !(s.Viterbi > 0) || s.Rounds < 3 || s.Frames != 6000 {
		t.Errorf("%+v", s)
	}
}
