package tbptt

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// pool runs a function over job indices on a fixed set of goroutines and
// the caller's: one worker fewer than the cores it is given, because a
// polling goroutine beyond the cores takes time slices from those that
// work (on the shared 2-core machine, frame k2 = 1 at batch 32 fell from
// 180 k to 100–120 k frames/s with a polling worker per core).
//
// With an update per frame, a batch's jobs last tens of microseconds and
// come every hundred or so: handing them over by sleeping and waking
// goroutines (a futex call each way) took a tenth of the CPU time of
// `frame` at batch 32. So the caller runs job 0 itself, and both sides
// poll for up to spin before they sleep: a worker for its next job, the
// caller for the workers' last ones.
type pool struct {
	f    func(int)
	jobs chan int     // buffered: posting a job never waits
	left atomic.Int64 // jobs of the current run not yet finished
	wg   sync.WaitGroup
}

// spin is how long a goroutine of the pool polls before it sleeps:
// longer than the serial work between two updates (the gradient sum and
// the optimiser step, ≈ 20–40 µs for the reference network), short
// enough that an engine left idle stops burning a core at once.
const spin = 50 * time.Microsecond

func startPool(workers int, f func(int)) *pool {
	p := &pool{f: f, jobs: make(chan int, workers)}
	for range workers {
		go func() {
			for {
				b, ok := p.next()
				if !ok {
					return
				}
				f(b)
				p.left.Add(-1)
				p.wg.Done()
			}
		}()
	}
	return p
}

// next returns the next job (ok false once the pool is stopped), polling
// for up to spin before it sleeps on the queue.
func (p *pool) next() (b int, ok bool) {
	start := time.Now()
	for i := 0; i < 64 || time.Since(start) < spin; i++ {
		select {
		case b, ok = <-p.jobs:
			return b, ok
		default:
		}
		runtime.Gosched()
	}
	b, ok = <-p.jobs
	return b, ok
}

// run calls f(b) for 0 ≤ b < n, f(0) on the calling goroutine, and
// returns when all have returned.
func (p *pool) run(n int) {
	if n == 0 {
		return
	}
	if cap(p.jobs) == 0 { // no workers: one core
		for b := range n {
			p.f(b)
		}
		return
	}
	p.left.Store(int64(n - 1))
	p.wg.Add(n - 1)
	for b := 1; b < n; b++ {
		p.jobs <- b
	}
	p.f(0)
	start := time.Now()
	for i := 0; p.left.Load() > 0 && (i < 64 || time.Since(start) < spin); i++ {
		runtime.Gosched()
	}
	p.wg.Wait()
}

func (p *pool) stop() { close(p.jobs) }
