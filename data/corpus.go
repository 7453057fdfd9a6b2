package data

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
// listed in Corpus.Skipped instead. Symbolic links to folders and files are
// followed everywhere; what cannot be used is a *CorpusFileError (or, with
// skipBad, Skipped): a .wav or .PHN that is not a regular file, a broken
// link, a folder reached twice through links (a loop), a file whose name
// differs from another's only in letter case, a speaker folder without
// speech files. The order is sorted by utterance ID, so it does not depend
// on the file system.
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
	w := &walk{fsys: fsys, c: c, skipBad: skipBad}
	var err error
	switch layout {
	case LayoutLDC:
		err = w.discoverLDC(root)
	case LayoutNLTK:
		err = w.discoverNLTK(root)
	case LayoutFlat:
		err = w.discoverFlat(root)
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
	ents, rerr := readDir(fsys, ".")
	if rerr != nil {
		return "", "", rerr
	}
	var dirs []string
	for _, e := range ents {
		if e.isDir() && !strings.HasPrefix(e.name, ".") {
			dirs = append(dirs, e.name)
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
	ents, err := readDir(fsys, dir)
	if err != nil {
		return "", err
	}
	var ldc, nltk, wav bool
	for _, e := range ents {
		n := e.name
		switch {
		case e.isDir() && (strings.EqualFold(n, "train") || strings.EqualFold(n, "test")):
			ldc = true
		case e.isDir() && reNLTKDir.MatchString(n):
			nltk = true
		case !e.isDir() && strings.EqualFold(path.Ext(n), ".wav"):
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

// CorpusFileError: Discover found a corpus file or folder it cannot use: a
// file that is not a regular file (a named pipe, a device…), a symbolic link
// that cannot be followed, a folder reached a second time through symbolic
// links, or a second file whose name differs from another's only in letter
// case. With skipBad it is left out instead (recorded as a Skipped with the
// same Path and Reason).
type CorpusFileError struct {
	Path   string // inside the corpus file system
	Reason string // e.g. "not a regular file (a named pipe)"
}

func (e *CorpusFileError) Error() string { return e.Path + ": " + e.Reason }

// dirEntry is a folder entry with a symbolic link followed: mode is the type
// of the link's target, and err says why a link cannot be followed.
type dirEntry struct {
	name string
	mode fs.FileMode // type bits only
	err  error
}

func (e dirEntry) isDir() bool { return e.err == nil && e.mode.IsDir() }

// readDir lists a folder of fsys, following symbolic links to learn what
// each entry is: fs.ReadDir reports a link as a link, even one to a folder
// (os.DirFS follows links when opening, so a followed link reads like the
// folder or file it points to).
func readDir(fsys fs.FS, dir string) ([]dirEntry, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	out := make([]dirEntry, len(ents))
	for i, e := range ents {
		d := dirEntry{name: e.Name(), mode: e.Type()}
		if d.mode&fs.ModeSymlink != 0 {
			if info, err := fs.Stat(fsys, path.Join(dir, d.name)); err != nil {
				d.err = err
			} else {
				d.mode = info.Mode().Type()
			}
		}
		out[i] = d
	}
	return out, nil
}

// linkFault is the Reason for a symbolic link that cannot be followed.
func linkFault(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "cannot follow the symbolic link: " + err.Error()
}

// notRegular is the Reason for a file that is not a regular file: reading a
// named pipe blocks until someone writes to it, and devices never end.
func notRegular(m fs.FileMode) string {
	kind := "a special file"
	switch {
	case m.IsDir():
		kind = "a folder"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeCharDevice != 0:
		kind = "a character device"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	}
	return "not a regular file (" + kind + ")"
}

// readRegular reads a file of fsys after checking, without opening it, that
// it is a regular file (after following symbolic links): opening a named
// pipe blocks until a writer appears, deaf to cancellation.
func readRegular(fsys fs.FS, name string) ([]byte, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err // *fs.PathError names the file
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s", name, notRegular(info.Mode()))
	}
	return fs.ReadFile(fsys, name)
}

// walk is one Discover run over the folders of a corpus. It follows
// symbolic links to folders and files, and reads no folder twice: a folder
// that is one read before (a link to an ancestor, which would loop, or a
// second link to the same speaker) is a *CorpusFileError. Folders are told
// apart by os.SameFile, so only file systems that give os file information
// (os.DirFS) are checked; the walk's depth is fixed by the layout, so even
// unchecked links cannot make it loop forever.
type walk struct {
	fsys    fs.FS
	c       *Corpus
	skipBad bool
	seen    []seenDir
}

type seenDir struct {
	path string
	info fs.FileInfo
}

// bad reports a file Discover cannot use: an error, or with skipBad an
// entry in Corpus.Skipped.
func (w *walk) bad(p, reason string) error {
	if !w.skipBad {
		return &CorpusFileError{Path: p, Reason: reason}
	}
	w.c.Skipped = append(w.c.Skipped, Skipped{Path: p, Reason: reason})
	return nil
}

// readDir lists folder p unless it is a folder read before; ok is false
// when it was (and, with skipBad, left out).
func (w *walk) readDir(p string) (ents []dirEntry, ok bool, err error) {
	if info, err := fs.Stat(w.fsys, p); err == nil {
		for _, s := range w.seen {
			if !os.SameFile(s.info, info) {
				continue
			}
			name := s.path
			if name == "." {
				name = "the corpus folder"
			}
			reason := "the same folder as " + name + " (linked twice)"
			if s.path == "." || strings.HasPrefix(p, s.path+"/") {
				reason = "a symbolic link loop: the same folder as " + name + ", which contains it"
			}
			return nil, false, w.bad(p, reason)
		}
		w.seen = append(w.seen, seenDir{p, info})
	}
	ents, err = readDir(w.fsys, p)
	return ents, err == nil, err
}

// subdirs returns the folders in p whose names match, following links; a
// matching entry that is a broken link is bad.
func (w *walk) subdirs(p string, match func(string) bool) ([]string, error) {
	ents, ok, err := w.readDir(p)
	if !ok {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !match(e.name) {
			continue
		}
		if e.err != nil {
			if err := w.bad(path.Join(p, e.name), linkFault(e.err)); err != nil {
				return nil, err
			}
			continue
		}
		if e.isDir() {
			out = append(out, e.name)
		}
	}
	return out, nil
}

// pair matches the audio and .PHN files of one folder by their stems, in any
// letter case. It returns stem → [audio, phn] paths, and the unpaired files
// as errors (or, with skipBad, as Skipped entries in c). A .wav or .phn that
// is not a regular file, or whose name differs from another's only in
// letter case, is bad; so is its partner, left out without a second entry.
// A speaker folder without any .wav or .PHN file is bad too.
func (w *walk) pair(dir string, speaker bool) (map[string][2]string, error) {
	ents, ok, err := w.readDir(dir)
	if !ok {
		return nil, err
	}
	names := map[string]bool{}
	for _, e := range ents {
		names[strings.ToLower(e.name)] = true
	}
	out := map[string][2]string{}
	first := map[string]string{} // lower-case name → the name seen first
	badStems := map[string]bool{}
	for _, e := range ents {
		n := e.name
		ext := strings.ToLower(path.Ext(n))
		stem := strings.ToLower(strings.TrimSuffix(n, path.Ext(n)))
		// Hidden files include macOS's "._SA1.WAV" metadata twins.
		if (ext != ".wav" && ext != ".phn") || strings.HasPrefix(n, ".") || e.isDir() {
			continue
		}
		// Some TIMIT copies hold SA1.WAV (SPHERE) and a converted
		// SA1.WAV.wav side by side; the original is the one paired.
		if ext == ".wav" && strings.HasSuffix(stem, ".wav") && names[stem] {
			continue
		}
		p := path.Join(dir, n)
		reason := ""
		switch f, dup := first[strings.ToLower(n)]; {
		case e.err != nil:
			reason = linkFault(e.err)
		case !e.mode.IsRegular():
			reason = notRegular(e.mode)
		case dup:
			reason = "the same utterance as " + f + " (the names differ only in letter case)"
		}
		if reason != "" {
			if err := w.bad(p, reason); err != nil {
				return nil, err
			}
			badStems[stem] = true
			continue
		}
		first[strings.ToLower(n)] = n
		p2 := out[stem]
		if ext == ".wav" {
			p2[0] = p
		} else {
			p2[1] = p
		}
		out[stem] = p2
	}
	if speaker && len(out) == 0 && len(badStems) == 0 {
		return nil, w.bad(dir, "no .WAV or .PHN files in this speaker folder")
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
		case badStems[stem]:
			delete(out, stem)
			continue
		case p[1] == "":
			bad, reason = p[0], "no .PHN file next to it"
		case p[0] == "":
			bad, reason = p[1], "no audio (.WAV) file next to it"
		default:
			continue
		}
		if !w.skipBad {
			return nil, &UnpairedFileError{Path: bad, Reason: reason}
		}
		w.c.Skipped = append(w.c.Skipped, Skipped{Path: bad, Reason: reason})
		delete(out, stem)
	}
	return out, nil
}

func (c *Corpus) add(spk, name, group string, p [2]string) {
	c.Utterances = append(c.Utterances, Utterance{
		ID: spk + "_" + name, Speaker: spk, Name: name, Group: group, Audio: p[0], PHN: p[1],
	})
}

func (w *walk) discoverLDC(root string) error {
	tops, err := w.subdirs(root, func(n string) bool { return strings.EqualFold(n, "train") || strings.EqualFold(n, "test") })
	if err != nil {
		return err
	}
	for _, top := range tops {
		group := strings.ToLower(top)
		drs, err := w.subdirs(path.Join(root, top), reDialect.MatchString)
		if err != nil {
			return err
		}
		for _, dr := range drs {
			drPath := path.Join(root, top, dr)
			spks, err := w.subdirs(drPath, reSpeaker.MatchString)
			if err != nil {
				return err
			}
			for _, s := range spks {
				pairs, err := w.pair(path.Join(drPath, s), true)
				if err != nil {
					return err
				}
				for stem, p := range pairs {
					w.c.add(strings.ToLower(s), stem, group, p)
				}
			}
		}
	}
	return nil
}

func (w *walk) discoverNLTK(root string) error {
	dirs, err := w.subdirs(root, reNLTKDir.MatchString)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		m := reNLTKDir.FindStringSubmatch(d)
		pairs, err := w.pair(path.Join(root, d), true)
		if err != nil {
			return err
		}
		for stem, p := range pairs {
			w.c.add(strings.ToLower(m[1]), stem, "", p)
		}
	}
	return nil
}

func (w *walk) discoverFlat(root string) error {
	c := w.c
	pairs, err := w.pair(root, false)
	if err != nil {
		return err
	}
	var spkOf map[string]string
	u2s := path.Join(root, "utt2spk")
	if b, err := readRegular(w.fsys, u2s); err == nil {
		kv, err := readPairs(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", u2s, err)
		}
		spkOf = make(map[string]string, len(kv))
		for _, p := range kv {
			spkOf[strings.ToLower(p[0])] = strings.ToLower(p[1])
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err // names the file
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
