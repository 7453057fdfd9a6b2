package data

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Layout names how a corpus is organised on disk.
type Layout string

// The corpus layouts Discover understands. LayoutAuto detects one of them.
const (
	LayoutAuto Layout = ""
	// LayoutLDC is TIMIT as LDC ships it:
	// TRAIN|TEST/DR1..DR8/<SPEAKER>/<UTT>.WAV|.PHN, in any letter case.
	LayoutLDC Layout = "ldc"
	// LayoutNLTK is the TIMIT sample NLTK distributes:
	// dr1-fvmh0/sa1.wav|.phn.
	LayoutNLTK Layout = "nltk"
	// LayoutFlat is one folder of <id>.wav + <id>.phn pairs; the speaker is
	// the id up to its first "_", or is given by a utt2spk file.
	LayoutFlat Layout = "flat"
)

// ParseLayout parses a layout name ("", "auto", "ldc", "nltk", "flat").
func ParseLayout(s string) (Layout, error) {
	switch l := Layout(strings.ToLower(s)); l {
	case "", "auto":
		return LayoutAuto, nil
	case LayoutLDC, LayoutNLTK, LayoutFlat:
		return l, nil
	}
	return "", fmt.Errorf("unknown layout %q (want ldc, nltk or flat)", s)
}

// Utterance is one recording of a corpus with its phone segmentation.
type Utterance struct {
	ID      string // <speaker>_<name>, lower case: "fvmh0_si1466"
	Speaker string // lower case, without dialect region: "fvmh0"
	Name    string // the recording's name within the speaker: "si1466"
	Group   string // LDC only: "train" or "test" (the top folder, lower case)
	Audio   string // path of the audio file in the corpus file system
	PHN     string // path of the .PHN file in the corpus file system
}

// IsSA reports whether u is one of TIMIT's two dialect sentences (SA1, SA2),
// which every speaker reads and which are left out of the standard splits.
func (u Utterance) IsSA() bool { return u.Name == "sa1" || u.Name == "sa2" }

// Skipped records a corpus file that was left out, and why.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Corpus is the result of Discover: every utterance, sorted by ID.
type Corpus struct {
	Layout     Layout
	Root       string // folder of fsys the layout was found in ("." usually)
	Utterances []Utterance
	Skipped    []Skipped // with skipBad: files without a partner
}

// Speakers returns the distinct speakers of c, sorted.
func (c *Corpus) Speakers() []string { return speakersOf(c.Utterances) }

func speakersOf(us []Utterance) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range us {
		if !seen[u.Speaker] {
			seen[u.Speaker] = true
			out = append(out, u.Speaker)
		}
	}
	sort.Strings(out)
	return out
}

var (
	reDialect = regexp.MustCompile(`^(?i)dr[1-8]$`)
	reNLTKDir = regexp.MustCompile(`^(?i)dr[1-8]-([a-z]{3,4}[0-9])$`)
	reSpeaker = regexp.MustCompile(`^(?i)[a-z]{3,4}[0-9]$`)
)

// Discover finds the utterances of the corpus in fsys. With LayoutAuto the
// layout is detected from the top folder (or from its only subfolder, as in
// an unpacked "TIMIT/" archive), and a corpus that looks like none is
// ErrUnknownLayout. An audio file without a .PHN (or a .PHN without audio)
// is an *UnpairedFileError naming it; with skipBad it is left out and
// listed in Corpus.Skipped instead. The order is sorted by utterance ID, so
// it does not depend on the file system.
func Discover(fsys fs.FS, layout Layout, skipBad bool) (*Corpus, error) {
	root := "."
	if layout == LayoutAuto {
		var err error
		layout, root, err = detect(fsys)
		if err != nil {
			return nil, err
		}
	} else if l, r, err := detect(fsys); err == nil && l == layout {
		root = r
	}
	c := &Corpus{Layout: layout, Root: root}
	var err error
	switch layout {
	case LayoutLDC:
		err = c.discoverLDC(fsys, root, skipBad)
	case LayoutNLTK:
		err = c.discoverNLTK(fsys, root, skipBad)
	case LayoutFlat:
		err = c.discoverFlat(fsys, root, skipBad)
	default:
		return nil, fmt.Errorf("unknown layout %q", layout)
	}
	if err != nil {
		return nil, err
	}
	if len(c.Utterances) == 0 {
		return nil, fmt.Errorf("no utterances found in the %s layout (audio files with .PHN next to them)", layout)
	}
	sort.Slice(c.Utterances, func(i, j int) bool { return c.Utterances[i].ID < c.Utterances[j].ID })
	for i := 1; i < len(c.Utterances); i++ {
		if a, b := c.Utterances[i-1], c.Utterances[i]; a.ID == b.ID {
			return nil, fmt.Errorf("utterance id %s is used twice: %s and %s", a.ID, a.Audio, b.Audio)
		}
	}
	sort.Slice(c.Skipped, func(i, j int) bool { return c.Skipped[i].Path < c.Skipped[j].Path })
	return c, nil
}

// detect guesses the layout from the entries of the top folder, or of its
// only subfolder.
func detect(fsys fs.FS) (Layout, string, error) {
	l, err := detectIn(fsys, ".")
	if err == nil {
		return l, ".", nil
	}
	ents, rerr := fs.ReadDir(fsys, ".")
	if rerr != nil {
		return "", "", fmt.Errorf("read corpus: %w", rerr)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 1 {
		if l, err2 := detectIn(fsys, dirs[0]); err2 == nil {
			return l, dirs[0], nil
		}
	}
	return "", "", err
}

func detectIn(fsys fs.FS, dir string) (Layout, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return "", fmt.Errorf("read corpus: %w", err)
	}
	var ldc, nltk, wav bool
	for _, e := range ents {
		n := e.Name()
		switch {
		case e.IsDir() && (strings.EqualFold(n, "train") || strings.EqualFold(n, "test")):
			ldc = true
		case e.IsDir() && reNLTKDir.MatchString(n):
			nltk = true
		case !e.IsDir() && strings.EqualFold(path.Ext(n), ".wav"):
			wav = true
		}
	}
	switch {
	case ldc:
		return LayoutLDC, nil
	case nltk:
		return LayoutNLTK, nil
	case wav:
		return LayoutFlat, nil
	}
	return "", ErrUnknownLayout
}

// ErrUnknownLayout: Discover was asked to detect the layout of a corpus
// that looks like none of them; the caller can name the layout instead.
var ErrUnknownLayout = errors.New("cannot tell the corpus layout: expected TRAIN/TEST folders (ldc), dr1-xxxx0 folders (nltk) or .wav files (flat)")

// UnpairedFileError: Discover found an audio file without its .PHN file, or
// a .PHN file without its audio. With skipBad the file is left out instead
// (recorded as a Skipped with the same Path and Reason).
type UnpairedFileError struct {
	Path   string // the file without a partner, inside the corpus file system
	Reason string // e.g. "no .PHN file next to it"
}

func (e *UnpairedFileError) Error() string { return e.Path + ": " + e.Reason }

// pair matches the audio and .PHN files of one folder by their stems, in any
// letter case. It returns stem → [audio, phn] paths, and the unpaired files
// as errors (or, with skipBad, as Skipped entries in c).
func (c *Corpus) pair(fsys fs.FS, dir string, skipBad bool) (map[string][2]string, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	names := map[string]bool{}
	for _, e := range ents {
		names[strings.ToLower(e.Name())] = true
	}
	out := map[string][2]string{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		n := e.Name()
		ext := strings.ToLower(path.Ext(n))
		stem := strings.ToLower(strings.TrimSuffix(n, path.Ext(n)))
		// Hidden files include macOS's "._SA1.WAV" metadata twins.
		if (ext != ".wav" && ext != ".phn") || strings.HasPrefix(n, ".") {
			continue
		}
		// Some TIMIT copies hold SA1.WAV (SPHERE) and a converted
		// SA1.WAV.wav side by side; the original is the one paired.
		if ext == ".wav" && strings.HasSuffix(stem, ".wav") && names[stem] {
			continue
		}
		p := out[stem]
		if ext == ".wav" {
			p[0] = path.Join(dir, n)
		} else {
			p[1] = path.Join(dir, n)
		}
		out[stem] = p
	}
	stems := make([]string, 0, len(out))
	for stem := range out {
		stems = append(stems, stem)
	}
	sort.Strings(stems)
	for _, stem := range stems {
		p := out[stem]
		var bad, reason string
		switch {
		case p[1] == "":
			bad, reason = p[0], "no .PHN file next to it"
		case p[0] == "":
			bad, reason = p[1], "no audio (.WAV) file next to it"
		default:
			continue
		}
		if !skipBad {
			return nil, &UnpairedFileError{Path: bad, Reason: reason}
		}
		c.Skipped = append(c.Skipped, Skipped{Path: bad, Reason: reason})
		delete(out, stem)
	}
	return out, nil
}

func (c *Corpus) add(spk, name, group string, p [2]string) {
	c.Utterances = append(c.Utterances, Utterance{
		ID: spk + "_" + name, Speaker: spk, Name: name, Group: group, Audio: p[0], PHN: p[1],
	})
}

func (c *Corpus) discoverLDC(fsys fs.FS, root string, skipBad bool) error {
	tops, err := fs.ReadDir(fsys, root)
	if err != nil {
		return fmt.Errorf("read corpus: %w", err)
	}
	for _, top := range tops {
		group := strings.ToLower(top.Name())
		if !top.IsDir() || (group != "train" && group != "test") {
			continue
		}
		drs, err := fs.ReadDir(fsys, path.Join(root, top.Name()))
		if err != nil {
			return fmt.Errorf("read corpus: %w", err)
		}
		for _, dr := range drs {
			if !dr.IsDir() || !reDialect.MatchString(dr.Name()) {
				continue
			}
			drPath := path.Join(root, top.Name(), dr.Name())
			spks, err := fs.ReadDir(fsys, drPath)
			if err != nil {
				return fmt.Errorf("read corpus: %w", err)
			}
			for _, s := range spks {
				if !s.IsDir() || !reSpeaker.MatchString(s.Name()) {
					continue
				}
				pairs, err := c.pair(fsys, path.Join(drPath, s.Name()), skipBad)
				if err != nil {
					return err
				}
				for stem, p := range pairs {
					c.add(strings.ToLower(s.Name()), stem, group, p)
				}
			}
		}
	}
	return nil
}

func (c *Corpus) discoverNLTK(fsys fs.FS, root string, skipBad bool) error {
	dirs, err := fs.ReadDir(fsys, root)
	if err != nil {
		return fmt.Errorf("read corpus: %w", err)
	}
	for _, d := range dirs {
		m := reNLTKDir.FindStringSubmatch(d.Name())
		if !d.IsDir() || m == nil {
			continue
		}
		pairs, err := c.pair(fsys, path.Join(root, d.Name()), skipBad)
		if err != nil {
			return err
		}
		for stem, p := range pairs {
			c.add(strings.ToLower(m[1]), stem, "", p)
		}
	}
	return nil
}

func (c *Corpus) discoverFlat(fsys fs.FS, root string, skipBad bool) error {
	pairs, err := c.pair(fsys, root, skipBad)
	if err != nil {
		return err
	}
	var spkOf map[string]string
	u2s := path.Join(root, "utt2spk")
	if f, err := fsys.Open(u2s); err == nil {
		kv, err := readPairs(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", u2s, err)
		}
		spkOf = make(map[string]string, len(kv))
		for _, p := range kv {
			spkOf[strings.ToLower(p[0])] = strings.ToLower(p[1])
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", u2s, err)
	}
	for id, p := range pairs {
		var spk, name string
		if spkOf != nil {
			s, ok := spkOf[id]
			if !ok {
				return fmt.Errorf("%s: utterance %q is not in %s", p[0], id, u2s)
			}
			spk, name = s, strings.TrimPrefix(id, s+"_")
		} else {
			s, n, ok := strings.Cut(id, "_")
			if !ok || s == "" || n == "" {
				return fmt.Errorf("%s: cannot tell the speaker: name files <speaker>_<utterance>.wav or add a utt2spk file", p[0])
			}
			spk, name = s, n
		}
		if strings.ContainsAny(spk+name, " \t") {
			return fmt.Errorf("%s: white space in utterance id", p[0])
		}
		c.add(spk, name, "", p)
	}
	return nil
}
