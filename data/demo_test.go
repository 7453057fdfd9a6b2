package data

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/labels"
)

// Size budget of the embedded demo audio: it ships inside every binary.
// 5 MiB of 16 kHz 16-bit audio is about 164 s of speech.
const demoMaxWAVBytes = 5 << 20

// demoSpeakerRow is one line of demo/speakers.txt.
type demoSpeakerRow struct {
	speaker, voice, split string
}

func readDemoSpeakers(t *testing.T) []demoSpeakerRow {
	t.Helper()
	b, err := fs.ReadFile(demoFiles, "demo/speakers.txt")
	if err != nil {
		t.Fatal(err)
	}
	var rows []demoSpeakerRow
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 6 {
			t.Fatalf("speakers.txt: want 6 fields, got %q", sc.Text())
		}
		rows = append(rows, demoSpeakerRow{speaker: f[0], voice: f[1], split: f[4]})
	}
	return rows
}

// TestDemoCorpusFiles checks every file of the embedded corpus: each .wav is
// 16 kHz 16-bit mono RIFF PCM with a .phn beside it whose segments are TIMIT
// phones, contiguous from sample 0 to exactly the last sample of the audio.
func TestDemoCorpusFiles(t *testing.T) {
	fsys := DemoCorpus()
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	wavs := map[string]bool{}
	phns := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		switch ext := path.Ext(name); {
		case ext == ".wav":
			wavs[strings.TrimSuffix(name, ext)] = true
		case ext == ".phn":
			phns[strings.TrimSuffix(name, ext)] = true
		case name == "utt2spk":
		default:
			t.Errorf("unexpected file %s in the demo corpus", name)
		}
	}
	for id := range wavs {
		if !phns[id] {
			t.Errorf("%s.wav has no .phn", id)
		}
	}
	for id := range phns {
		if !wavs[id] {
			t.Errorf("%s.phn has no .wav", id)
		}
	}
	if len(wavs) == 0 {
		t.Fatal("demo corpus has no audio")
	}

	var wavBytes, samples int
	seen := map[int]int{} // TIMIT61 index -> segments
	for _, id := range slices.Sorted(maps.Keys(wavs)) {
		raw, err := fs.ReadFile(fsys, id+".wav")
		if err != nil {
			t.Fatal(err)
		}
		wavBytes += len(raw)
		// ReadAudio sniffs SPHERE too; the demo must be RIFF.
		if len(raw) < 12 || string(raw[:4]) != "RIFF" || string(raw[8:12]) != "WAVE" {
			t.Errorf("%s.wav: not a RIFF WAVE file", id)
			continue
		}
		a, err := ReadAudio(fsys, id+".wav", 16000)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		n := len(a.Samples)
		samples += n

		b, err := fs.ReadFile(fsys, id+".phn")
		if err != nil {
			t.Fatal(err)
		}
		segs, err := labels.ParsePHN(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s.phn: %v", id, err)
			continue
		}
		if err := checkDemoSegments(segs, n); err != nil {
			t.Errorf("%s.phn: %v", id, err)
		}
		for _, s := range segs {
			seen[s.Phone]++
		}
	}
	if wavBytes > demoMaxWAVBytes {
		t.Errorf("demo audio is %d bytes, over the budget of %d", wavBytes, demoMaxWAVBytes)
	}

	set := labels.TIMIT61()
	var missing []string
	for i := range set.Len() {
		if seen[i] == 0 {
			missing = append(missing, set.Name(i))
		}
	}
	t.Logf("%d utterances, %.1f s, %d bytes of WAV; %d of 61 phones occur (missing: %s)",
		len(wavs), float64(samples)/16000, wavBytes, set.Len()-len(missing), strings.Join(missing, " "))
	// Festival's phone sets lack TIMIT's allophones (dx, ix, nx, hv, q, ...);
	// everything else should be there. Fewer means a mapping was lost.
	if got := set.Len() - len(missing); got < 45 {
		t.Errorf("only %d of the 61 phones occur in the demo corpus", got)
	}
}

// checkDemoSegments checks what ParsePHN leaves to the caller: no gaps, the
// first segment starting at 0, the last ending exactly at the audio's end,
// h# at both edges, and durations a speaking voice can have.
func checkDemoSegments(segs []labels.Segment, numSamples int) error {
	set := labels.TIMIT61()
	hash := demoPhone("h#")
	if len(segs) < 3 {
		return fmt.Errorf("%d segments, want at least 3", len(segs))
	}
	if segs[0].Phone != hash || segs[len(segs)-1].Phone != hash {
		return fmt.Errorf("first and last segments are %s and %s, want h#",
			set.Name(segs[0].Phone), set.Name(segs[len(segs)-1].Phone))
	}
	prev := 0
	for i, s := range segs {
		if s.Start != prev {
			return fmt.Errorf("line %d: starts at %d, previous segment ends at %d", i+1, s.Start, prev)
		}
		// 5 ms (the shortest b release Festival's timing gives) to 400 ms
		// (the longest diphthong or pause): a segment outside is a time unit
		// or mapping fault, not speech.
		if d := s.End - s.Start; d < 80 || d > 6400 {
			return fmt.Errorf("line %d: %s lasts %d samples", i+1, set.Name(s.Phone), d)
		}
		prev = s.End
	}
	if prev != numSamples {
		return fmt.Errorf("segments end at %d, audio has %d samples", prev, numSamples)
	}
	return nil
}

// demoPhone is the TIMIT61 index of a phone the tests name as a constant.
func demoPhone(name string) int {
	i, ok := labels.TIMIT61().Index(name)
	if !ok {
		panic("no TIMIT phone " + name)
	}
	return i
}

// TestCheckDemoSegments shows the segment checker catches each fault.
func TestCheckDemoSegments(t *testing.T) {
	h, aa, s := demoPhone("h#"), demoPhone("aa"), demoPhone("s")
	seg := func(start, end, phone int) labels.Segment {
		return labels.Segment{Start: start, End: end, Phone: phone}
	}
	tests := []struct {
		name    string
		segs    []labels.Segment
		n       int
		wantErr bool
	}{
		{"good", []labels.Segment{seg(0, 1600, h), seg(1600, 3200, aa), seg(3200, 4800, h)}, 4800, false},
		{"gap", []labels.Segment{seg(0, 1600, h), seg(1700, 3200, aa), seg(3200, 4800, h)}, 4800, true},
		{"late start", []labels.Segment{seg(10, 1600, h), seg(1600, 3200, aa), seg(3200, 4800, h)}, 4800, true},
		{"short of audio", []labels.Segment{seg(0, 1600, h), seg(1600, 3200, aa), seg(3200, 4800, h)}, 4801, true},
		{"past audio", []labels.Segment{seg(0, 1600, h), seg(1600, 3200, aa), seg(3200, 4800, h)}, 4799, true},
		{"no h# at end", []labels.Segment{seg(0, 1600, h), seg(1600, 3200, aa), seg(3200, 4800, s)}, 4800, true},
		{"too short", []labels.Segment{seg(0, 1600, h), seg(1600, 1650, aa), seg(1650, 4800, h)}, 4800, true},
		{"too long", []labels.Segment{seg(0, 1600, h), seg(1600, 9000, aa), seg(9000, 10600, h)}, 10600, true},
		{"too few", []labels.Segment{seg(0, 1600, h), seg(1600, 3200, h)}, 3200, true},
	}
	for _, tt := range tests {
		err := checkDemoSegments(tt.segs, tt.n)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}

// TestDemoSpeakers checks utt2spk, speakers.txt and the exported split agree,
// and that held-out speakers say sentences no training speaker says.
func TestDemoSpeakers(t *testing.T) {
	rows := readDemoSpeakers(t)
	split := map[string]string{}
	var dev, test []string
	for _, r := range rows {
		split[r.speaker] = r.split
		switch r.split {
		case "dev":
			dev = append(dev, r.speaker)
		case "test":
			test = append(test, r.speaker)
		}
	}
	slices.Sort(dev)
	slices.Sort(test)
	if got := DemoDevSpeakers(); !slices.Equal(got, dev) {
		t.Errorf("DemoDevSpeakers() = %v, speakers.txt says %v", got, dev)
	}
	if got := DemoTestSpeakers(); !slices.Equal(got, test) {
		t.Errorf("DemoTestSpeakers() = %v, speakers.txt says %v", got, test)
	}

	b, err := fs.ReadFile(DemoCorpus(), "utt2spk")
	if err != nil {
		t.Fatal(err)
	}
	sentenceSplit := map[string]string{} // sentence id -> split of its speaker
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("utt2spk: bad line %q", line)
		}
		utt, spk := f[0], f[1]
		if !strings.HasPrefix(utt, spk+"_") {
			t.Errorf("utt2spk: %s is not named after its speaker %s", utt, spk)
		}
		sp, ok := split[spk]
		if !ok {
			t.Errorf("utt2spk: speaker %s is not in speakers.txt", spk)
		}
		if _, err := fs.Stat(DemoCorpus(), utt+".wav"); err != nil {
			t.Errorf("utt2spk: %v", err)
		}
		sentence := strings.TrimPrefix(utt, spk+"_")
		if prev, dup := sentenceSplit[sentence]; dup {
			t.Errorf("sentence %s is spoken twice (%s and %s)", sentence, prev, sp)
		}
		sentenceSplit[sentence] = sp
	}
	wavs, err := fs.Glob(DemoCorpus(), "*.wav")
	if err != nil {
		t.Fatal(err)
	}
	if len(wavs) != len(lines) {
		t.Errorf("%d .wav files, %d utt2spk lines", len(wavs), len(lines))
	}
}

// TestDemoDiscover checks the corpus goes through the real discovery and
// split code the demo command uses.
func TestDemoDiscover(t *testing.T) {
	c, err := Discover(DemoCorpus(), LayoutFlat, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Utterances) == 0 {
		t.Fatal("no utterances discovered")
	}
	splits, err := AssignSplits(c, SplitOptions{DevSpeakers: DemoDevSpeakers(), TestSpeakers: DemoTestSpeakers()})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range splits {
		if len(s.Utterances) == 0 {
			t.Errorf("split %s is empty", s.Name)
		}
		total += len(s.Utterances)
	}
	if total != len(c.Utterances) {
		t.Errorf("splits hold %d utterances, corpus has %d", total, len(c.Utterances))
	}
	for _, u := range c.Utterances {
		if u.Speaker != strings.SplitN(u.ID, "_", 2)[0] {
			t.Errorf("%s: speaker %q", u.ID, u.Speaker)
		}
	}
}

func ExampleDemoCorpus() {
	c, err := Discover(DemoCorpus(), LayoutFlat, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	splits, err := AssignSplits(c, SplitOptions{
		DevSpeakers:  DemoDevSpeakers(),
		TestSpeakers: DemoTestSpeakers(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(c.Speakers()), "speakers")
	for _, s := range splits {
		fmt.Println(s.Name, len(s.Utterances))
	}
	// Output:
	// 8 speakers
	// train 32
	// dev 10
	// test 10
}
