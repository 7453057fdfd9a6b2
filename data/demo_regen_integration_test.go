//go:build integration

package data

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestDemoRegenerate runs data/demo/generate.sh into a temporary folder and
// checks that it reproduces the embedded demo corpus byte for byte. It needs
// Debian's festival, festvox-kallpc16k, festvox-us-slt-hts and sox; the whole
// corpus takes well under a minute to synthesise.
func TestDemoRegenerate(t *testing.T) {
	for _, cmd := range []string{"bash", "festival", "sox", "soxi", "awk"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Fatalf("%s not installed (apt-get install -y festival festvox-kallpc16k festvox-us-slt-hts sox): %v", cmd, err)
		}
	}
	for _, voice := range []string{
		"/usr/share/festival/voices/english/kal_diphone",
		"/usr/share/festival/voices/us/cmu_us_slt_arctic_hts",
	} {
		if _, err := os.Stat(voice); err != nil {
			t.Fatalf("Festival voice missing (apt-get install -y festvox-kallpc16k festvox-us-slt-hts): %v", err)
		}
	}

	out := filepath.Join(t.TempDir(), "corpus")
	cmd := exec.Command("bash", filepath.Join("demo", "generate.sh"), out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, stderr.String())
	}

	want, err := fs.Glob(DemoCorpus(), "*")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.Glob(os.DirFS(out), "*")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("generate.sh wrote %d files, the embedded corpus has %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	differ := 0
	for _, name := range want {
		w, err := fs.ReadFile(DemoCorpus(), name)
		if err != nil {
			t.Fatal(err)
		}
		g, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, w) {
			differ++
			t.Errorf("%s: regenerated file differs from the embedded one (%d vs %d bytes)", name, len(g), len(w))
		}
	}
	t.Logf("%d files regenerated, %d differ", len(want), differ)
}
