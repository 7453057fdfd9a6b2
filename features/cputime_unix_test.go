//go:build unix

package features

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used; benchmarks report
// speed per CPU second too, which stays meaningful on a machine shared with other work.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
