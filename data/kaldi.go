package data

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/phoneme/phoneme/features"
)

// Kaldi binary table format, as written by Kaldi's TableWriter in binary
// mode (and by kaldiio):
//
//	entry   = key ' ' "\x00B" value
//	matrix  = "FM " int32(rows) int32(cols) float32 data, row-major
//	ivector = int32(n) n × int32          (BasicVectorHolder<int32>)
//	int32   = 0x04 then 4 bytes little endian (WriteBasicType: a size byte,
//	          positive for signed types, then the value)
//
// Entries follow each other with no separator. An .scp line "key path:offset"
// points at the "\x00B" marker of the entry, not at its key.

// binaryMarker opens every binary Kaldi object.
const binaryMarker = "\x00B"

// maxKeyLen bounds a table key; Kaldi keys are utterance ids, far shorter.
const maxKeyLen = 4096

// ArkWriter appends entries to a Kaldi binary archive and reports the offset
// of each, for the .scp file. It buffers; call Flush at the end.
type ArkWriter struct {
	w   *bufio.Writer
	off int64
	buf []byte
}

// NewArkWriter returns a writer that appends entries to w, which is assumed
// to be positioned at offset 0 of the archive.
func NewArkWriter(w io.Writer) *ArkWriter {
	return &ArkWriter{w: bufio.NewWriterSize(w, 1<<16)}
}

// Offset returns the number of bytes written so far.
func (a *ArkWriter) Offset() int64 { return a.off }

// checkKey rejects keys that Kaldi could not read back.
func checkKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("key of %d bytes is too long", len(key))
	}
	for _, r := range key {
		if unicode.IsSpace(r) || r < 0x20 || r == 0x7f {
			return fmt.Errorf("key %q contains white space or a control character", key)
		}
	}
	return nil
}

// header writes key, space and the binary marker, returning the marker's
// offset.
func (a *ArkWriter) header(key string) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	a.buf = append(a.buf[:0], key...)
	a.buf = append(a.buf, ' ')
	off := a.off + int64(len(a.buf))
	a.buf = append(a.buf, binaryMarker...)
	return off, nil
}

func appendInt32(b []byte, v int32) []byte {
	b = append(b, 4)
	return binary.LittleEndian.AppendUint32(b, uint32(v))
}

func (a *ArkWriter) flushBuf() error {
	n, err := a.w.Write(a.buf)
	a.off += int64(n)
	return err
}

// WriteMatrix appends m as a Kaldi float matrix ("FM") under key and returns
// the offset of its binary marker.
func (a *ArkWriter) WriteMatrix(key string, m *features.Matrix) (int64, error) {
	if m.Rows < 0 || m.Cols < 0 || m.Rows > math.MaxInt32 || m.Cols > math.MaxInt32 || len(m.Data) != m.Rows*m.Cols {
		return 0, fmt.Errorf("write matrix %q: bad shape %d×%d with %d values", key, m.Rows, m.Cols, len(m.Data))
	}
	off, err := a.header(key)
	if err != nil {
		return 0, fmt.Errorf("write matrix: %w", err)
	}
	a.buf = append(a.buf, "FM "...)
	a.buf = appendInt32(a.buf, int32(m.Rows))
	a.buf = appendInt32(a.buf, int32(m.Cols))
	for _, v := range m.Data {
		a.buf = binary.LittleEndian.AppendUint32(a.buf, math.Float32bits(v))
	}
	if err := a.flushBuf(); err != nil {
		return 0, fmt.Errorf("write matrix %q: %w", key, err)
	}
	return off, nil
}

// WriteInt32Vector appends v as a Kaldi int32 vector (the format of Kaldi's
// Int32VectorWriter, used for alignments) under key and returns the offset
// of its binary marker.
func (a *ArkWriter) WriteInt32Vector(key string, v []int32) (int64, error) {
	if len(v) > math.MaxInt32 {
		return 0, fmt.Errorf("write vector %q: %d elements is too many", key, len(v))
	}
	off, err := a.header(key)
	if err != nil {
		return 0, fmt.Errorf("write vector: %w", err)
	}
	a.buf = appendInt32(a.buf, int32(len(v)))
	for _, x := range v {
		a.buf = appendInt32(a.buf, x)
	}
	if err := a.flushBuf(); err != nil {
		return 0, fmt.Errorf("write vector %q: %w", key, err)
	}
	return off, nil
}

// Flush writes any buffered data to the underlying writer.
func (a *ArkWriter) Flush() error { return a.w.Flush() }

// ArkReader reads the entries of a Kaldi binary archive in order. Every size
// read from the archive is checked against the bytes that remain, so a
// corrupt or cut-short archive gives an error, never a huge allocation.
type ArkReader struct {
	r    *bufio.Reader
	left int64 // bytes not yet consumed
	key  string
	at   int64 // offset of the entry for ReadMatrixAt, else -1
	buf  []byte
}

// where names the current entry in errors.
func (a *ArkReader) where() string {
	if a.at >= 0 {
		return fmt.Sprintf("entry at offset %d", a.at)
	}
	return fmt.Sprintf("entry %q", a.key)
}

// NewArkReader returns a reader of the size bytes of archive r.
func NewArkReader(r io.Reader, size int64) *ArkReader {
	return newArkReader(r, size, 1<<16)
}

func newArkReader(r io.Reader, size int64, bufSize int) *ArkReader {
	return &ArkReader{r: bufio.NewReaderSize(io.LimitReader(r, size), bufSize), left: size, at: -1}
}

// Next reads the key of the next entry. It returns io.EOF at the clean end
// of the archive. Read the entry's value with ReadMatrix or ReadInt32Vector
// before calling Next again.
func (a *ArkReader) Next() (string, error) {
	// Kaldi reads keys with operator>>, which skips leading white space.
	for {
		c, err := a.r.ReadByte()
		if err == io.EOF {
			return "", io.EOF
		}
		if err != nil {
			return "", err
		}
		a.left--
		if !isSpace(c) {
			a.r.UnreadByte()
			a.left++
			break
		}
	}
	var key []byte
	for {
		c, err := a.r.ReadByte()
		if err == io.EOF {
			return "", fmt.Errorf("archive cut short in key %q", key)
		}
		if err != nil {
			return "", err
		}
		a.left--
		if c == ' ' {
			break
		}
		if c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("bad byte 0x%02x in key %q (not a Kaldi archive?)", c, key)
		}
		if len(key) >= maxKeyLen {
			return "", fmt.Errorf("key longer than %d bytes (not a Kaldi archive?)", maxKeyLen)
		}
		key = append(key, c)
	}
	if len(key) == 0 {
		return "", errors.New("empty key (not a Kaldi archive?)")
	}
	// The writer's rule, so that what is read writes back; it also refuses
	// Unicode spaces, which Kaldi would take as part of a key but which
	// split the key in the text files (scp, utt2spk, text) beside it.
	if err := checkKey(string(key)); err != nil {
		return "", err
	}
	a.key = string(key)
	return a.key, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// full reads exactly n bytes into the reader's scratch buffer, which the
// caller has already bounded against a.left.
func (a *ArkReader) full(n int, what string) ([]byte, error) {
	if int64(n) > a.left {
		return nil, fmt.Errorf("%s: archive cut short in %s (%d bytes needed, %d left)", a.where(), what, n, a.left)
	}
	if cap(a.buf) < n {
		a.buf = make([]byte, n)
	}
	b := a.buf[:n]
	if _, err := io.ReadFull(a.r, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: archive cut short in %s", a.where(), what)
		}
		return nil, fmt.Errorf("%s: %w", a.where(), err)
	}
	a.left -= int64(n)
	return b, nil
}

func (a *ArkReader) marker() error {
	b, err := a.full(2, "binary marker")
	if err != nil {
		return err
	}
	if string(b) != binaryMarker {
		return fmt.Errorf("%s is not in Kaldi binary format (text archives are not supported)", a.where())
	}
	return nil
}

func (a *ArkReader) int32(what string) (int32, error) {
	b, err := a.full(5, what)
	if err != nil {
		return 0, err
	}
	if b[0] != 4 {
		return 0, fmt.Errorf("%s: %s has size byte %d, want 4 (int32)", a.where(), what, int8(b[0]))
	}
	return int32(binary.LittleEndian.Uint32(b[1:])), nil
}

// token reads a Kaldi token: non-space bytes ended by one space.
func (a *ArkReader) token() (string, error) {
	var t []byte
	for {
		b, err := a.full(1, "type token")
		if err != nil {
			return "", err
		}
		if b[0] == ' ' {
			return string(t), nil
		}
		if len(t) >= 8 || b[0] < 0x20 || b[0] > 0x7e {
			return "", fmt.Errorf("%s: bad type token %q (not a float matrix)", a.where(), append(t, b[0]))
		}
		t = append(t, b[0])
	}
}

// ReadMatrix reads the value of the current entry as a float matrix. Kaldi
// float ("FM") and double ("DM", converted to float32) matrices are
// accepted; compressed matrices are not.
func (a *ArkReader) ReadMatrix() (*features.Matrix, error) { return a.readMatrix(nil) }

// readMatrix is ReadMatrix storing the values in dst when it has the
// capacity (a streaming reader reuses one buffer), else in a new slice.
func (a *ArkReader) readMatrix(dst []float32) (*features.Matrix, error) {
	if err := a.marker(); err != nil {
		return nil, err
	}
	tok, err := a.token()
	if err != nil {
		return nil, err
	}
	var width int64
	switch tok {
	case "FM":
		width = 4
	case "DM":
		width = 8
	case "CM", "CM2", "CM3":
		return nil, fmt.Errorf("%s is a compressed matrix (%s); convert it with Kaldi's copy-feats first", a.where(), tok)
	default:
		return nil, fmt.Errorf("%s: type %q is not a float matrix", a.where(), tok)
	}
	rows, err := a.int32("row count")
	if err != nil {
		return nil, err
	}
	cols, err := a.int32("column count")
	if err != nil {
		return nil, err
	}
	if rows < 0 || cols < 0 {
		return nil, fmt.Errorf("%s: negative matrix size %d×%d", a.where(), rows, cols)
	}
	if (rows == 0) != (cols == 0) {
		// Kaldi stores every empty matrix as 0×0.
		return nil, fmt.Errorf("%s: bad matrix size %d×%d", a.where(), rows, cols)
	}
	// Compare by division: rows·cols·width can overflow int64.
	if cols > 0 && int64(rows) > a.left/(int64(cols)*width) {
		return nil, fmt.Errorf("%s: %d×%d matrix needs %d bytes per row, only %d left (archive cut short?)", a.where(), rows, cols, int64(cols)*width, a.left)
	}
	n := int(rows) * int(cols)
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	m := &features.Matrix{Rows: int(rows), Cols: int(cols), Data: dst[:n]}
	// Read a row at a time so the scratch buffer stays small.
	for r := 0; r < m.Rows; r++ {
		b, err := a.full(m.Cols*int(width), "matrix data")
		if err != nil {
			return nil, err
		}
		row := m.Data[r*m.Cols : (r+1)*m.Cols]
		if width == 4 {
			for i := range row {
				row[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		} else {
			for i := range row {
				row[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
			}
		}
	}
	return m, nil
}

// ReadInt32Vector reads the value of the current entry as an int32 vector.
func (a *ArkReader) ReadInt32Vector() ([]int32, error) {
	if err := a.marker(); err != nil {
		return nil, err
	}
	n, err := a.int32("vector length")
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("%s: negative vector length %d", a.where(), n)
	}
	if int64(n)*5 > a.left {
		return nil, fmt.Errorf("%s: vector of %d needs %d bytes, only %d left (archive cut short?)", a.where(), n, int64(n)*5, a.left)
	}
	v := make([]int32, n)
	b, err := a.full(int(n)*5, "vector data")
	if err != nil {
		return nil, err
	}
	for i := range v {
		e := b[5*i:]
		if e[0] != 4 {
			return nil, fmt.Errorf("%s: element %d has size byte %d, want 4 (int32)", a.where(), i, int8(e[0]))
		}
		v[i] = int32(binary.LittleEndian.Uint32(e[1:]))
	}
	return v, nil
}

// ReadMatrixAt reads the matrix whose binary marker is at offset off of an
// archive of size bytes, as a .scp entry points to it.
func ReadMatrixAt(r io.ReaderAt, size, off int64) (*features.Matrix, error) {
	return readMatrixAt(r, size, off, nil)
}

// readMatrixAt is ReadMatrixAt storing the values in dst when it has the
// capacity.
func readMatrixAt(r io.ReaderAt, size, off int64, dst []float32) (*features.Matrix, error) {
	if off < 0 || off >= size {
		return nil, fmt.Errorf("offset %d outside the archive (%d bytes)", off, size)
	}
	// A small buffer: one reader is made per entry.
	a := newArkReader(io.NewSectionReader(r, off, size-off), size-off, 4096)
	a.at = off
	return a.readMatrix(dst)
}

// ScpEntry is one line of a Kaldi .scp file: the value of Key is the archive
// entry whose binary marker is at byte Offset of the file Path.
type ScpEntry struct {
	Key    string
	Path   string
	Offset int64
}

// String formats e as an .scp line without the newline.
func (e ScpEntry) String() string {
	return e.Key + " " + e.Path + ":" + strconv.FormatInt(e.Offset, 10)
}

// ReadScp parses a Kaldi .scp file of "key path:offset" lines. Pipes, range
// specifiers and entries without an offset are rejected; so are duplicate
// keys. Errors carry the 1-based line number.
func ReadScp(r io.Reader) ([]ScpEntry, error) {
	var out []ScpEntry
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		key, rx, ok := strings.Cut(strings.TrimLeft(text, " \t"), " ")
		rx = strings.TrimSpace(rx)
		if !ok || rx == "" {
			return nil, fmt.Errorf("line %d: want \"key path:offset\", got %q", line, text)
		}
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("line %d: duplicate key %q", line, key)
		}
		seen[key] = true
		if strings.HasSuffix(rx, "|") || strings.HasSuffix(rx, "]") {
			return nil, fmt.Errorf("line %d: %q: pipes and ranges are not supported", line, rx)
		}
		i := strings.LastIndexByte(rx, ':')
		if i <= 0 {
			return nil, fmt.Errorf("line %d: %q has no :offset", line, rx)
		}
		off, err := strconv.ParseInt(rx[i+1:], 10, 64)
		if err != nil || off < 0 || !isDigits(rx[i+1:]) {
			return nil, fmt.Errorf("line %d: bad offset %q", line, rx[i+1:])
		}
		out = append(out, ScpEntry{Key: key, Path: rx[:i], Offset: off})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// readPairs parses a Kaldi two-column text table ("utt spk" per line, as in
// utt2spk). Duplicate first columns are an error; errors carry line numbers.
func readPairs(r io.Reader) ([][2]string, error) {
	var out [][2]string
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want two fields, got %d", line, len(f))
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("line %d: duplicate key %q", line, f[0])
		}
		seen[f[0]] = true
		out = append(out, [2]string{f[0], f[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
