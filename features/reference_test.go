package features

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// refTolerance is the largest absolute difference allowed between a coefficient from
// Compute and torchaudio.compliance.kaldi.mfcc (+ Kaldi add-deltas) on the same audio; it
// is the acceptance bound of the extract issue. Why it is not tighter: Kaldi itself
// computes in float32, and torchaudio's float32 run of the same definition differs from
// its float64 run by up to 9.3e-4 on the TIMIT references (kaldi_ref.py prints this),
// from float32 rounding in the FFT and the logarithms of small mel energies in quiet
// frames, amplified by the lifter (×11.9 on C8); a float32 implementation of this
// package must still pass. The references are float64 torchaudio rounded to 5 decimals
// (±5e-6), and this float64 implementation agrees with them to 7.6e-6 (the test logs
// the maximum). A real mistake (window, filter edges, DCT scaling, pre-emphasis,
// framing) moves coefficients by 0.1 or more, far above the bound.
const refTolerance = 1e-2

// reference is one file written by testdata/kaldi_ref.py.
type reference struct {
	cfg     Config
	samples int
	sha256  string // of the int16 little-endian samples
	feats   *Matrix
}

func readReference(path string) (*reference, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sc := bufio.NewScanner(z)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	header := func(key string) (string, error) {
		if !sc.Scan() {
			return "", fmt.Errorf("%s: missing %q line", path, key)
		}
		v, ok := strings.CutPrefix(sc.Text(), key+" ")
		if !ok {
			return "", fmt.Errorf("%s: want %q line, got %.40q", path, key, sc.Text())
		}
		return v, nil
	}
	var r reference
	line, err := header("config")
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r.cfg); err != nil {
		return nil, fmt.Errorf("%s: config: %w", path, err)
	}
	if line, err = header("audio"); err != nil {
		return nil, err
	}
	if _, err := fmt.Sscan(line, &r.samples, &r.sha256); err != nil {
		return nil, fmt.Errorf("%s: audio line: %w", path, err)
	}
	if line, err = header("shape"); err != nil {
		return nil, err
	}
	var rows, cols int
	if _, err := fmt.Sscan(line, &rows, &cols); err != nil {
		return nil, fmt.Errorf("%s: shape line: %w", path, err)
	}
	r.feats = NewMatrix(rows, cols)
	for i := 0; i < rows; i++ {
		if !sc.Scan() {
			return nil, fmt.Errorf("%s: %d rows, want %d", path, i, rows)
		}
		fields := strings.Fields(sc.Text())
		if len(fields) != cols {
			return nil, fmt.Errorf("%s: row %d has %d values, want %d", path, i, len(fields), cols)
		}
		for j, s := range fields {
			v, err := strconv.ParseFloat(s, 32)
			if err != nil {
				return nil, fmt.Errorf("%s: row %d: %w", path, i, err)
			}
			r.feats.Row(i)[j] = float32(v)
		}
	}
	if sc.Scan() {
		return nil, fmt.Errorf("%s: more than %d rows", path, rows)
	}
	return &r, sc.Err()
}

func sha256Samples(x []int16) string {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, x)
	h := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(h[:])
}

// compareReference computes the features of samples under ref's configuration and
// returns the largest absolute difference from the reference, failing t on a shape
// mismatch or any difference above refTolerance.
func compareReference(t *testing.T, name string, ref *reference, samples []int16) float64 {
	t.Helper()
	if len(samples) != ref.samples || sha256Samples(samples) != ref.sha256 {
		t.Fatalf("%s: audio differs from the one the reference was made from (%d samples, want %d with sha256 %s)",
			name, len(samples), ref.samples, ref.sha256)
	}
	e, err := NewExtractor(ref.cfg)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got, err := e.Compute(samples)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got.Rows != ref.feats.Rows || got.Cols != ref.feats.Cols {
		t.Fatalf("%s: got %d×%d features, reference %d×%d", name, got.Rows, got.Cols, ref.feats.Rows, ref.feats.Cols)
	}
	worst, wi, wj := 0.0, 0, 0
	for i := 0; i < got.Rows; i++ {
		for j, v := range got.Row(i) {
			d := math.Abs(float64(v) - float64(ref.feats.Row(i)[j]))
			if d > worst || math.IsNaN(d) {
				worst, wi, wj = d, i, j
			}
		}
	}
	if !(worst <= refTolerance) {
		t.Errorf("%s: frame %d coefficient %d = %g, reference %g (|diff| %.3g > %g)",
			name, wi, wj, got.Row(wi)[wj], ref.feats.Row(wi)[wj], worst, refTolerance)
	}
	t.Logf("%-32s %4d×%-2d max |diff| %.2e (frame %d, coefficient %d)", name, got.Rows, got.Cols, worst, wi, wj)
	return worst
}

func readS16(t testing.TB, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%2 != 0 {
		t.Fatalf("%s: odd length %d", path, len(b))
	}
	x := make([]int16, len(b)/2)
	for i := range x {
		x[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return x
}

// TestKaldiReferenceSynthetic compares every frame and coefficient with torchaudio's
// Kaldi MFCC on the committed synthetic signal under six configurations (framing both
// ways, every window torchaudio has, windowed energy with a floor, no energy, deltas of
// order 0–2 and delta windows 2 and 3).
func TestKaldiReferenceSynthetic(t *testing.T) {
	samples := readS16(t, filepath.Join("testdata", "synth.s16"))
	paths, err := filepath.Glob(filepath.Join("testdata", "synth_*.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 6 {
		t.Fatalf("found %d synthetic references in testdata, want 6", len(paths))
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".txt.gz")
		t.Run(name, func(t *testing.T) {
			ref, err := readReference(p)
			if err != nil {
				t.Fatal(err)
			}
			compareReference(t, name, ref, samples)
		})
	}
}
