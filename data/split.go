package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// Split is one extracted split folder loaded into memory, or opened for
// streaming (OpenSplit): then Archives is set, each sentence's Feats
// holds only its shape (Rows, Cols; Data nil) and its Labels are nil;
// Archives.Read and Archives.Labels give them.
type Split struct {
	Dir       string
	Manifest  *Manifest
	Sentences []*Sentence // in feats.scp order (sorted by ID)
	Archives  *Archives   // set by OpenSplit: where the features are
}

// Sentence is one utterance: its features, frames × dims, and one label per
// frame, a TIMIT61 phone index or labels.Excluded.
type Sentence struct {
	ID, Speaker string
	Feats       *features.Matrix
	Labels      []int32
	// Phones is the reference phone string (TIMIT61 indices, the .PHN
	// file's segments in order) from the split's text file; nil when the
	// split has none (Split.CheckText).
	Phones []int32
}

// CheckSentences reports the first sentence that a network taking inputs
// features per frame and choosing among classes outputs cannot be trained
// or scored on: no features, another feature width, as many labels as
// frames, or a label that is neither a class nor labels.Excluded. Training,
// scoring and the model/data check all use it.
func CheckSentences(sents []*Sentence, inputs, classes int) error {
	for i, s := range sents {
		if s == nil || s.Feats == nil {
			return fmt.Errorf("sentence %d has no features", i)
		}
		if s.Feats.Cols != inputs || len(s.Feats.Data) < s.Feats.Rows*s.Feats.Cols {
			return fmt.Errorf("utterance %s has %d features per frame, the model takes %d", s.ID, s.Feats.Cols, inputs)
		}
		if len(s.Labels) != s.Feats.Rows {
			return fmt.Errorf("utterance %s has %d labels for %d frames", s.ID, len(s.Labels), s.Feats.Rows)
		}
		for t, y := range s.Labels {
			if y != labels.Excluded && (y < 0 || int(y) >= classes) {
				return fmt.Errorf("utterance %s: label %d at frame %d is not one of the %d classes", s.ID, y, t, classes)
			}
		}
	}
	return nil
}

// Frames returns the total number of frames of the split.
func (s *Split) Frames() int64 {
	var n int64
	for _, x := range s.Sentences {
		n += int64(x.Feats.Rows)
	}
	return n
}

// Normalize applies (x − mean)/std to every feature vector in place, as
// features.Normalize; pass the manifest's CMVNMean and CMVNStd (those of
// the training split). It panics if the lengths differ from the feature
// dimension, which LoadSplit has already checked against the manifest.
func (s *Split) Normalize(mean, std []float32) {
	for _, x := range s.Sentences {
		features.Normalize(x.Feats, mean, std)
	}
}

// LoadSplit reads the split folder dir written by Extract: manifest.json,
// feats.scp with the feats.ark it points to, ali.ark, utt2spk and, when
// present, text (ReadText; splits extracted before it was written load
// without it, see Split.CheckText). It checks
// everything it reads: every feats.scp key has a speaker and an alignment of
// as many labels as the matrix has rows, every label is a phone index or
// labels.Excluded, matrices have the manifest's dimension and only finite
// values, and the counts agree with the manifest. Errors name the file and,
// where there is one, the utterance.
//
// Archive paths in feats.scp are used as written (absolute, Kaldi style);
// if one no longer exists (the folder was moved) the file of that name in
// dir is used.
func LoadSplit(dir string) (*Split, error) { return loadSplit(dir, true) }

// loadSplit is LoadSplit keeping the features in memory (keep), or
// OpenSplit leaving them in their archives, open for Archives.Read.
func loadSplit(dir string, keep bool) (_ *Split, err error) {
	man, err := ReadManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	scpPath := filepath.Join(dir, "feats.scp")
	entries, err := readScpFile(scpPath)
	if err != nil {
		return nil, err
	}
	spk, err := readUtt2spk(filepath.Join(dir, "utt2spk"))
	if err != nil {
		return nil, err
	}
	aliPath := filepath.Join(dir, "ali.ark")
	var (
		ali  map[string][]int32
		ali8 map[string][]int8
	)
	if keep {
		ali, err = readAlignments[int32](aliPath)
	} else {
		ali8, err = readAlignments[int8](aliPath)
	}
	if err != nil {
		return nil, err
	}

	s := &Split{Dir: dir, Manifest: man, Sentences: make([]*Sentence, 0, len(entries))}
	arks := map[string]*os.File{}
	var ar *Archives
	if !keep {
		ar = &Archives{dim: man.Dim, scp: scpPath}
		ar.src = make([]arkEntry, 0, len(entries))
	}
	defer func() {
		if keep || err != nil {
			for _, f := range arks {
				f.Close()
			}
		}
	}()
	sizes := map[string]int64{}
	index := map[string]int{} // archive path → ar.files index
	var buf []float32
	var scratch []byte
	var frames int64
	for _, e := range entries {
		// The split folder is authoritative: an archive of the scp's name
		// inside it wins over the path the scp recorded, so a copied or
		// moved folder never reads its original's archive.
		p := filepath.Join(dir, filepath.Base(e.Path))
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			p = e.Path
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
		}
		f, ok := arks[p]
		if !ok {
			if f, err = os.Open(p); err != nil {
				return nil, fmt.Errorf("%s: utterance %s: %w", scpPath, e.Key, err)
			}
			st, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, err
			}
			arks[p], sizes[p] = f, st.Size()
			if ar != nil {
				index[p] = len(ar.files)
				ar.files = append(ar.files, arkFile{f: f, path: p, size: st.Size()})
			}
		}
		m, sc, err := readEntry(f, sizes[p], e, buf, scratch)
		scratch = sc
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if m.Rows == 0 || m.Cols != man.Dim {
			return nil, fmt.Errorf("%s: utterance %s: %d×%d features, want rows × %d (manifest)", p, e.Key, m.Rows, m.Cols, man.Dim)
		}
		for i, v := range m.Data {
			if !finite(v) {
				return nil, fmt.Errorf("%s: utterance %s: non-finite feature %g at frame %d, dim %d", p, e.Key, v, i/m.Cols, i%m.Cols)
			}
		}
		lab, ok := ali[e.Key]
		lab8, ok8 := ali8[e.Key]
		if !ok && !ok8 {
			return nil, fmt.Errorf("%s: no alignment for utterance %s", aliPath, e.Key)
		}
		if n := len(lab) + len(lab8); n != m.Rows {
			return nil, fmt.Errorf("%s: utterance %s has %d labels for %d frames", aliPath, e.Key, n, m.Rows)
		}
		speaker, ok := spk[e.Key]
		if !ok {
			return nil, fmt.Errorf("%s: no speaker for utterance %s", filepath.Join(dir, "utt2spk"), e.Key)
		}
		frames += int64(m.Rows)
		if ar != nil {
			// Checked, and left in the archive: the buffer serves the next.
			buf = m.Data
			m = &features.Matrix{Rows: m.Rows, Cols: m.Cols}
			ar.src = append(ar.src, arkEntry{file: index[p], key: e.Key, off: e.Offset, rows: m.Rows, labels: lab8})
		}
		s.Sentences = append(s.Sentences, &Sentence{ID: e.Key, Speaker: speaker, Feats: m, Labels: lab})
	}
	s.Archives = ar
	if len(s.Sentences) != man.Counts.Utterances || frames != man.Counts.Frames {
		return nil, fmt.Errorf("%s: %d utterances, %d frames, but the manifest says %d and %d (incomplete or mixed-up split folder)",
			scpPath, len(s.Sentences), frames, man.Counts.Utterances, man.Counts.Frames)
	}
	if err := loadText(dir, s.Sentences); err != nil {
		return nil, err
	}
	if err := checkPhoneOrder(dir, man, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Labels returns the frame labels of sentence i: its Labels, or, in a
// split opened for streaming (OpenSplit), a copy in dst (grown if too
// short) of the compact labels its Archives keep.
func (s *Split) Labels(i int, dst []int32) []int32 {
	if l := s.Sentences[i].Labels; l != nil || s.Archives == nil {
		return l
	}
	return s.Archives.Labels(i, dst)
}

// checkPhoneOrder checks that the split's labels mean what the manifest
// says (TIMIT's 61 phones in order, which ReadManifest checked): phones.txt
// lists the same phones with the same indices, and ali.ark labels every
// phone with as many frames as the manifest counted when it was written.
// An ali.ark written with another phone order (Kaldi's, say) keeps the
// frame total but moves frames between phones: the first phone whose count
// differs is named.
func checkPhoneOrder(dir string, man *Manifest, split *Split) error {
	path := filepath.Join(dir, "phones.txt")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i, want := range man.Phones {
		if i >= len(lines) {
			return fmt.Errorf("%s: %d phones, the manifest has %d (first missing: %d %q)", path, len(lines), len(man.Phones), i, want)
		}
		f := strings.Fields(lines[i])
		if len(f) != 2 || f[0] != want || f[1] != strconv.Itoa(i) {
			return fmt.Errorf("%s: line %d is %q, want \"%s %d\": the labels use another phone order than the manifest (%s)", path, i+1, lines[i], want, i, phoneOrderHint)
		}
	}
	if len(lines) != len(man.Phones) {
		return fmt.Errorf("%s: %d phones, the manifest has %d (first extra: line %d %q)", path, len(lines), len(man.Phones), len(man.Phones)+1, lines[len(man.Phones)])
	}
	pf := man.Counts.PhoneFrames
	if len(pf) != len(man.Phones) {
		return fmt.Errorf("%s: %d phone frame counts for %d phones", filepath.Join(dir, "manifest.json"), len(pf), len(man.Phones))
	}
	got := make([]int64, len(man.Phones))
	var excluded int64
	var buf []int32
	for i := range split.Sentences {
		buf = split.Labels(i, buf)
		for _, y := range buf {
			switch {
			case y == labels.Excluded:
				excluded++
			case y >= 0 && int(y) < len(got):
				got[y]++
			}
		}
	}
	for i, n := range got {
		if n != pf[i] {
			return fmt.Errorf("%s: %d frames labelled %d (%q), the manifest counted %d: the labels use another phone order than phones.txt and the manifest (%s)",
				filepath.Join(dir, "ali.ark"), n, i, man.Phones[i], pf[i], phoneOrderHint)
		}
	}
	if excluded != man.Counts.ExcludedFrames {
		return fmt.Errorf("%s: %d excluded frames, the manifest counted %d", filepath.Join(dir, "ali.ark"), excluded, man.Counts.ExcludedFrames)
	}
	return nil
}

// phoneOrderHint ends the phone-order errors.
const phoneOrderHint = "labels are indices into TIMIT's 61 phones in phoneme's order; re-extract with phoneme extract"

// readMatrixEntry reads the matrix an .scp entry points to, checking that
// the archive holds the entry's key just before the offset (so a stale or
// mismatched .scp is caught rather than silently read).
// The values go to dst when it has the capacity.
func readMatrixEntry(f io.ReaderAt, size int64, e ScpEntry, dst []float32) (*features.Matrix, error) {
	k := int64(len(e.Key)) + 1
	if e.Offset < k || e.Offset >= size {
		return nil, fmt.Errorf("utterance %s: offset %d outside the archive (%d bytes)", e.Key, e.Offset, size)
	}
	head := make([]byte, k)
	if _, err := f.ReadAt(head, e.Offset-k); err != nil {
		return nil, fmt.Errorf("utterance %s: %w", e.Key, err)
	}
	if string(head) != e.Key+" " {
		return nil, fmt.Errorf("utterance %s: the archive has no entry of that key at offset %d (feats.scp does not match feats.ark)", e.Key, e.Offset)
	}
	m, err := readMatrixAt(f, size, e.Offset, dst)
	if err != nil {
		return nil, fmt.Errorf("utterance %s: %w", e.Key, err)
	}
	return m, nil
}

func readScpFile(path string) ([]ScpEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, err := ReadScp(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return es, nil
}

func readUtt2spk(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pairs, err := readPairs(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[p[0]] = p[1]
	}
	return m, nil
}

// readAlignments reads every entry of an int32-vector archive of frame
// labels, checking each label is a TIMIT61 index or labels.Excluded, and
// stores them as L (int8 for a streamed split: a byte a frame; every
// label fits).
func readAlignments[L int8 | int32](path string) (map[string][]L, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	out := map[string][]L{}
	a := NewArkReader(f, st.Size())
	for {
		key, err := a.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s: utterance %s appears twice", path, key)
		}
		v, err := a.ReadInt32Vector()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for t, l := range v {
			if l != labels.Excluded && (l < 0 || l >= labels.NumPhones) {
				return nil, fmt.Errorf("%s: utterance %s: label %d at frame %d is not a phone index", path, key, l, t)
			}
		}
		if lv, ok := any(v).([]L); ok {
			out[key] = lv
			continue
		}
		lv := make([]L, len(v))
		for t, l := range v {
			lv[t] = L(l)
		}
		out[key] = lv
	}
}
