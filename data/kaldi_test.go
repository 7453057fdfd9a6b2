package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/features"
)

func mat(rows, cols int, vals ...float32) *features.Matrix {
	m := features.NewMatrix(rows, cols)
	copy(m.Data, vals)
	return m
}

// TestArkByteLayout checks the writers against Kaldi's binary table format
// built by hand from its definition (kaldi-holder-inl.h, io-funcs-inl.h):
// key, space, "\0B", then for a matrix the token "FM " and the sizes as
// WriteBasicType writes an int32 (size byte 4, 4 bytes little endian), then
// the float32 data; for an int32 vector (BasicVectorHolder) the length and
// then every element as WriteBasicType, each with its own size byte.
func TestArkByteLayout(t *testing.T) {
	le := binary.LittleEndian
	var want []byte
	want = append(want, "utt1 \x00BFM "...)
	want = append(want, 4, 2, 0, 0, 0, 4, 3, 0, 0, 0)
	for _, v := range []float32{1, 2, 3, -4, 0.5, 1e-3} {
		want = le.AppendUint32(want, math.Float32bits(v))
	}
	vecAt := len(want)
	want = append(want, "utt1 \x00B"...)
	want = append(want, 4, 3, 0, 0, 0, 4, 5, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff, 4, 60, 0, 0, 0)

	var buf bytes.Buffer
	a := NewArkWriter(&buf)
	off1, err := a.WriteMatrix("utt1", mat(2, 3, 1, 2, 3, -4, 0.5, 1e-3))
	if err != nil {
		t.Fatal(err)
	}
	off2, err := a.WriteInt32Vector("utt1", []int32{5, -1, 60})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("archive bytes\n got %q\nwant %q", buf.Bytes(), want)
	}
	// The .scp offset points at the binary marker, after "utt1 ".
	if off1 != 5 || off2 != int64(vecAt)+5 {
		t.Errorf("offsets %d, %d; want 5, %d", off1, off2, vecAt+5)
	}
	if a.Offset() != int64(len(want)) {
		t.Errorf("Offset() = %d, want %d", a.Offset(), len(want))
	}
}

func TestArkRoundTrip(t *testing.T) {
	mats := []*features.Matrix{
		mat(0, 0),
		mat(1, 1, float32(math.Inf(-1))),
		mat(3, 2, 1, 2, 3, 4, 5, float32(math.NaN())),
		mat(40, 39),
	}
	for i := range mats[3].Data {
		mats[3].Data[i] = float32(i) * 0.37
	}
	vecs := [][]int32{{}, {-1}, {0, 1, 60, -1, math.MaxInt32, math.MinInt32}}

	var fb, vb bytes.Buffer
	fw, vw := NewArkWriter(&fb), NewArkWriter(&vb)
	var offs []int64
	for i, m := range mats {
		off, err := fw.WriteMatrix(fmt.Sprintf("u%d", i), m)
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, off)
	}
	for i, v := range vecs {
		if _, err := vw.WriteInt32Vector(fmt.Sprintf("u%d", i), v); err != nil {
			t.Fatal(err)
		}
	}
	fw.Flush()
	vw.Flush()

	// Sequential reading; bit-exact, NaN included.
	r := NewArkReader(bytes.NewReader(fb.Bytes()), int64(fb.Len()))
	for i, m := range mats {
		key, err := r.Next()
		if err != nil || key != fmt.Sprintf("u%d", i) {
			t.Fatalf("entry %d: key %q, %v", i, key, err)
		}
		got, err := r.ReadMatrix()
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(got, m) {
			t.Errorf("matrix %d: got %v, want %v", i, got, m)
		}
		// Random access through the offset, as feats.scp does.
		got, err = ReadMatrixAt(bytes.NewReader(fb.Bytes()), int64(fb.Len()), offs[i])
		if err != nil || !sameBits(got, m) {
			t.Errorf("ReadMatrixAt %d: %v, %v", i, got, err)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last entry: %v, want io.EOF", err)
	}
	vr := NewArkReader(bytes.NewReader(vb.Bytes()), int64(vb.Len()))
	for i, v := range vecs {
		if _, err := vr.Next(); err != nil {
			t.Fatal(err)
		}
		got, err := vr.ReadInt32Vector()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(v) || (len(v) > 0 && !reflect.DeepEqual(got, v)) {
			t.Errorf("vector %d: got %v, want %v", i, got, v)
		}
	}
}

func sameBits(a, b *features.Matrix) bool {
	if a.Rows != b.Rows || a.Cols != b.Cols || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
			return false
		}
	}
	return true
}

// TestArkCutShort cuts a valid archive at every byte: a cut between entries
// reads as a shorter archive; a cut inside an entry is an error saying so.
func TestArkCutShort(t *testing.T) {
	var fb, vb bytes.Buffer
	fw, vw := NewArkWriter(&fb), NewArkWriter(&vb)
	bounds := map[string]map[int]bool{"matrix": {0: true}, "vector": {0: true}}
	for i := range 3 {
		fw.WriteMatrix(fmt.Sprintf("utt%d", i), mat(2, 3, 1, 2, 3, 4, 5, 6))
		vw.WriteInt32Vector(fmt.Sprintf("utt%d", i), []int32{1, 2, 3})
		bounds["matrix"][int(fw.Offset())] = true
		bounds["vector"][int(vw.Offset())] = true
	}
	fw.Flush()
	vw.Flush()
	for kind, full := range map[string][]byte{"matrix": fb.Bytes(), "vector": vb.Bytes()} {
		for n := 0; n <= len(full); n++ {
			r := NewArkReader(bytes.NewReader(full[:n]), int64(n))
			var err error
			for {
				if _, err = r.Next(); err != nil {
					break
				}
				if kind == "matrix" {
					_, err = r.ReadMatrix()
				} else {
					_, err = r.ReadInt32Vector()
				}
				if err != nil {
					break
				}
			}
			if bounds[kind][n] {
				if err != io.EOF {
					t.Errorf("%s archive cut at entry boundary %d: %v, want io.EOF", kind, n, err)
				}
				continue
			}
			if err == nil || err == io.EOF || !strings.Contains(err.Error(), "cut short") {
				t.Errorf("%s archive cut at %d of %d: error %v, want one saying it is cut short", kind, n, len(full), err)
			}
		}
	}
}

func TestArkReaderRejects(t *testing.T) {
	i32 := func(v int32) string {
		return "\x04" + string(binary.LittleEndian.AppendUint32(nil, uint32(v)))
	}
	tests := []struct {
		name, ark, want string
		vector          bool
	}{
		{"text archive", "utt [ 1 2 3 ]\n", "not in Kaldi binary format", false},
		{"compressed", "utt \x00BCM " + strings.Repeat("\x00", 30), "compressed", false},
		{"int vector as matrix", "utt \x00B" + i32(1) + i32(7), "not a float matrix", false},
		{"negative rows", "utt \x00BFM " + i32(-2) + i32(3), "negative", false},
		{"huge matrix", "utt \x00BFM " + i32(1<<30) + i32(1<<30), "cut short", false},
		{"wrong size byte", "utt \x00BFM \x08" + strings.Repeat("\x00", 12), "size byte 8", false},
		{"negative length", "utt \x00B" + i32(-5), "negative", true},
		{"huge vector", "utt \x00B" + i32(1<<30), "cut short", true},
		{"element size byte", "utt \x00B" + i32(1) + "\x02\x01\x00", "cut short", true},
		{"element size byte 2", "utt \x00B" + i32(1) + "\x02\x01\x00\x00\x00", "size byte 2", true},
		{"control byte in key", "ut\x01t \x00B", "bad byte", true},
		{"key without value", "utt", "cut short in key", true},
		{"empty key", " \x00B", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewArkReader(strings.NewReader(tc.ark), int64(len(tc.ark)))
			_, err := r.Next()
			if err == nil {
				if tc.vector {
					_, err = r.ReadInt32Vector()
				} else {
					_, err = r.ReadMatrix()
				}
			}
			if err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestArkWriterRejects(t *testing.T) {
	a := NewArkWriter(io.Discard)
	for _, key := range []string{"", "a b", "a\nb", "tab\t"} {
		if _, err := a.WriteMatrix(key, mat(1, 1)); err == nil {
			t.Errorf("key %q accepted", key)
		}
	}
	if _, err := a.WriteMatrix("k", &features.Matrix{Rows: 2, Cols: 2, Data: make([]float32, 3)}); err == nil {
		t.Error("inconsistent matrix accepted")
	}
}

func TestReadScp(t *testing.T) {
	tests := []struct {
		name, in string
		want     []ScpEntry
		err      string
	}{
		{"kaldi lines", "a /x/feats.ark:5\nb rel/f.ark:1234\r\n\n", []ScpEntry{{"a", "/x/feats.ark", 5}, {"b", "rel/f.ark", 1234}}, ""},
		{"colon in path", "a c:/x/f.ark:7\n", []ScpEntry{{"a", "c:/x/f.ark", 7}}, ""},
		{"empty", "", nil, ""},
		{"no offset", "a /x/feats.ark\n", nil, "line 1: \"/x/feats.ark\" has no :offset"},
		{"bad offset", "a f.ark:-3\n", nil, "bad offset"},
		{"plus offset", "a f.ark:+3\n", nil, "bad offset"},
		{"pipe", "a gunzip -c f.gz |\n", nil, "pipes"},
		{"range", "a f.ark:5[0:3]\n", nil, "ranges"},
		{"one field", "a\n", nil, "line 1"},
		{"duplicate", "a f:1\na f:2\n", nil, "line 2: duplicate key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadScp(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			for _, e := range got {
				back, err := ReadScp(strings.NewReader(e.String()))
				if err != nil || back[0] != e {
					t.Errorf("String round trip of %v: %v, %v", e, back, err)
				}
			}
		})
	}
}

// readAll reads every entry of an archive, as matrices or vectors.
func readAll(b []byte, vectors bool) (keys []string, ms []*features.Matrix, vs [][]int32, err error) {
	r := NewArkReader(bytes.NewReader(b), int64(len(b)))
	for {
		k, err := r.Next()
		if err == io.EOF {
			return keys, ms, vs, nil
		}
		if err != nil {
			return nil, nil, nil, err
		}
		keys = append(keys, k)
		if vectors {
			v, err := r.ReadInt32Vector()
			if err != nil {
				return nil, nil, nil, err
			}
			vs = append(vs, v)
		} else {
			m, err := r.ReadMatrix()
			if err != nil {
				return nil, nil, nil, err
			}
			ms = append(ms, m)
		}
	}
}

// FuzzReadMatrix: the matrix archive reader never panics, and whatever it
// accepts writes back and reads again to the same values.
func FuzzReadMatrix(f *testing.F) {
	var b bytes.Buffer
	w := NewArkWriter(&b)
	w.WriteMatrix("utt1", mat(2, 3, 1, 2, 3, 4, 5, 6))
	w.WriteMatrix("utt2", mat(0, 0))
	w.Flush()
	f.Add(b.Bytes())
	f.Add([]byte("a \x00BDM \x04\x01\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f"))
	f.Add([]byte("a \x00BFM \x04\xff\xff\xff\x7f\x04\xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, in []byte) {
		keys, ms, _, err := readAll(in, false)
		if err != nil {
			return
		}
		var out bytes.Buffer
		w := NewArkWriter(&out)
		for i, k := range keys {
			if _, err := w.WriteMatrix(k, ms[i]); err != nil {
				t.Fatalf("accepted entry %q does not write back: %v", k, err)
			}
		}
		w.Flush()
		keys2, ms2, _, err := readAll(out.Bytes(), false)
		if err != nil || !reflect.DeepEqual(keys, keys2) {
			t.Fatalf("round trip: %v, keys %v vs %v", err, keys, keys2)
		}
		for i := range ms {
			if !sameBits(ms[i], ms2[i]) {
				t.Fatalf("round trip changed matrix %q", keys[i])
			}
		}
	})
}

// FuzzReadInt32Vector: the int32 vector archive reader never panics, and
// what it accepts round-trips byte for byte after normalising the spacing.
func FuzzReadInt32Vector(f *testing.F) {
	var b bytes.Buffer
	w := NewArkWriter(&b)
	w.WriteInt32Vector("utt1", []int32{1, -1, 60})
	w.WriteInt32Vector("utt2", nil)
	w.Flush()
	f.Add(b.Bytes())
	f.Add([]byte("a \x00B\x04\xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, in []byte) {
		keys, _, vs, err := readAll(in, true)
		if err != nil {
			return
		}
		var out bytes.Buffer
		w := NewArkWriter(&out)
		for i, k := range keys {
			if _, err := w.WriteInt32Vector(k, vs[i]); err != nil {
				t.Fatalf("accepted entry %q does not write back: %v", k, err)
			}
		}
		w.Flush()
		keys2, _, vs2, err := readAll(out.Bytes(), true)
		if err != nil || !reflect.DeepEqual(keys, keys2) || len(vs) != len(vs2) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range vs {
			if len(vs[i]) != len(vs2[i]) || (len(vs[i]) > 0 && !reflect.DeepEqual(vs[i], vs2[i])) {
				t.Fatalf("round trip changed vector %q", keys[i])
			}
		}
	})
}

// FuzzReadScp: the .scp parser never panics and its entries format back to
// lines that parse to the same entries.
func FuzzReadScp(f *testing.F) {
	f.Add("a /x/feats.ark:5\nb rel/f.ark:1234\n")
	f.Add("a c:/x:7\r\n\n b f:0")
	f.Fuzz(func(t *testing.T, in string) {
		es, err := ReadScp(strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		for _, e := range es {
			b.WriteString(e.String() + "\n")
		}
		back, err := ReadScp(strings.NewReader(b.String()))
		if err != nil || len(back) != len(es) {
			t.Fatalf("re-read of %q: %v", b.String(), err)
		}
		for i := range es {
			if es[i] != back[i] {
				t.Fatalf("entry %d: %v became %v", i, es[i], back[i])
			}
		}
	})
}

// FuzzReadPairs: the utt2spk parser never panics and yields two non-empty
// fields per entry with unique keys.
func FuzzReadPairs(f *testing.F) {
	f.Add("fvmh0_si1466 fvmh0\nmcpm0_sa1 mcpm0\n")
	f.Add("a b c\n")
	f.Fuzz(func(t *testing.T, in string) {
		ps, err := readPairs(strings.NewReader(in))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if p[0] == "" || p[1] == "" || seen[p[0]] {
				t.Fatalf("bad pair %q", p)
			}
			seen[p[0]] = true
		}
	})
}

func ExampleArkWriter() {
	var ark bytes.Buffer
	w := NewArkWriter(&ark)
	m := features.NewMatrix(2, 3)
	copy(m.Data, []float32{1, 2, 3, 4, 5, 6})
	off, _ := w.WriteMatrix("fvmh0_si1466", m)
	w.Flush()
	fmt.Println(ScpEntry{Key: "fvmh0_si1466", Path: "feats.ark", Offset: off})

	r := NewArkReader(bytes.NewReader(ark.Bytes()), int64(ark.Len()))
	key, _ := r.Next()
	back, _ := r.ReadMatrix()
	fmt.Println(key, back.Rows, back.Cols, back.Row(1))
	// Output:
	// fvmh0_si1466 feats.ark:13
	// fvmh0_si1466 2 3 [4 5 6]
}

// TestArkWriterDiskFull: a full disk surfaces as an error from the write or
// the final Flush, never silently (Linux's /dev/full fails every write with
// ENOSPC).
func TestArkWriterDiskFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full on this system")
	}
	defer f.Close()
	a := NewArkWriter(f)
	m := features.NewMatrix(300, 39) // larger than the write buffer
	_, err = a.WriteMatrix("utt", m)
	if err == nil {
		err = a.Flush()
	}
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("writing to a full disk: %v", err)
	}
}
