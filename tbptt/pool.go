package tbptt

import (
	"runtime"
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
// `frame` at batch 32. So all of them, the caller included, take jobs
// from a shared counter until none is left, and the workers and the
// caller poll for up to spin before they sleep.
type pool struct {
	f       func(int)
	workers int
	wake    chan struct{} // a token per worker to wake; closed by stop
	done    chan struct{} // the run's last job has finished
	// ctr holds the run's generation (high 32 bits) and its next job (low
	// 32 bits), cur the generation and the number of jobs of the current
	// run, stored before ctr: a goroutine whose counter is of another
	// generation than cur's holds one of an earlier, finished run, all of
	// whose jobs were taken, and takes nothing.
	ctr, cur atomic.Int64
	left     atomic.Int64 // jobs of the current run not yet finished
}

// spin is how long a goroutine of the pool polls before it sleeps:
// longer than the serial work between two updates (the gradient sum and
// the optimiser step, ≈ 20–40 µs for the reference network), short
// enough that an engine left idle stops burning a core at once.
const spin = 50 * time.Microsecond

func startPool(workers int, f func(int)) *pool {
	p := &pool{f: f, workers: workers, wake: make(chan struct{}, workers), done: make(chan struct{}, 1)}
	for range workers {
		go func() {
			for p.await() {
				p.take()
			}
		}()
	}
	return p
}

// await waits for a wake-up token, polling for up to spin before it
// sleeps; false once the pool is stopped.
func (p *pool) await() bool {
	start := time.Now()
	for i := 0; i < 64 || time.Since(start) < spin; i++ {
		select {
		case _, ok := <-p.wake:
			return ok
		default:
		}
		runtime.Gosched()
	}
	_, ok := <-p.wake
	return ok
}

// take runs jobs of the current run until none is left to take.
func (p *pool) take() {
	const low = 1<<32 - 1
	for {
		c := p.ctr.Add(1) - 1
		cur := p.cur.Load()
		if c>>32 != cur>>32 || c&low >= cur&low {
			return
		}
		p.f(int(c & low))
		if p.left.Add(-1) == 0 {
			p.done <- struct{}{}
		}
	}
}

// run calls f(b) for 0 ≤ b < n, on the workers and the calling goroutine,
// and returns when all have returned.
func (p *pool) run(n int) {
	if n == 0 {
		return
	}
	gen := p.cur.Load()>>32 + 1
	p.left.Store(int64(n))
	p.cur.Store(gen<<32 | int64(n))
	p.ctr.Store(gen << 32)
	for range min(p.workers, n-1) {
		select {
		case p.wake <- struct{}{}:
		default: // every worker already has a token
		}
	}
	p.take()
	start := time.Now()
	for i := 0; p.left.Load() > 0 && (i < 64 || time.Since(start) < spin); i++ {
		runtime.Gosched()
	}
	<-p.done
}

func (p *pool) stop() { close(p.wake) }
