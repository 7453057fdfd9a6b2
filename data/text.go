package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/phoneme/phoneme/labels"
)

// TextFile is the name of a split folder's reference phone strings: one
// line per utterance, Kaldi style, "utterance phone phone …", the 61 TIMIT
// phones of the utterance's .PHN file in file order.
const TextFile = "text"

// ErrNoText: a split folder has no text file (it was extracted before
// phoneme extract wrote one), so phone error rates cannot be computed.
var ErrNoText = errors.New("no reference phone strings (text): the split was extracted before phoneme extract wrote them; re-run phoneme extract")

// maxTextLine bounds one line of a text file; a TIMIT sentence has under
// 100 phones, a few hundred bytes.
const maxTextLine = 1 << 20

// TextEntry is one line of a text file.
type TextEntry struct {
	Utterance string
	Phones    []int32 // TIMIT61 indices, in order
}

// ReadText parses a text file: one line per utterance, its ID and then at
// least one phone of the 61-phone TIMIT set, separated by blanks. Blank
// lines, unknown phones, utterances without phones and repeated utterance
// IDs are errors naming the line; CRLF line ends are accepted. Callers add
// the file name.
func ReadText(r io.Reader) ([]TextEntry, error) {
	set := labels.TIMIT61()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxTextLine)
	var out []TextEntry
	seen := map[string]bool{}
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(strings.TrimSuffix(sc.Text(), "\r"))
		if len(f) == 0 {
			return nil, fmt.Errorf("line %d: blank line", line)
		}
		if len(f) == 1 {
			return nil, fmt.Errorf("line %d: utterance %s has no phones", line, f[0])
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("line %d: utterance %s appears twice", line, f[0])
		}
		seen[f[0]] = true
		e := TextEntry{Utterance: f[0], Phones: make([]int32, len(f)-1)}
		for i, name := range f[1:] {
			p, ok := set.Index(name)
			if !ok {
				return nil, fmt.Errorf("line %d: utterance %s: unknown phone %q (not one of the 61 TIMIT phones)", line, f[0], name)
			}
			e.Phones[i] = int32(p)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", line+1, maxTextLine)
		}
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

// WriteTextLine writes one line of a text file: utterance id and its
// phones (TIMIT61 indices) by name.
func WriteTextLine(w io.Writer, id string, phones []int32) error {
	set := labels.TIMIT61()
	var b strings.Builder
	b.WriteString(id)
	for _, p := range phones {
		b.WriteByte(' ')
		b.WriteString(set.Name(int(p)))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// loadText reads dir's text file into the sentences' Phones: every
// sentence must have a line and every line a sentence. A missing file is
// not an error (the split predates it): the Phones stay nil and
// Split.CheckText reports it.
func loadText(dir string, sents []*Sentence) error {
	path := filepath.Join(dir, TextFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	es, err := ReadText(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	byID := make(map[string][]int32, len(es))
	for _, e := range es {
		byID[e.Utterance] = e.Phones
	}
	for _, s := range sents {
		p, ok := byID[s.ID]
		if !ok {
			return fmt.Errorf("%s: no phones for utterance %s", path, s.ID)
		}
		s.Phones = p
	}
	if len(es) != len(sents) {
		return fmt.Errorf("%s: %d utterances, feats.scp has %d (mixed-up split folder)", path, len(es), len(sents))
	}
	return nil
}

// CheckText reports whether every sentence has its reference phone string
// (Sentence.Phones, from the split's text file): an error wrapping
// ErrNoText and naming the file when the split has none.
func (s *Split) CheckText() error {
	for _, x := range s.Sentences {
		if x.Phones == nil {
			return fmt.Errorf("%s: %w", filepath.Join(s.Dir, TextFile), ErrNoText)
		}
	}
	return nil
}
