package data

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// copyDir copies the files of split folder src into a new folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func editFile(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadSplitRejects damages a copy of an extracted split folder in the
// ways the hardening table lists and checks the error names the file and,
// where there is one, the utterance.
func TestLoadSplitRejects(t *testing.T) {
	out, _ := extractTo(t, testCorpus(), ExtractOptions{})
	good := filepath.Join(out, Dev)
	first := "faem0_si1" // the first utterance of dev
	tests := []struct {
		name   string
		break_ func(dir string)
		want   []string
	}{
		{"feats cut short", func(d string) {
			editFile(t, filepath.Join(d, "feats.ark"), func(b []byte) []byte { return b[:len(b)-100] })
		}, []string{"feats.ark", "cut short"}},
		{"NaN feature", func(d string) {
			editFile(t, filepath.Join(d, "feats.ark"), func(b []byte) []byte {
				// first value of the first matrix: key, space, \0B, "FM ", 2 sizes.
				off := len(first) + 1 + 2 + 3 + 10 + 4*7
				binary.LittleEndian.PutUint32(b[off:], math.Float32bits(float32(math.NaN())))
				return b
			})
		}, []string{"feats.ark", first, "non-finite", "frame 0, dim 7"}},
		{"ali cut short", func(d string) {
			editFile(t, filepath.Join(d, "ali.ark"), func(b []byte) []byte { return b[:len(b)-3] })
		}, []string{"ali.ark", "cut short"}},
		{"ali length", func(d string) {
			editFile(t, filepath.Join(d, "ali.ark"), func(b []byte) []byte {
				off := len(first) + 1 + 2
				n := binary.LittleEndian.Uint32(b[off+1:])
				binary.LittleEndian.PutUint32(b[off+1:], n-1)
				// drop one element so the archive stays well-formed
				return append(b[:off+5+5*int(n-1)], b[off+5+5*int(n):]...)
			})
		}, []string{"ali.ark", first, "labels for"}},
		{"label out of range", func(d string) {
			editFile(t, filepath.Join(d, "ali.ark"), func(b []byte) []byte {
				binary.LittleEndian.PutUint32(b[len(first)+1+2+5+1:], 61)
				return b
			})
		}, []string{"ali.ark", first, "label 61"}},
		{"no speaker", func(d string) {
			editFile(t, filepath.Join(d, "utt2spk"), func(b []byte) []byte { return b[strings.IndexByte(string(b), '\n')+1:] })
		}, []string{"utt2spk", first}},
		{"scp offset wrong", func(d string) {
			editFile(t, filepath.Join(d, "feats.scp"), func(b []byte) []byte {
				return []byte(strings.Replace(string(b), first+" feats.ark:10\n", first+" feats.ark:11\n", 1))
			})
		}, []string{first, "does not match"}},
		{"scp line missing", func(d string) {
			editFile(t, filepath.Join(d, "feats.scp"), func(b []byte) []byte { return b[strings.IndexByte(string(b), '\n')+1:] })
		}, []string{"feats.scp", "manifest says"}},
		{"manifest dims", func(d string) {
			editFile(t, filepath.Join(d, "manifest.json"), func(b []byte) []byte {
				return []byte(strings.Replace(string(b), `"deltas": 2`, `"deltas": 1`, 1))
			})
		}, []string{"manifest.json", "dim 39"}},
		{"manifest garbage", func(d string) {
			editFile(t, filepath.Join(d, "manifest.json"), func(b []byte) []byte { return b[:20] })
		}, []string{"manifest.json"}},
		{"no ali", func(d string) { os.Remove(filepath.Join(d, "ali.ark")) }, []string{"ali.ark"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := copyDir(t, good)
			// The copy's feats.scp still names the original archive; point it
			// at the copy so the damage is seen.
			editFile(t, filepath.Join(d, "feats.scp"), func(b []byte) []byte {
				return []byte(strings.ReplaceAll(string(b), filepath.Join(good, "feats.ark"), "feats.ark"))
			})
			tc.break_(d)
			// OpenSplit makes the same checks as LoadSplit.
			for name, load := range map[string]func(string) (*Split, error){"LoadSplit": LoadSplit, "OpenSplit": OpenSplit} {
				_, err := load(d)
				if err == nil {
					t.Fatalf("%s: damaged split loaded", name)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error %q does not mention %q", name, err, w)
					}
				}
			}
		})
	}
}

// TestLoadSplitMoved: a split folder still loads after it is moved, though
// feats.scp holds absolute paths (Kaldi style).
func TestLoadSplitMoved(t *testing.T) {
	out, _ := extractTo(t, testCorpus(), ExtractOptions{})
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Rename(filepath.Join(out, Test), moved); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSplit(moved)
	if err != nil || len(s.Sentences) != 6 {
		t.Fatalf("moved split: %v", err)
	}
}

// TestLoadSplitCopied: a copy of a split folder reads its own archive, not
// the original the scp names, so damage to the copy is seen.
func TestLoadSplitCopied(t *testing.T) {
	out, _ := extractTo(t, testCorpus(), ExtractOptions{})
	orig := filepath.Join(out, Test)
	cp := copyDir(t, orig)
	editFile(t, filepath.Join(cp, "feats.ark"), func(b []byte) []byte { return b[:len(b)/2] })
	if _, err := LoadSplit(orig); err != nil {
		t.Fatalf("original: %v", err)
	}
	_, err := LoadSplit(cp)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(cp, "feats.ark")) {
		t.Fatalf("cut-short copy: got %v, want an error naming %s", err, filepath.Join(cp, "feats.ark"))
	}
}

// TestSplitNormalize: after normalising with the training statistics the
// training features have mean 0 and standard deviation 1 in every
// dimension, to float32 accumulation accuracy (1e-4 over a few thousand
// frames of values of order 1).
func TestSplitNormalize(t *testing.T) {
	out, _ := extractTo(t, testCorpus(), ExtractOptions{})
	s, err := LoadSplit(filepath.Join(out, Train))
	if err != nil {
		t.Fatal(err)
	}
	s.Normalize(s.Manifest.CMVNMean, s.Manifest.CMVNStd)
	st := features.NewStats(s.Manifest.Dim)
	for _, x := range s.Sentences {
		st.Add(x.Feats)
	}
	mean, std, err := st.MeanStd()
	if err != nil {
		t.Fatal(err)
	}
	for d := range mean {
		if math.Abs(float64(mean[d])) > 1e-4 || math.Abs(float64(std[d])-1) > 1e-4 {
			t.Errorf("dim %d: mean %g, std %g after normalisation", d, mean[d], std[d])
		}
	}
	if s.Frames() != s.Manifest.Counts.Frames {
		t.Errorf("Frames() = %d, manifest %d", s.Frames(), s.Manifest.Counts.Frames)
	}
}

func ExampleLoadSplit() {
	s, err := LoadSplit("out/train") // a split folder written by Extract
	if err != nil {
		fmt.Println(errors.Is(err, fs.ErrNotExist)) // no such folder here
		return
	}
	s.Normalize(s.Manifest.CMVNMean, s.Manifest.CMVNStd)
	for _, x := range s.Sentences {
		_ = x.Feats.Row(0) // frame 0 of x.ID, labelled x.Labels[0]
	}
	// Output: true
}

// FuzzParseManifest: manifest parsing and checking never panic, and an
// accepted manifest is consistent (dimension, phones, CMVN lengths).
func FuzzParseManifest(f *testing.F) {
	cfg := features.DefaultConfig()
	good := &Manifest{
		Version: ManifestVersion, Split: Test, Features: cfg, Dim: cfg.Dim(),
		Phones: labels.TIMIT61().Names(), ExcludedLabel: labels.Excluded,
		CMVNMean: make([]float32, cfg.Dim()), CMVNStd: make([]float32, cfg.Dim()),
		Counts:     Counts{Utterances: 1, Frames: 98},
		Utterances: []UtteranceSource{{ID: "a_b", Speaker: "a", Frames: 98}},
	}
	for i := range good.CMVNStd {
		good.CMVNStd[i] = 1
	}
	b, err := json.Marshal(good)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := parseManifest(b); err != nil {
		f.Fatalf("seed manifest rejected: %v", err)
	}
	f.Add(b)
	f.Add([]byte(`{"version":1,"features":{"num_ceps":13,"deltas":2}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			return
		}
		if m.Dim != m.Features.Dim() || len(m.Phones) != 61 || len(m.CMVNMean) != m.Dim || len(m.CMVNStd) != m.Dim {
			t.Fatalf("inconsistent manifest accepted: %+v", m)
		}
	})
}

// TestManifestSpeakers: the speaker list is read back; a manifest written
// before it was recorded (no "speakers") gets it from its utterances, and a
// list that disagrees with them is refused.
func TestManifestSpeakers(t *testing.T) {
	cfg := features.DefaultConfig()
	m := &Manifest{
		Version: ManifestVersion, Split: Test, Features: cfg, Dim: cfg.Dim(),
		Phones: labels.TIMIT61().Names(), ExcludedLabel: labels.Excluded,
		CMVNMean: make([]float32, cfg.Dim()), CMVNStd: make([]float32, cfg.Dim()),
		Counts:     Counts{Utterances: 3, Speakers: 2},
		Utterances: []UtteranceSource{{ID: "b_x", Speaker: "b"}, {ID: "a_x", Speaker: "a"}, {ID: "a_y", Speaker: "a"}},
	}
	for i := range m.CMVNStd {
		m.CMVNStd[i] = 1
	}
	for _, tc := range []struct {
		name     string
		speakers []string
		want     []string
		err      string
	}{
		{"old manifest", nil, []string{"a", "b"}, ""},
		{"recorded", []string{"a", "b"}, []string{"a", "b"}, ""},
		{"disagreeing", []string{"a"}, nil, "speaker list (1 speakers) disagrees with the utterances' speakers (2)"},
	} {
		m.Speakers = tc.speakers
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if tc.speakers == nil {
			b = []byte(strings.Replace(string(b), `"speakers":null,`, "", 1))
			if strings.Contains(string(b), `"speakers":null`) || strings.Contains(string(b), `"speakers":[`) {
				t.Fatalf("%s: %s", tc.name, b)
			}
		}
		got, err := parseManifest(b)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got.Speakers, tc.want) {
			t.Errorf("%s: %v, speakers %q, want %q", tc.name, err, got.Speakers, tc.want)
		}
	}
}
