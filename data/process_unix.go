//go:build unix

package data

import (
	"errors"
	"syscall"
)

// processGone reports whether no process with this id exists: signal 0
// checks without sending anything, and only ESRCH means none (EPERM is a
// live process of another user).
func processGone(pid int) bool {
	return pid > 0 && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
