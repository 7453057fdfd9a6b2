// Package atomicfile writes files so that nobody ever sees half of one: the
// data goes to a temporary file in the destination's folder, is synced,
// and is renamed over the destination only once complete. An interrupted
// or failed write leaves the previous file (or none) in place.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// File is a pending replacement of a file. Write to it, then Commit; Close
// without Commit discards it. Close after Commit is a no-op, so
// `defer f.Close()` is always safe.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing path. The temporary file is hidden (leading dot)
// and gets mode 0644 like a file made by os.Create under the usual umask,
// rather than CreateTemp's 0600: results and models are meant to be shared.
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{File: f, path: path}, nil
}

// Commit syncs the data and renames the file into place.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("write %s: already closed", f.path)
	}
	f.done = true
	err := f.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fault(f.path, err)
	}
	return nil
}

// Close discards the pending file unless it was committed.
func (f *File) Close() error {
	if f.done {
		return nil
	}
	f.done = true
	f.File.Close()
	return os.Remove(f.Name())
}

// fault names the destination rather than the temporary file: the user
// knows only the former.
func fault(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && strings.Contains(filepath.Base(pe.Path), ".tmp") {
		err = pe.Err
	}
	return fmt.Errorf("write %s: %w", path, err)
}

// WriteFile writes path through write (buffered) and commits it. Errors
// name the file.
func WriteFile(path string, write func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fault(path, err)
	}
	if err := bw.Flush(); err != nil {
		return fault(path, err)
	}
	return f.Commit()
}

// WriteBytes writes b to path and commits it.
func WriteBytes(path string, b []byte) error {
	return WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
