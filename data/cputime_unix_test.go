//go:build unix

package data

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used, so that
// BenchmarkExtract can report speed per CPU second, which stays meaningful
// on a machine shared with other work.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
