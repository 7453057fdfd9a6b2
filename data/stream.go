package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"

	"github.com/phoneme/phoneme/features"
)

// OpenSplit opens the split folder dir written by Extract for streaming:
// it reads and checks everything exactly as LoadSplit does (every matrix
// is read once, through one reused buffer), keeps the speakers, each
// utterance's archive offset and its labels (a byte a frame, in
// Archives), and leaves the features in feats.ark. The returned split's
// Archives reads sentence i's features when they are needed; each
// sentence's Feats holds only its shape and its Labels are nil
// (Archives.Labels). Memory is then one byte per frame instead of 4 per
// feature and 4 per label. Close the split's Archives when done.
func OpenSplit(dir string) (*Split, error) { return loadSplit(dir, false) }

// Archives reads the features of an opened split's sentences from their
// Kaldi archives by offset. Read may be called from several goroutines at
// once (they take turns); Close must not run during a Read.
type Archives struct {
	files []arkFile
	src   []arkEntry // per sentence of the split, in its order
	dim   int
	scp   string

	mu      sync.Mutex
	scratch []byte // the bytes of the entry being read
}

type arkFile struct {
	f    *os.File
	path string
	size int64
}

type arkEntry struct {
	file   int
	key    string
	off    int64
	rows   int
	labels []int8 // checked: TIMIT61 indices or labels.Excluded
}

// Read reads the raw features of the split's sentence i into dst, reusing
// dst.Data when it has the capacity, and checks them again as OpenSplit
// did (the key at the offset, the shape, finite values): an archive
// changed since it was opened gives an error naming it, never other
// numbers.
func (a *Archives) Read(i int, dst *features.Matrix) error {
	if i < 0 || i >= len(a.src) {
		return fmt.Errorf("%s: no sentence %d (%d in the split)", a.scp, i, len(a.src))
	}
	e := a.src[i]
	af := a.files[e.file]
	if af.f == nil {
		return fmt.Errorf("%s: read utterance %s: %w", af.path, e.key, os.ErrClosed)
	}
	a.mu.Lock()
	m, scratch, err := readEntry(af.f, af.size, ScpEntry{Key: e.key, Path: af.path, Offset: e.off}, dst.Data, a.scratch)
	a.scratch = scratch
	a.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", af.path, err)
	}
	if m.Rows != e.rows || m.Cols != a.dim {
		return fmt.Errorf("%s: utterance %s: %d×%d features, %d×%d when the split was opened (the archive changed)", af.path, e.key, m.Rows, m.Cols, e.rows, a.dim)
	}
	for j, v := range m.Data {
		if !finite(v) {
			return fmt.Errorf("%s: utterance %s: non-finite feature %g at frame %d, dim %d", af.path, e.key, v, j/m.Cols, j%m.Cols)
		}
	}
	*dst = *m
	return nil
}

// Labels returns the labels of the split's sentence i (TIMIT61 indices or
// labels.Excluded, one per frame) in dst, grown if it is too short.
func (a *Archives) Labels(i int, dst []int32) []int32 {
	l := a.src[i].labels
	if cap(dst) < len(l) {
		dst = make([]int32, len(l))
	}
	dst = dst[:len(l)]
	for t, y := range l {
		dst[t] = int32(y)
	}
	return dst
}

// Close closes the archives; later Reads fail.
func (a *Archives) Close() error {
	var errs []error
	for i := range a.files {
		if a.files[i].f != nil {
			errs = append(errs, a.files[i].f.Close())
			a.files[i].f = nil
		}
	}
	return errors.Join(errs...)
}

// entryHead is the size of a float matrix entry's header after its key:
// the binary marker, "FM ", and two int32 sizes each after a size byte.
const entryHead = 2 + 3 + 5 + 5

// readEntry is readMatrixEntry with two reads (key and header, then the
// values) into scratch, returned grown, and no allocation in steady state:
// streaming reads every utterance once or more per epoch. Anything
// unusual (another matrix type, a size that does not fit the archive, a
// short read) goes to readMatrixEntry, whose error says what is wrong.
func readEntry(f io.ReaderAt, size int64, e ScpEntry, dst []float32, scratch []byte) (*features.Matrix, []byte, error) {
	k := int64(len(e.Key)) + 1
	careful := func() (*features.Matrix, []byte, error) {
		m, err := readMatrixEntry(f, size, e, dst)
		return m, scratch, err
	}
	if e.Offset < k || e.Offset+entryHead > size {
		return careful()
	}
	scratch = growBytes(scratch, int(k)+entryHead)
	if _, err := f.ReadAt(scratch, e.Offset-k); err != nil {
		return careful()
	}
	h := scratch[k:]
	if string(scratch[:k-1]) != e.Key || scratch[k-1] != ' ' || string(h[:5]) != binaryMarker+"FM " || h[5] != 4 || h[10] != 4 {
		return careful()
	}
	rows, cols := int64(int32(binary.LittleEndian.Uint32(h[6:]))), int64(int32(binary.LittleEndian.Uint32(h[11:])))
	left := size - e.Offset - entryHead
	if rows <= 0 || cols <= 0 || rows > left/(4*cols) {
		return careful()
	}
	n := int(rows * cols)
	scratch = growBytes(scratch, 4*n)
	if _, err := f.ReadAt(scratch, e.Offset+entryHead); err != nil {
		return careful()
	}
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(scratch[4*i:]))
	}
	return &features.Matrix{Rows: int(rows), Cols: int(cols), Data: dst}, scratch, nil
}

func growBytes(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]byte, n, n+n/4)
}
