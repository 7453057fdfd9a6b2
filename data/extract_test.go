package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// testCorpus: 6 speakers (the four of the sample's default split plus two
// trainers) × 4 utterances (sa1 left out by default, si1 with a gap).
func testCorpus() fstest.MapFS {
	return synthCorpus(7, []string{"dr1-fvmh0", "dr1-mcpm0", "dr2-faem0", "dr2-marc0", "dr3-falk0", "dr3-madc0"},
		[]string{"sa1", "si1", "sx1", "sx2"}, 1.0)
}

func extractTo(t *testing.T, fsys fstest.MapFS, opts ExtractOptions) (string, *Summary) {
	t.Helper()
	out := t.TempDir()
	if opts.Features == (features.Config{}) {
		opts.Features = features.DefaultConfig()
	}
	sum, err := Extract(context.Background(), fsys, out, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out, sum
}

// TestExtract extracts a synthetic corpus and checks every output against
// an independent computation: features are bit-identical to the Extractor's
// (same code, same input: no tolerance needed), labels equal labels.Align
// of the .PHN, CMVN equals the statistics of the training split alone.
func TestExtract(t *testing.T) {
	fsys := testCorpus()
	cfg := features.DefaultConfig()
	var progress []Progress
	out := t.TempDir()
	sum, err := Extract(context.Background(), fsys, out, ExtractOptions{Features: cfg, Jobs: 3, Corpus: "synthetic"}, func(p Progress) {
		progress = append(progress, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantSpk := map[string][]string{Train: {"falk0", "madc0"}, Dev: {"faem0", "marc0"}, Test: {"fvmh0", "mcpm0"}}
	if len(progress) != 18 || progress[17] != (Progress{Split: Test, Done: 6, Total: 6, Seconds: progress[17].Seconds}) {
		t.Errorf("progress reports: %d, last %+v", len(progress), progress[len(progress)-1])
	}
	ex, err := features.NewExtractor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	trainStats := features.NewStats(cfg.Dim())
	var mean, std []float32
	for i, name := range SplitNames() {
		s, err := LoadSplit(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		m := s.Manifest
		if sum.Splits[i].Name != name || sum.Splits[i].Counts.Utterances != 6 || m.Counts.Utterances != 6 || m.Counts.Speakers != 2 {
			t.Errorf("%s: summary %+v, manifest counts %+v", name, sum.Splits[i], m.Counts)
		}
		if got := speakersOf(uttsOf(s)); !reflect.DeepEqual(got, wantSpk[name]) {
			t.Errorf("%s speakers %v, want %v", name, got, wantSpk[name])
		}
		if !reflect.DeepEqual(m.Speakers, wantSpk[name]) || !reflect.DeepEqual(sum.Splits[i].Speakers, wantSpk[name]) {
			t.Errorf("%s: speakers %v in the manifest, %v in the summary, want %v", name, m.Speakers, sum.Splits[i].Speakers, wantSpk[name])
		}
		raw, err := os.ReadFile(filepath.Join(out, name, "manifest.json"))
		if err != nil || !strings.Contains(string(raw), `"speakers": [`) {
			t.Errorf("%s/manifest.json lacks the speaker list: %v", name, err)
		}
		var frames, excluded int64
		var seconds float64
		for j, sent := range s.Sentences {
			src := m.Utterances[j]
			if src.ID != sent.ID || strings.HasSuffix(sent.ID, "_sa1") || !strings.HasPrefix(sent.ID, sent.Speaker+"_") {
				t.Errorf("%s: sentence %d is %s (source %s)", name, j, sent.ID, src.ID)
			}
			a, err := ReadAudio(fsys, src.Audio, cfg.SampleRate)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ex.Compute(a.Samples)
			if err != nil {
				t.Fatal(err)
			}
			if sent.Feats.Rows != cfg.NumFrames(len(a.Samples)) || !sameBits(sent.Feats, want) {
				t.Errorf("%s: features of %s differ from the Extractor's", name, sent.ID)
			}
			segs, err := labels.ParsePHN(bytes.NewReader(fsys[src.PHN].Data))
			if err != nil {
				t.Fatal(err)
			}
			ali, exc := labels.Align(segs, want.Rows, cfg.FrameCentre)
			if !reflect.DeepEqual(sent.Labels, ali) {
				t.Errorf("%s: labels of %s differ from labels.Align", name, sent.ID)
			}
			// text holds every .PHN segment's phone, in order.
			if len(sent.Phones) != len(segs) {
				t.Errorf("%s: %s has %d reference phones, the .PHN %d segments", name, sent.ID, len(sent.Phones), len(segs))
			}
			for k := range min(len(segs), len(sent.Phones)) {
				if int(sent.Phones[k]) != segs[k].Phone {
					t.Errorf("%s: %s phone %d is %d, the .PHN says %d", name, sent.ID, k, sent.Phones[k], segs[k].Phone)
					break
				}
			}
			frames += int64(want.Rows)
			excluded += int64(exc)
			seconds += float64(len(a.Samples)) / float64(cfg.SampleRate)
			if name == Train {
				trainStats.Add(want)
			}
		}
		// The si1 utterances have a 400-sample gap: 2 or 3 frames excluded.
		if m.Counts.Frames != frames || m.Counts.ExcludedFrames != excluded || excluded < 4 || math.Abs(m.Counts.Seconds-seconds) > 1e-9 {
			t.Errorf("%s: counts %+v; want %d frames, %d excluded, %g s", name, m.Counts, frames, excluded, seconds)
		}
		if name == Train {
			if mean, std, err = trainStats.MeanStd(); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(m.CMVNMean, mean) || !reflect.DeepEqual(m.CMVNStd, std) || m.CMVNFrames != trainStats.Count() {
			t.Errorf("%s: manifest CMVN is not the training split's", name)
		}
		if m.Corpus != "synthetic" || m.Layout != LayoutNLTK || m.Split != name || len(m.Phones) != 61 {
			t.Errorf("%s: manifest header %+v", name, m)
		}
		phones, err := os.ReadFile(filepath.Join(out, name, "phones.txt"))
		if err != nil || !strings.HasPrefix(string(phones), "aa 0\nae 1\n") || !strings.HasSuffix(string(phones), "zh 60\n") {
			t.Errorf("%s/phones.txt: %q, %v", name, phones, err)
		}
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 3 {
		t.Errorf("output folder holds %d entries, want train, dev, test only", len(ents))
	}
}

func uttsOf(s *Split) []Utterance {
	var us []Utterance
	for _, x := range s.Sentences {
		us = append(us, Utterance{ID: x.ID, Speaker: x.Speaker})
	}
	return us
}

// TestExtractDeterministic: the archives do not depend on the number of
// workers.
func TestExtractDeterministic(t *testing.T) {
	fsys := testCorpus()
	out1, _ := extractTo(t, fsys, ExtractOptions{Jobs: 1})
	out2, _ := extractTo(t, fsys, ExtractOptions{Jobs: 5})
	for _, f := range []string{"train/feats.ark", "train/ali.ark", "test/feats.ark", "dev/utt2spk"} {
		a, err1 := os.ReadFile(filepath.Join(out1, f))
		b, err2 := os.ReadFile(filepath.Join(out2, f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between 1 and 5 workers (%v, %v)", f, err1, err2)
		}
	}
}

// noOutput fails unless out holds nothing: no split folder, no temp folder.
func noOutput(t *testing.T, out string) {
	t.Helper()
	ents, err := os.ReadDir(out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestExtractCancelled(t *testing.T) {
	fsys := testCorpus()
	opts := ExtractOptions{Features: features.DefaultConfig(), Jobs: 2}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := t.TempDir()
	if _, err := Extract(ctx, fsys, out, opts, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before the start: %v", err)
	}
	noOutput(t, out)

	// Cancelled while the dev split is being written, after train is done.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	out = t.TempDir()
	_, err := Extract(ctx, fsys, out, opts, func(p Progress) {
		if p.Split == Dev && p.Done == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled mid-run: %v", err)
	}
	noOutput(t, out)
}

func TestExtractBadFiles(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(fstest.MapFS)
		err    string
	}{
		{"not audio", func(m fstest.MapFS) { m["dr3-falk0/sx1.wav"].Data = []byte("hello") }, "dr3-falk0/sx1.wav"},
		{"truncated phn", func(m fstest.MapFS) { m["dr1-mcpm0/sx2.phn"].Data = []byte("0 100 h#\n100") }, "dr1-mcpm0/sx2.phn: line 2"},
		{"unknown phone", func(m fstest.MapFS) { m["dr2-faem0/si1.phn"].Data = []byte("0 100 h#\n100 2000 xx\n") }, "dr2-faem0/si1.phn: line 2"},
		{"phones past the audio", func(m fstest.MapFS) { m["dr2-faem0/sx1.phn"].Data = []byte("0 100 h#\n100 99000 aa\n") }, "dr2-faem0/sx1.phn"},
		{"8 kHz", func(m fstest.MapFS) {
			m["dr3-madc0/sx2.wav"].Data = wavBytes(make([]int16, 8000), 8000)
		}, "dr3-madc0/sx2.wav"},
		{"too short", func(m fstest.MapFS) {
			m["dr3-madc0/sx2.wav"].Data = wavBytes(make([]int16, 100), 16000)
			m["dr3-madc0/sx2.phn"].Data = []byte("0 100 h#\n")
		}, "dr3-madc0/sx2.wav"},
		{"missing phn", func(m fstest.MapFS) { delete(m, "dr3-madc0/sx2.phn") }, "dr3-madc0/sx2.wav: no .PHN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := testCorpus()
			tc.break_(fsys)
			opts := ExtractOptions{Features: features.DefaultConfig(), Jobs: 2}
			out := filepath.Join(t.TempDir(), "out")
			_, err := Extract(context.Background(), fsys, out, opts, nil)
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line containing %q", err, tc.err)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the output folder the failed run made is still there: %v", err)
			}

			opts.SkipBad = true
			sum, err := Extract(context.Background(), fsys, out, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			var total int
			for _, s := range sum.Splits {
				total += s.Counts.Utterances
			}
			if len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].Path+": "+sum.Skipped[0].Reason, tc.err) || total != 17 {
				t.Fatalf("skip-bad: %d utterances, skipped %+v", total, sum.Skipped)
			}
			var listed int
			for _, name := range SplitNames() {
				m, err := ReadManifest(filepath.Join(out, name, "manifest.json"))
				if err != nil {
					t.Fatal(err)
				}
				listed += len(m.Skipped)
			}
			if listed == 0 {
				t.Error("skipped file not listed in any manifest")
			}
		})
	}
}

func TestExtractExistingOutput(t *testing.T) {
	fsys := testCorpus()
	out, _ := extractTo(t, fsys, ExtractOptions{})
	opts := ExtractOptions{Features: features.DefaultConfig(), Split: SplitOptions{TestSpeakers: []string{"falk0"}}}
	_, err := Extract(context.Background(), fsys, out, opts, nil)
	if want := filepath.Join(out, Train) + " already exists"; !errors.Is(err, ErrOutputExists) || err.Error() != want {
		t.Fatalf("second run over the output: %v, want %q", err, want)
	}
	// With Overwrite the old splits are replaced, the stale dev removed.
	opts.Overwrite = true
	if _, err := Extract(context.Background(), fsys, out, opts, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, Dev)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale dev split survived: %v", err)
	}
	s, err := LoadSplit(filepath.Join(out, Test))
	if err != nil || len(s.Sentences) != 3 || s.Sentences[0].Speaker != "falk0" {
		t.Errorf("replaced test split: %v", err)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 2 {
		t.Errorf("%d entries in the output, want train and test", len(ents))
	}
}

func TestExtractBadConfig(t *testing.T) {
	cfg := features.DefaultConfig()
	cfg.Deltas = 5
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Extract(context.Background(), testCorpus(), out, ExtractOptions{Features: cfg}, nil); err == nil {
		t.Fatal("deltas 5 accepted")
	}
	noOutput(t, out)
}

// BenchmarkExtract reports extraction speed on a synthetic corpus of 40
// three-second utterances as x real time: audio seconds per wall second
// (x-realtime, using every core) and per CPU second (x-realtime-cpu).
func BenchmarkExtract(b *testing.B) {
	spks := []string{"dr1-fvmh0", "dr1-mcpm0", "dr2-faem0", "dr2-marc0", "dr3-falk0", "dr3-madc0", "dr4-falr0", "dr4-maeb0"}
	fsys := synthCorpus(1, spks, []string{"si1", "si2", "sx1", "sx2", "sx3"}, 3)
	opts := ExtractOptions{Features: features.DefaultConfig()}
	var seconds float64
	var elapsed, cpu time.Duration
	for b.Loop() {
		out := b.TempDir()
		start := time.Now()
		cpu0, _ := cpuTime()
		sum, err := Extract(context.Background(), fsys, out, opts, nil)
		cpu1, _ := cpuTime()
		elapsed += time.Since(start)
		cpu += cpu1 - cpu0
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range sum.Splits {
			seconds += s.Counts.Seconds
		}
	}
	b.ReportMetric(seconds/elapsed.Seconds(), "x-realtime")
	if cpu > 0 {
		b.ReportMetric(seconds/cpu.Seconds(), "x-realtime-cpu")
	}
}

// TestExtractLDC: the LDC layout with SPHERE audio, standard split lists.
func TestExtractLDC(t *testing.T) {
	fsys := synthLDC(3, map[string][]string{
		"TRAIN": {"DR1/FCJF0", "DR2/MABC0"},
		"TEST":  {"DR1/MDAB0", "DR4/FAKS0", "DR5/MZZZ0"}, // core, dev, neither
	})
	out, sum := extractTo(t, fsys, ExtractOptions{})
	if sum.Layout != LayoutLDC {
		t.Errorf("layout %q", sum.Layout)
	}
	want := map[string]string{Train: "fcjf0,mabc0", Dev: "faks0", Test: "mdab0"}
	for _, sp := range sum.Splits {
		s, err := LoadSplit(filepath.Join(out, sp.Name))
		if err != nil {
			t.Fatal(err)
		}
		spk := strings.Join(speakersOf(uttsOf(s)), ",")
		if spk != want[sp.Name] || len(s.Sentences) != 2*strings.Count(spk+",", ",") {
			t.Errorf("%s: speakers %s, %d utterances", sp.Name, spk, len(s.Sentences))
		}
	}
	if len(sum.Splits) != 3 {
		t.Errorf("%d splits", len(sum.Splits))
	}
}

// TestWriteTable: the summary names each split's speakers under the table,
// or counts them when there are many.
func TestWriteTable(t *testing.T) {
	many := make([]string, 50)
	for i := range many {
		many[i] = fmt.Sprintf("s%02d", i)
	}
	s := &Summary{Out: "feats", Splits: []SplitSummary{
		{Name: Train, Dir: filepath.Join("feats", Train), Counts: Counts{Speakers: 50, Utterances: 100}, Speakers: many},
		{Name: Test, Dir: filepath.Join("feats", Test), Counts: Counts{Speakers: 2, Utterances: 4}, Speakers: []string{"fvmh0", "mcpm0"}},
	}}
	var b strings.Builder
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `  split  speakers  utterances  hours  frames  labelled %  excluded frames  phones  skipped
  train        50         100  0.000       0        0.00                0       0        0
   test         2           4  0.000       0        0.00                0       0        0
train speakers: 50, listed in ` + filepath.Join("feats", Train, "manifest.json") + `
 test speakers: fvmh0 mcpm0
written to feats
`
	if b.String() != want {
		t.Errorf("table\n%s\nwant\n%s", b.String(), want)
	}
}
