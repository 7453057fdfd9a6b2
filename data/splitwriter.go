package data

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/phoneme/phoneme/labels"
)

// SplitWriter writes a split folder that LoadSplit and OpenSplit read
// (feats.ark, feats.scp, ali.ark, utt2spk, phones.txt, manifest.json) from
// sentences given one at a time, for features made without audio:
// synthetic corpora of any size for tests and benchmarks. Extract writes
// real corpora. Sentences must come in increasing ID order, as Extract
// writes them; nothing is kept in memory but the manifest's utterance
// list.
type SplitWriter struct {
	dir        string
	man        Manifest
	files      []*os.File
	feats, ali *ArkWriter
	scp, u2s   *bufio.Writer
	last       string
}

// CreateSplit starts the split folder dir, which must not exist, with the
// manifest's feature configuration, Dim and CMVN (its counts, speakers and
// utterance list are made from the sentences written).
func CreateSplit(dir string, man Manifest) (*SplitWriter, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	w := &SplitWriter{dir: dir, man: man}
	w.man.Version, w.man.Phones, w.man.ExcludedLabel = ManifestVersion, labels.TIMIT61().Names(), labels.Excluded
	w.man.Counts = Counts{PhoneFrames: make([]int64, labels.NumPhones)}
	w.man.Utterances, w.man.Speakers = nil, nil
	var fs [4]*os.File
	for i, name := range []string{"feats.ark", "ali.ark", "feats.scp", "utt2spk"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			w.close()
			return nil, err
		}
		fs[i] = f
		w.files = append(w.files, f)
	}
	w.feats, w.ali = NewArkWriter(fs[0]), NewArkWriter(fs[1])
	w.scp, w.u2s = bufio.NewWriter(fs[2]), bufio.NewWriter(fs[3])
	return w, nil
}

// Write appends one sentence (raw features, Dim wide; one label per frame).
func (w *SplitWriter) Write(s *Sentence) error {
	if s.ID <= w.last {
		return fmt.Errorf("write %s: utterance %q after %q: IDs must increase", w.dir, s.ID, w.last)
	}
	if err := CheckSentences([]*Sentence{s}, w.man.Dim, labels.NumPhones); err != nil {
		return fmt.Errorf("write %s: %w", w.dir, err)
	}
	w.last = s.ID
	arkPath := filepath.Join(w.dir, "feats.ark")
	off, err := w.feats.WriteMatrix(s.ID, s.Feats)
	if err != nil {
		return fmt.Errorf("write %s: %w", arkPath, err)
	}
	if _, err := w.ali.WriteInt32Vector(s.ID, s.Labels); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(w.dir, "ali.ark"), err)
	}
	fmt.Fprintf(w.scp, "%s\n", ScpEntry{Key: s.ID, Path: arkPath, Offset: off})
	fmt.Fprintf(w.u2s, "%s %s\n", s.ID, s.Speaker)
	c := &w.man.Counts
	c.Utterances++
	c.Frames += int64(s.Feats.Rows)
	for _, y := range s.Labels {
		if y == labels.Excluded {
			c.ExcludedFrames++
		} else {
			c.PhoneFrames[y]++
		}
	}
	w.man.Utterances = append(w.man.Utterances, UtteranceSource{ID: s.ID, Speaker: s.Speaker, Frames: s.Feats.Rows})
	return nil
}

// Close finishes the folder: flushes and closes the files and writes
// phones.txt and manifest.json.
func (w *SplitWriter) Close() error {
	err := errors.Join(w.feats.Flush(), w.ali.Flush(), w.scp.Flush(), w.u2s.Flush())
	for _, f := range w.files {
		err = errors.Join(err, f.Close())
	}
	w.files = nil
	if err != nil {
		return fmt.Errorf("write %s: %w", w.dir, err)
	}
	c := &w.man.Counts
	w.man.Speakers = manifestSpeakers(w.man.Utterances)
	c.Speakers = len(w.man.Speakers)
	for _, n := range c.PhoneFrames {
		if n > 0 {
			c.PhonesSeen++
		}
	}
	var phones []byte
	for i, p := range labels.TIMIT61().Names() {
		phones = fmt.Appendf(phones, "%s %d\n", p, i)
	}
	if err := writeFile(filepath.Join(w.dir, "phones.txt"), phones); err != nil {
		return err
	}
	if err := w.man.check(); err != nil {
		return fmt.Errorf("write %s: manifest: %w", w.dir, err)
	}
	return writeJSON(filepath.Join(w.dir, "manifest.json"), &w.man)
}

func (w *SplitWriter) close() {
	for _, f := range w.files {
		f.Close()
	}
	w.files = nil
}
