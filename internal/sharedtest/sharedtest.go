// Package sharedtest finds the data shared beside the repository (the TIMIT
// sample, the TIMIT reference lists) for integration tests, which are built
// with the tag "integration" and run by .ci/run with PHONEME_SHARED set.
// A missing input fails the test: in CI a skipped check would pass unseen.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared folder named by PHONEME_SHARED, failing t when the
// variable is unset or the folder is missing.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PHONEME_SHARED")
	if dir == "" {
		t.Fatal("PHONEME_SHARED is not set; it must name the shared folder holding corpora/timit-sample (e.g. ../shared)")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("PHONEME_SHARED=%s is not a folder", dir)
	}
	return dir
}

// Path returns a path inside the shared folder, failing t when it is missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared input missing: %v", err)
	}
	return p
}

// TIMITSample returns the folder of the TIMIT sample in NLTK's layout
// (12 speakers × 10 utterances), failing t when it is missing.
func TIMITSample(t testing.TB) string {
	t.Helper()
	dir := Path(t, "corpora", "timit-sample")
	Path(t, "corpora", "timit-sample", "dr1-fvmh0", "sa1.wav")
	return dir
}
