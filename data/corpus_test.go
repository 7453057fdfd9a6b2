package data

import (
	"errors"
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
