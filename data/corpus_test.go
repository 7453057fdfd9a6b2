package data

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func files(paths ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for _, p := range paths {
		m[p] = &fstest.MapFile{Data: []byte("x")}
	}
	return m
}

// ids lists "id speaker group audio phn" for each utterance.
func ids(c *Corpus) []string {
	var out []string
	for _, u := range c.Utterances {
		out = append(out, strings.Join([]string{u.ID, u.Speaker, u.Group, u.Audio, u.PHN}, " "))
	}
	return out
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		layout  Layout
		skipBad bool
		want    []string
		wantLay Layout
		skipped []string
		err     string
	}{
		{
			name: "ldc upper case",
			fsys: files("TRAIN/DR1/FCJF0/SA1.WAV", "TRAIN/DR1/FCJF0/SA1.PHN", "TRAIN/DR1/FCJF0/SA1.WRD", "TRAIN/DR1/FCJF0/SA1.TXT", "TRAIN/DR1/FCJF0/._SA1.WAV",
				"TEST/DR2/MDAB0/SI1039.WAV", "TEST/DR2/MDAB0/SI1039.PHN", "README.DOC", "DOC/PHONCODE.DOC"),
			want: []string{
				"fcjf0_sa1 fcjf0 train TRAIN/DR1/FCJF0/SA1.WAV TRAIN/DR1/FCJF0/SA1.PHN",
				"mdab0_si1039 mdab0 test TEST/DR2/MDAB0/SI1039.WAV TEST/DR2/MDAB0/SI1039.PHN",
			},
			wantLay: LayoutLDC,
		},
		{
			name:    "ldc lower and mixed case inside a TIMIT folder",
			fsys:    files("timit/train/dr1/fcjf0/sx127.wav", "timit/train/dr1/fcjf0/sx127.phn", "timit/Test/Dr8/mRjr0/Sa2.Wav", "timit/Test/Dr8/mRjr0/Sa2.pHn"),
			want:    []string{"fcjf0_sx127 fcjf0 train timit/train/dr1/fcjf0/sx127.wav timit/train/dr1/fcjf0/sx127.phn", "mrjr0_sa2 mrjr0 test timit/Test/Dr8/mRjr0/Sa2.Wav timit/Test/Dr8/mRjr0/Sa2.pHn"},
			wantLay: LayoutLDC,
		},
		{
			name:    "ldc converted copies next to the SPHERE files",
			fsys:    files("TRAIN/DR1/FCJF0/SA1.WAV", "TRAIN/DR1/FCJF0/SA1.WAV.wav", "TRAIN/DR1/FCJF0/SA1.PHN"),
			want:    []string{"fcjf0_sa1 fcjf0 train TRAIN/DR1/FCJF0/SA1.WAV TRAIN/DR1/FCJF0/SA1.PHN"},
			wantLay: LayoutLDC,
		},
		{
			name:    "nltk",
			fsys:    files("dr1-fvmh0/sa1.wav", "dr1-fvmh0/sa1.phn", "dr1-fvmh0/sa1.wrd", "dr1-fvmh0/si1466.wav", "dr1-fvmh0/si1466.phn", "dr6-mbma1/SX34.WAV", "dr6-mbma1/SX34.PHN", "spkrinfo.txt"),
			want:    []string{"fvmh0_sa1 fvmh0  dr1-fvmh0/sa1.wav dr1-fvmh0/sa1.phn", "fvmh0_si1466 fvmh0  dr1-fvmh0/si1466.wav dr1-fvmh0/si1466.phn", "mbma1_sx34 mbma1  dr6-mbma1/SX34.WAV dr6-mbma1/SX34.PHN"},
			wantLay: LayoutNLTK,
		},
		{
			name:    "flat by prefix",
			fsys:    files("spk1_a.wav", "spk1_a.phn", "SPK2_B.WAV", "SPK2_B.PHN"),
			want:    []string{"spk1_a spk1  spk1_a.wav spk1_a.phn", "spk2_b spk2  SPK2_B.WAV SPK2_B.PHN"},
			wantLay: LayoutFlat,
		},
		{
			name: "flat with utt2spk",
			fsys: func() fstest.MapFS {
				m := files("hello.wav", "hello.phn", "alice_x.wav", "alice_x.phn")
				m["utt2spk"] = &fstest.MapFile{Data: []byte("hello bob\nalice_x alice\n")}
				return m
			}(),
			want:    []string{"alice_x alice  alice_x.wav alice_x.phn", "bob_hello bob  hello.wav hello.phn"},
			wantLay: LayoutFlat,
		},
		{
			name:   "forced layout",
			fsys:   files("dr1-fvmh0/sa1.wav", "dr1-fvmh0/sa1.phn"),
			layout: LayoutFlat,
			err:    "no utterances",
		},
		{name: "flat without speaker", fsys: files("hello.wav", "hello.phn"), err: "hello.wav: cannot tell the speaker"},
		{name: "missing phn", fsys: files("dr1-fvmh0/sa1.wav", "dr1-fvmh0/sa2.wav", "dr1-fvmh0/sa2.phn"), err: "dr1-fvmh0/sa1.wav: no .PHN file"},
		{name: "missing audio", fsys: files("dr1-fvmh0/sa1.phn", "dr1-fvmh0/sa2.wav", "dr1-fvmh0/sa2.phn"), err: "dr1-fvmh0/sa1.phn: no audio"},
		{
			name:    "missing phn skipped",
			fsys:    files("dr1-fvmh0/sa1.wav", "dr1-fvmh0/sa2.wav", "dr1-fvmh0/sa2.phn"),
			skipBad: true,
			want:    []string{"fvmh0_sa2 fvmh0  dr1-fvmh0/sa2.wav dr1-fvmh0/sa2.phn"},
			wantLay: LayoutNLTK,
			skipped: []string{"dr1-fvmh0/sa1.wav"},
		},
		{name: "unknown layout", fsys: files("notes.txt", "a/b.txt"), err: "cannot tell the corpus layout"},
		{name: "duplicate ids", fsys: files("TRAIN/DR1/FCJF0/SA1.WAV", "TRAIN/DR1/FCJF0/SA1.PHN", "TEST/DR1/FCJF0/SA1.WAV", "TEST/DR1/FCJF0/SA1.PHN"), err: "used twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Discover(tc.fsys, tc.layout, tc.skipBad)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("utterances\n got %q\nwant %q", got, tc.want)
			}
			if c.Layout != tc.wantLay {
				t.Errorf("layout %q, want %q", c.Layout, tc.wantLay)
			}
			var sk []string
			for _, s := range c.Skipped {
				sk = append(sk, s.Path)
			}
			if !reflect.DeepEqual(sk, tc.skipped) {
				t.Errorf("skipped %q, want %q", sk, tc.skipped)
			}
		})
	}
}

// TestDiscoverErrors: the errors a caller acts on are ErrUnknownLayout and
// *UnpairedFileError, and none names a command-line flag.
func TestDiscoverErrors(t *testing.T) {
	_, err := Discover(files("notes.txt", "a/b.txt"), LayoutAuto, false)
	if !errors.Is(err, ErrUnknownLayout) || strings.Contains(err.Error(), "--") {
		t.Errorf("unknown layout: %v", err)
	}
	for _, tc := range []struct {
		fsys         fstest.MapFS
		path, reason string
	}{
		{files("dr1-fvmh0/sa1.wav", "dr1-fvmh0/sa2.wav", "dr1-fvmh0/sa2.phn"), "dr1-fvmh0/sa1.wav", "no .PHN file next to it"},
		{files("a_x.wav", "a_x.phn", "a_y.PHN"), "a_y.PHN", "no audio (.WAV) file next to it"},
	} {
		_, err := Discover(tc.fsys, LayoutAuto, false)
		var ue *UnpairedFileError
		if !errors.As(err, &ue) || ue.Path != tc.path || ue.Reason != tc.reason {
			t.Errorf("%s: %v, want an *UnpairedFileError", tc.path, err)
			continue
		}
		if want := tc.path + ": " + tc.reason; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		c, err := Discover(tc.fsys, LayoutAuto, true)
		if err != nil || len(c.Skipped) != 1 || c.Skipped[0] != (Skipped{Path: ue.Path, Reason: ue.Reason}) {
			t.Errorf("%s with skipBad: %v, skipped %+v", tc.path, err, c)
		}
	}
}

func TestParseLayout(t *testing.T) {
	for in, want := range map[string]Layout{"": LayoutAuto, "auto": LayoutAuto, "LDC": LayoutLDC, "nltk": LayoutNLTK, "flat": LayoutFlat} {
		if got, err := ParseLayout(in); err != nil || got != want {
			t.Errorf("ParseLayout(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseLayout("kaldi"); err == nil {
		t.Error("ParseLayout(kaldi) accepted")
	}
}

// link adds a symbolic link at p to target (relative to p's folder).
func link(m fstest.MapFS, p, target string) {
	m[p] = &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink}
}

// TestDiscoverLinks: symbolic links to folders and files are followed in
// every layout (Kaldi recipes assemble corpora from links), and corpus
// files that are not regular files, broken links and names that differ
// only in letter case are refused, or with skipBad listed, never dropped
// silently.
func TestDiscoverLinks(t *testing.T) {
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		skipBad bool
		want    []string // ids
		wantLay Layout
		skipped []string // "path: reason"
		err     string
	}{
		{
			name: "nltk, every speaker folder a link",
			fsys: func() fstest.MapFS {
				m := files("store/a/sx1.wav", "store/a/sx1.phn", "store/b/sx2.wav", "store/b/sx2.phn")
				link(m, "dr1-fvmh0", "store/a")
				link(m, "dr2-faem0", "store/b")
				return m
			}(),
			want: []string{"faem0_sx2", "fvmh0_sx1"}, wantLay: LayoutNLTK,
		},
		{
			name: "nltk, some speaker folders links",
			fsys: func() fstest.MapFS {
				m := files("dr1-fvmh0/sx1.wav", "dr1-fvmh0/sx1.phn", "store/b/sx2.wav", "store/b/sx2.phn")
				link(m, "dr2-faem0", "store/b")
				return m
			}(),
			want: []string{"faem0_sx2", "fvmh0_sx1"}, wantLay: LayoutNLTK,
		},
		{
			name: "ldc, a linked dialect region and a linked TEST",
			fsys: func() fstest.MapFS {
				m := files("TRAIN/DR1/FCJF0/SI1.WAV", "TRAIN/DR1/FCJF0/SI1.PHN",
					"elsewhere/DR3/MABC0/SI2.WAV", "elsewhere/DR3/MABC0/SI2.PHN",
					"other/TEST/DR1/MDAB0/SI3.WAV", "other/TEST/DR1/MDAB0/SI3.PHN")
				link(m, "TRAIN/DR3", "../elsewhere/DR3")
				link(m, "TEST", "other/TEST")
				return m
			}(),
			want: []string{"fcjf0_si1", "mabc0_si2", "mdab0_si3"}, wantLay: LayoutLDC,
		},
		{
			name: "ldc, TRAIN and TEST links only",
			fsys: func() fstest.MapFS {
				m := files("x/TRAIN/DR1/FCJF0/SI1.WAV", "x/TRAIN/DR1/FCJF0/SI1.PHN", "x/TEST/DR1/MDAB0/SI3.WAV", "x/TEST/DR1/MDAB0/SI3.PHN")
				link(m, "TRAIN", "x/TRAIN")
				link(m, "TEST", "x/TEST")
				m["x/TRAIN/.keep"] = &fstest.MapFile{}
				return m
			}(),
			want: []string{"fcjf0_si1", "mdab0_si3"}, wantLay: LayoutLDC,
		},
		{
			name: "flat, linked files",
			fsys: func() fstest.MapFS {
				m := files("src/one.wav", "src/one.phn", "a_x.phn")
				link(m, "a_x.wav", "src/one.wav")
				link(m, "b_y.wav", "src/one.wav")
				link(m, "b_y.phn", "src/one.phn")
				return m
			}(),
			want: []string{"a_x", "b_y"}, wantLay: LayoutFlat,
		},
		{
			name: "broken link to a speaker folder",
			fsys: func() fstest.MapFS {
				m := files("dr1-fvmh0/sx1.wav", "dr1-fvmh0/sx1.phn")
				link(m, "dr2-faem0", "store/gone")
				return m
			}(),
			err: "dr2-faem0: cannot follow the symbolic link: file does not exist",
		},
		{
			name: "broken link to a speaker folder, skipped",
			fsys: func() fstest.MapFS {
				m := files("dr1-fvmh0/sx1.wav", "dr1-fvmh0/sx1.phn")
				link(m, "dr2-faem0", "store/gone")
				return m
			}(),
			skipBad: true, want: []string{"fvmh0_sx1"}, wantLay: LayoutNLTK,
			skipped: []string{"dr2-faem0: cannot follow the symbolic link: file does not exist"},
		},
		{
			name: "broken link to an audio file",
			fsys: func() fstest.MapFS {
				m := files("a_x.wav", "a_x.phn", "a_y.phn")
				link(m, "a_y.wav", "gone.wav")
				return m
			}(),
			err: "a_y.wav: cannot follow the symbolic link: file does not exist",
		},
		{
			name: "named pipe",
			fsys: func() fstest.MapFS {
				m := files("a_x.wav", "a_x.phn", "a_y.phn")
				m["a_y.wav"] = &fstest.MapFile{Mode: fs.ModeNamedPipe}
				return m
			}(),
			err: "a_y.wav: not a regular file (a named pipe)",
		},
		{
			name: "device .PHN, skipped with its audio",
			fsys: func() fstest.MapFS {
				m := files("a_x.wav", "a_x.phn", "a_y.wav")
				m["a_y.phn"] = &fstest.MapFile{Mode: fs.ModeDevice | fs.ModeCharDevice}
				return m
			}(),
			skipBad: true, want: []string{"a_x"}, wantLay: LayoutFlat,
			skipped: []string{"a_y.phn: not a regular file (a character device)"},
		},
		{
			name: "link to a named pipe",
			fsys: func() fstest.MapFS {
				m := files("a_x.phn")
				m["fifo"] = &fstest.MapFile{Mode: fs.ModeNamedPipe}
				link(m, "a_x.wav", "fifo")
				return m
			}(),
			err: "a_x.wav: not a regular file (a named pipe)",
		},
		{
			name: "names differing only in case",
			fsys: files("dr3-falk0/falk0_sx96.wav", "dr3-falk0/FALK0_SX96.WAV", "dr3-falk0/falk0_sx96.phn"),
			err:  "dr3-falk0/falk0_sx96.wav: the same utterance as FALK0_SX96.WAV (the names differ only in letter case)",
		},
		{
			name:    "names differing only in case, skipped",
			fsys:    files("dr3-falk0/falk0_sx96.wav", "dr3-falk0/FALK0_SX96.WAV", "dr3-falk0/falk0_sx96.phn", "dr3-falk0/sx1.wav", "dr3-falk0/sx1.phn"),
			skipBad: true, want: []string{"falk0_sx1"}, wantLay: LayoutNLTK,
			skipped: []string{"dr3-falk0/falk0_sx96.wav: the same utterance as FALK0_SX96.WAV (the names differ only in letter case)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Discover(tc.fsys, LayoutAuto, tc.skipBad)
			if tc.err != "" {
				var ce *CorpusFileError
				if err == nil || err.Error() != tc.err || !errors.As(err, &ce) {
					t.Fatalf("error %v, want a *CorpusFileError %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, sk []string
			for _, u := range c.Utterances {
				got = append(got, u.ID)
			}
			for _, s := range c.Skipped {
				sk = append(sk, s.Path+": "+s.Reason)
			}
			if !reflect.DeepEqual(got, tc.want) || c.Layout != tc.wantLay || !reflect.DeepEqual(sk, tc.skipped) {
				t.Errorf("got %s %q skipped %q, want %s %q skipped %q", c.Layout, got, sk, tc.wantLay, tc.want, tc.skipped)
			}
			for _, u := range c.Utterances {
				if _, err := readRegular(tc.fsys, u.Audio); err != nil {
					t.Errorf("audio of %s: %v", u.ID, err)
				}
			}
		})
	}
}

// TestDiscoverLinksOS: the same on a real folder through os.DirFS, and the
// loop guard: a link to an ancestor, or a second link to one folder, is
// refused (or with skipBad listed) rather than read again.
func TestDiscoverLinksOS(t *testing.T) {
	write := func(dir string, names ...string) {
		t.Helper()
		for _, n := range names {
			p := filepath.Join(dir, n)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	symlink := func(target, p string) {
		t.Helper()
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	tests := []struct {
		name    string
		make    func(dir string)
		skipBad bool
		want    []string
		skipped []string
		err     string
	}{
		{
			name: "ldc with linked speakers, region and TEST",
			make: func(dir string) {
				write(dir, "TRAIN/DR1/FCJF0/SI1.WAV", "TRAIN/DR1/FCJF0/SI1.PHN", "store/MABC0/SI2.WAV", "store/MABC0/SI2.PHN",
					"store/DR3/MXYZ0/SI4.WAV", "store/DR3/MXYZ0/SI4.PHN", "store/TEST/DR1/MDAB0/SI3.WAV", "store/TEST/DR1/MDAB0/SI3.PHN")
				symlink(filepath.Join(dir, "store/MABC0"), filepath.Join(dir, "TRAIN/DR1/MABC0"))
				symlink("../store/DR3", filepath.Join(dir, "TRAIN/DR3"))
				symlink("store/TEST", filepath.Join(dir, "TEST"))
			},
			want: []string{"fcjf0_si1", "mabc0_si2", "mdab0_si3", "mxyz0_si4"},
		},
		{
			name: "link to an ancestor",
			make: func(dir string) {
				write(dir, "TRAIN/DR1/FCJF0/SI1.WAV", "TRAIN/DR1/FCJF0/SI1.PHN")
				symlink("..", filepath.Join(dir, "TRAIN/DR1/MLOP0"))
			},
			err: "TRAIN/DR1/MLOP0: a symbolic link loop: the same folder as TRAIN, which contains it",
		},
		{
			name: "link to the corpus folder",
			make: func(dir string) {
				write(dir, "dr1-fvmh0/sx1.wav", "dr1-fvmh0/sx1.phn")
				symlink(".", filepath.Join(dir, "dr2-faem0"))
			},
			err: "dr2-faem0: a symbolic link loop: the same folder as the corpus folder, which contains it",
		},
		{
			name: "link out of the corpus to a folder without speech",
			make: func(dir string) {
				write(dir, "dr1-fvmh0/sx1.wav", "dr1-fvmh0/sx1.phn")
				symlink("..", filepath.Join(dir, "dr2-faem0"))
			},
			err: "dr2-faem0: no .WAV or .PHN files in this speaker folder",
		},
		{
			name: "one folder linked as two speakers",
			make: func(dir string) {
				write(dir, "store/sx1.wav", "store/sx1.phn")
				symlink("store", filepath.Join(dir, "dr1-fvmh0"))
				symlink("store", filepath.Join(dir, "dr2-faem0"))
			},
			err: "dr2-faem0: the same folder as dr1-fvmh0 (linked twice)",
		},
		{
			name: "one folder linked as two speakers, skipped",
			make: func(dir string) {
				write(dir, "store/sx1.wav", "store/sx1.phn")
				symlink("store", filepath.Join(dir, "dr1-fvmh0"))
				symlink("store", filepath.Join(dir, "dr2-faem0"))
			},
			skipBad: true,
			want:    []string{"fvmh0_sx1"},
			skipped: []string{"dr2-faem0: the same folder as dr1-fvmh0 (linked twice)"},
		},
		{
			name: "link to itself",
			make: func(dir string) {
				write(dir, "a_x.phn", "a_y.wav", "a_y.phn")
				symlink("a_x.wav", filepath.Join(dir, "a_x.wav"))
			},
			err: "a_x.wav: cannot follow the symbolic link: too many levels of symbolic links",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.make(dir)
			c, err := Discover(os.DirFS(dir), LayoutAuto, tc.skipBad)
			if tc.err != "" {
				var ce *CorpusFileError
				if err == nil || err.Error() != tc.err || !errors.As(err, &ce) {
					t.Fatalf("error %v, want a *CorpusFileError %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, sk []string
			for _, u := range c.Utterances {
				got = append(got, u.ID)
			}
			for _, s := range c.Skipped {
				sk = append(sk, s.Path+": "+s.Reason)
			}
			if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(sk, tc.skipped) {
				t.Errorf("got %q skipped %q, want %q skipped %q", got, sk, tc.want, tc.skipped)
			}
		})
	}
}
