package tbptt

import (
	"sync/atomic"
	"testing"
)

// TestPool: every job of every run is done exactly once, whatever the
// number of workers (none: the caller alone) and of jobs per run, over
// runs close enough together that workers from one still look for jobs
// when the next starts.
func TestPool(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3} {
		var counts [40]atomic.Int32
		p := startPool(workers, func(i int) { counts[i].Add(1) })
		for r := range 2000 {
			n := r % len(counts)
			p.run(n)
			for i := range counts {
				want := int32(0)
				if i < n {
					want = 1
				}
				if got := counts[i].Swap(0); got != want {
					t.Fatalf("%d workers, run %d of %d jobs: job %d done %d times", workers, r, n, i, got)
				}
			}
		}
		p.stop()
	}
}
