// Package lock gives one process at a time an output: an exclusive,
// advisory lock on a file beside it (flock on Unix), released when the
// process ends however it ends, so a killed run never leaves a stale lock.
// The lock file holds the owner's pid, for the message another process
// gets.
package lock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrLocked is returned (wrapped) when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// A Lock is held until Release.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the lock at path (created if need be) without waiting. If
// another process holds it, the error wraps ErrLocked and names its pid.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		owner := strings.TrimSpace(string(b[:n]))
		if _, perr := strconv.Atoi(owner); perr != nil || owner == "" {
			owner = "unknown"
		}
		return nil, fmt.Errorf("%s: %w (pid %s) writing to the same output", path, ErrLocked, owner)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// Release removes the lock file and releases the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Remove while still holding it, so no other process locks a file
	// that is about to disappear.
	rmErr := os.Remove(l.path)
	err := l.f.Close()
	l.f = nil
	if rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		return rmErr
	}
	return err
}
