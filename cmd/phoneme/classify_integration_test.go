//go:build integration

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/internal/sharedtest"
)

// TestClassifyTIMITSample extracts the TIMIT sample, trains a small model
// for a few epochs, and classifies a held-out utterance (fvmh0/sa1, a test
// speaker) three ways: as a TextGrid with the 39-class tier (kept in
// $PHONEME_TEXTGRID_OUT for .ci/run to open in Praat), offline from a
// 48 kHz 24-bit stereo rendition made by sox, and streamed from that
// rendition on standard input in small writes, which must give the offline
// output exactly.
func TestClassifyTIMITSample(t *testing.T) {
	corpus := sharedtest.TIMITSample(t)
	if _, err := exec.LookPath("sox"); err != nil {
		t.Fatal("sox is not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	feats, model := filepath.Join(dir, "feats"), filepath.Join(dir, "m.safetensors")
	for _, args := range [][]string{
		{"extract", "--corpus", corpus, "--out", feats},
		{"train", "--data", feats, "--out", model, "--epochs", "4", "--hidden", "64"},
	} {
		if _, stderr, code := run(args...); code != 0 {
			t.Fatalf("%v: exit %d, %s", args, code, stderr)
		}
	}
	utt := filepath.Join(corpus, "dr1-fvmh0", "sa1.wav")
	if _, stderr, code := run("classify", "--model", model, "--format", "textgrid", "--fold", "39", "--out", dir, utt); code != 0 {
		t.Fatalf("classify: exit %d, %s", code, stderr)
	}
	tg, err := os.ReadFile(filepath.Join(dir, "sa1.TextGrid"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tg), `name = "phones39"`) || strings.Count(string(tg), "intervals [") < 20 {
		t.Errorf("TextGrid of sa1 has %d intervals", strings.Count(string(tg), "intervals ["))
	}
	keepTextGridCmd(t, "timit-fvmh0-sa1", tg)

	hi := filepath.Join(dir, "sa1_48k.wav")
	if out, err := exec.Command("sox", "-D", utt, "-b", "24", "-c", "2", hi, "vol", "0.5", "rate", "-v", "48k").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	offline, stderr, code := run("classify", "--model", model, "--format", "ctm", hi)
	if code != 0 {
		t.Fatalf("classify 48 kHz: exit %d, %s", code, stderr)
	}
	b, err := os.ReadFile(hi)
	if err != nil {
		t.Fatal(err)
	}
	streamed, stderr, code := runWithStdin(pipeInPieces(b, 5), "classify", "--model", model, "--format", "ctm", "--stream", "-")
	if code != 0 {
		t.Fatalf("classify --stream: exit %d, %s", code, stderr)
	}
	if want := strings.ReplaceAll(offline, "sa1_48k 1 ", "utt 1 "); streamed != want || len(streamed) == 0 {
		t.Errorf("streamed\n%s\noffline\n%s", streamed, want)
	}
	t.Logf("fvmh0/sa1 at 48 kHz: %d segments, streamed = offline", bytes.Count([]byte(streamed), []byte("\n")))
}
