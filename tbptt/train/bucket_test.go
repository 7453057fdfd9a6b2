package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/internal/synth"
	"github.com/phoneme/phoneme/lstm"
)

// timitLikeLengths returns n sentence lengths in frames drawn like
// TIMIT's: normal with the mean and deviation of the 120 utterances of
// the TIMIT sample (305 and 79 frames at a 10 ms shift), at least 100.
func timitLikeLengths(rng *rand.Rand, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = max(100, int(305+79*rng.NormFloat64()))
	}
	return out
}

// TestBucketOrder: bucketing is a permutation of the order, every group of
// a run holds sentences no longer than any of the previous group in sort
// order (before the groups are shuffled), the same seed gives the same
// order, and it cuts the idle share of batch-32 groups on TIMIT-like
// lengths from about 38 % to a few per cent.
func TestBucketOrder(t *testing.T) {
	lengths := timitLikeLengths(rand.New(rand.NewPCG(1, 1)), 3696)
	order := rand.New(rand.NewPCG(2, 2)).Perm(len(lengths))
	length := func(i int) int { return lengths[i] }
	ordered := func(o []int) []int {
		l := make([]int, len(o))
		for k, i := range o {
			l[k] = lengths[i]
		}
		return l
	}
	const batch, bucket = 32, 16
	sorted := slices.Clone(order)
	BucketOrder(sorted, length, batch, bucket, nil)
	for lo := 0; lo < len(sorted); lo += batch * bucket {
		w := ordered(sorted[lo:min(lo+batch*bucket, len(sorted))])
		if !slices.IsSortedFunc(w, func(a, b int) int { return b - a }) {
			t.Fatalf("run at %d is not longest first", lo)
		}
	}
	a, b := slices.Clone(order), slices.Clone(order)
	BucketOrder(a, length, batch, bucket, rand.New(rand.NewPCG(3, 3)))
	BucketOrder(b, length, batch, bucket, rand.New(rand.NewPCG(3, 3)))
	if !slices.Equal(a, b) {
		t.Error("the same seed gave two orders")
	}
	if p := slices.Sorted(slices.Values(a)); !slices.Equal(p, slices.Sorted(slices.Values(order))) {
		t.Fatal("bucketing is not a permutation")
	}
	if slices.Equal(a, sorted) {
		t.Error("the groups were not shuffled")
	}
	// Each group of a is a group of the unshuffled sort.
	groups := map[[batch]int]bool{}
	for g := 0; g+batch <= len(sorted); g += batch {
		groups[[batch]int(sorted[g:g+batch])] = true
	}
	for g := 0; g+batch <= len(a); g += batch {
		if !groups[[batch]int(a[g:g+batch])] {
			t.Fatalf("group at %d is not one of the sorted groups", g)
		}
	}
	before, after := IdleShare(ordered(order), batch), IdleShare(ordered(a), batch)
	t.Logf("idle share of batch-%d groups on TIMIT-like lengths: %.1f %% shuffled, %.1f %% bucketed by %d groups", batch, 100*before, 100*after, bucket)
	if before < 0.3 || after > 0.08 {
		t.Errorf("idle share %.3f shuffled, %.3f bucketed", before, after)
	}
}

// TestIdleShare: hand-counted cases.
func TestIdleShare(t *testing.T) {
	for _, c := range []struct {
		lengths []int
		batch   int
		want    float64
	}{
		{[]int{3, 5, 7}, 1, 0},
		{[]int{4, 4, 2, 2}, 2, 0},
		{[]int{4, 2}, 2, 2.0 / 8},
		{[]int{4, 2, 3}, 2, (2 + 3) / 14.0}, // the last group: one slot idle for 3 frames
		{nil, 4, 0},
	} {
		if got := IdleShare(c.lengths, c.batch); got != c.want {
			t.Errorf("IdleShare(%v, %d) = %v, want %v", c.lengths, c.batch, got, c.want)
		}
	}
}

// TestRunBucket: a bucketed run is recorded as such in its checkpoint's
// configuration, trains in another order than an unbucketed one (other
// weights), and resumes to the weights of an uninterrupted run, bit for bit.
func TestRunBucket(t *testing.T) {
	train, dev := synth.Split(31, 20, false), synth.Split(32, 4, false)
	c := smallConfig()
	c.Batch, c.Bucket, c.Epochs = 3, 2, 2
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.safetensors")
	if _, err := Run(context.Background(), c, train, dev, ref, Hooks{}); err != nil {
		t.Fatal(err)
	}
	_, md, err := lstm.Load(ref)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md.Training), `"bucket":2`) {
		t.Errorf("the checkpoint's configuration does not record the bucket: %s", md.Training)
	}
	plain := c
	plain.Bucket = 0
	other := filepath.Join(dir, "plain.safetensors")
	if _, err := Run(context.Background(), plain, train, dev, other, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if synth.SameBits(loadParams(t, LastPath(ref)), loadParams(t, LastPath(other))) == -1 {
		t.Error("bucketing changed nothing")
	}
	out := filepath.Join(dir, "run.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Run(ctx, c, train, dev, out, Hooks{Update: func(n int64) {
		if n == 5 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupt: %v", err)
	}
	c.Resume = true
	if _, err := Run(context.Background(), c, train, dev, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if i := synth.SameBits(loadParams(t, LastPath(ref)), loadParams(t, LastPath(out))); i != -1 {
		t.Fatalf("resumed weights differ at parameter %d", i)
	}
}
