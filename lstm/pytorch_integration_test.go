//go:build integration

package lstm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/phoneme/phoneme/features"
)

// TestPyTorchLoads saves a two-layer model, loads it into torch.nn.LSTM with
// testdata/load_pytorch.py and compares PyTorch's log-posteriors with
// LogProbs. Both compute in float32 with different summation orders over
// 300 frames; 1e-4 absolute allows ~1000 ulps at magnitude 1. It needs
// Debian's python3-torch (the interpreter is $PHONEME_PYTHON, default
// /usr/bin/python3).
func TestPyTorchLoads(t *testing.T) {
	python := os.Getenv("PHONEME_PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	if out, err := exec.Command(python, "-c", "import torch, numpy").CombinedOutput(); err != nil {
		t.Fatalf("%s cannot import torch and numpy (apt-get install -y python3-torch): %v\n%s", python, err, out)
	}
	c := Config{Inputs: 39, Hidden: 32, Layers: 2, Outputs: 61}
	m, err := New(c, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	if err := Save(model, m, &Metadata{CMVNMean: make([]float32, 39), CMVNStd: ones(39)}); err != nil {
		t.Fatal(err)
	}
	const frames = 300
	rng := rand.New(rand.NewPCG(2, 2))
	x := &features.Matrix{Rows: frames, Cols: c.Inputs, Data: randInputs(rng, frames, c.Inputs)}
	var raw []byte
	for _, v := range x.Data {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	in, out := filepath.Join(dir, "x.f32"), filepath.Join(dir, "y.f32")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join("testdata", "load_pytorch.py"), model, in, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load_pytorch.py: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := m.LogProbs(x)
	if len(got) != 4*len(want.Data) {
		t.Fatalf("PyTorch wrote %d bytes, want %d", len(got), 4*len(want.Data))
	}
	worst := 0.0
	for i, v := range want.Data {
		p := math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:]))
		worst = max(worst, math.Abs(float64(p-v)))
	}
	if worst > 1e-4 {
		t.Errorf("PyTorch and LogProbs differ by up to %g", worst)
	}
	t.Logf("max |PyTorch − LogProbs| = %.3g", worst)
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}
