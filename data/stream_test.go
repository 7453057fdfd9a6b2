package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/features"
)

// TestOpenSplitReadsWhatLoadSplitLoads: a streamed split has the loaded
// split's sentences (IDs, speakers, labels, shapes) without their values,
// and Archives.Read gives every matrix bit for bit, reusing one buffer, and
// Archives.Labels every label list.
func TestOpenSplitReadsWhatLoadSplitLoads(t *testing.T) {
	out, _ := extractTo(t, testCorpus(), ExtractOptions{})
	dir := filepath.Join(out, Train)
	want, err := LoadSplit(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenSplit(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Archives.Close()
	if want.Archives != nil || got.Archives == nil {
		t.Fatalf("Archives: loaded %v, opened %v", want.Archives, got.Archives)
	}
	if !reflect.DeepEqual(got.Manifest, want.Manifest) || len(got.Sentences) != len(want.Sentences) || got.Frames() != want.Frames() {
		t.Fatalf("opened split differs: %d sentences, %d frames; loaded %d, %d", len(got.Sentences), got.Frames(), len(want.Sentences), want.Frames())
	}
	var m features.Matrix
	// Backwards, so that a read cannot lean on the previous one's position.
	for i := len(want.Sentences) - 1; i >= 0; i-- {
		w, g := want.Sentences[i], got.Sentences[i]
		if g.ID != w.ID || g.Speaker != w.Speaker || g.Labels != nil || !slices.Equal(got.Archives.Labels(i, nil), w.Labels) ||
			g.Feats.Rows != w.Feats.Rows || g.Feats.Cols != w.Feats.Cols || g.Feats.Data != nil {
			t.Fatalf("sentence %d: %s/%s %d×%d, loaded %s/%s %d×%d", i, g.ID, g.Speaker, g.Feats.Rows, g.Feats.Cols, w.ID, w.Speaker, w.Feats.Rows, w.Feats.Cols)
		}
		prev := m.Data
		if err := got.Archives.Read(i, &m); err != nil {
			t.Fatal(err)
		}
		if m.Rows != w.Feats.Rows || m.Cols != w.Feats.Cols || !slices.EqualFunc(m.Data, w.Feats.Data, func(a, b float32) bool {
			return math.Float32bits(a) == math.Float32bits(b)
		}) {
			t.Fatalf("sentence %s: read values differ from the loaded ones", w.ID)
		}
		if cap(prev) >= len(m.Data) && &prev[:1][0] != &m.Data[0] {
			t.Errorf("sentence %s: a new buffer though the old one had room", w.ID)
		}
	}
	if err := got.Archives.Read(len(want.Sentences), &m); err == nil {
		t.Error("reading past the last sentence: no error")
	}
	if err := got.Archives.Close(); err != nil {
		t.Fatal(err)
	}
	if err := got.Archives.Read(0, &m); !errors.Is(err, os.ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
}

// TestArchivesChanged: an archive changed after OpenSplit checked it gives
// an error naming the archive and the utterance, not other numbers.
func TestArchivesChanged(t *testing.T) {
	out, _ := extractTo(t, testCorpus(), ExtractOptions{})
	d := copyDir(t, filepath.Join(out, Dev))
	editFile(t, filepath.Join(d, "feats.scp"), func(b []byte) []byte {
		return []byte(strings.ReplaceAll(string(b), filepath.Join(out, Dev, "feats.ark"), "feats.ark"))
	})
	s, err := OpenSplit(d)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Archives.Close()
	first := s.Sentences[0].ID
	// Overwrite in place (the open file sees it): a NaN in the first
	// matrix, as TestLoadSplitRejects places it.
	f, err := os.OpenFile(filepath.Join(d, "feats.ark"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var nan [4]byte
	binary.LittleEndian.PutUint32(nan[:], math.Float32bits(float32(math.NaN())))
	if _, err := f.WriteAt(nan[:], int64(len(first)+1+2+3+10+4*7)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var m features.Matrix
	err = s.Archives.Read(0, &m)
	if err == nil || !strings.Contains(err.Error(), "feats.ark") || !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("changed archive: %v", err)
	}
}

// TestSplitWriter: a folder written sentence by sentence loads back
// (LoadSplit and OpenSplit) with the same sentences and counts, and IDs
// out of order are refused.
func TestSplitWriter(t *testing.T) {
	fc := features.DefaultConfig()
	fc.NumCeps, fc.Deltas = 4, 0
	dir := filepath.Join(t.TempDir(), "train")
	w, err := CreateSplit(dir, Manifest{Split: Train, Features: fc, Dim: 4,
		CMVNMean: []float32{1, 2, 3, 4}, CMVNStd: []float32{1, 1, 2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	var want []*Sentence
	for i, n := range []int{3, 1, 7} {
		m := features.NewMatrix(n, 4)
		for j := range m.Data {
			m.Data[j] = float32(i*100+j) / 7
		}
		lab := make([]int32, n)
		for j := range lab {
			lab[j] = int32((i + j) % 61)
		}
		lab[0] = -1 // labels.Excluded
		s := &Sentence{ID: "s" + string(rune('a'+i)), Speaker: "spk" + string(rune('a'+i%2)), Feats: m, Labels: lab}
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
		want = append(want, s)
	}
	if err := w.Write(want[0]); err == nil {
		t.Error("an ID out of order was written")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSplit(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Manifest.Counts.Utterances != 3 || got.Manifest.Counts.Frames != 11 || got.Manifest.Counts.ExcludedFrames != 3 || got.Manifest.Counts.Speakers != 2 {
		t.Errorf("counts %+v", got.Manifest.Counts)
	}
	for i, s := range got.Sentences {
		if s.ID != want[i].ID || s.Speaker != want[i].Speaker || !slices.Equal(s.Labels, want[i].Labels) || !slices.Equal(s.Feats.Data, want[i].Feats.Data) {
			t.Errorf("sentence %d: %+v, wrote %+v", i, s, want[i])
		}
	}
	if o, err := OpenSplit(dir); err != nil {
		t.Error(err)
	} else {
		o.Archives.Close()
	}
}

// FuzzReadEntry: the two-read entry reader used for streaming agrees with
// the careful reader on any archive bytes and offset: the same matrix
// (bit for bit) or the same error.
func FuzzReadEntry(f *testing.F) {
	var b bytes.Buffer
	w := NewArkWriter(&b)
	off, _ := w.WriteMatrix("utt1", mat(2, 3, 1, 2, 3, 4, 5, 6))
	w.Flush()
	f.Add(b.Bytes(), "utt1", off)
	f.Add([]byte("a \x00BDM \x04\x01\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f"), "a", int64(2))
	f.Add([]byte("a \x00BFM \x04\xff\xff\xff\x7f\x04\xff\xff\xff\x7f"), "a", int64(2))
	f.Fuzz(func(t *testing.T, in []byte, key string, off int64) {
		r := bytes.NewReader(in)
		e := ScpEntry{Key: key, Path: "x.ark", Offset: off}
		want, werr := readMatrixEntry(r, int64(len(in)), e, nil)
		got, _, gerr := readEntry(r, int64(len(in)), e, make([]float32, 3), nil)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("errors differ: careful %v, streaming %v", werr, gerr)
		}
		if werr == nil && !sameBits(want, got) {
			t.Fatalf("matrices differ: %v, %v", want, got)
		}
	})
}
