package lstm

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/features"
)

func testMetadata(c Config) *Metadata {
	md := &Metadata{
		Features:    json.RawMessage(`{"NumCeps":13}`),
		Training:    json.RawMessage(`{"schedule":"sentence"}`),
		TargetDelay: 2,
		CMVNMean:    make([]float32, c.Inputs),
		CMVNStd:     make([]float32, c.Inputs),
	}
	for i := range c.Outputs {
		md.Phones = append(md.Phones, string(rune('a'+i)))
	}
	for i := range md.CMVNStd {
		md.CMVNMean[i], md.CMVNStd[i] = float32(i)-1.5, float32(i)+0.5
	}
	return md
}

// TestSaveLoad: a saved and loaded model gives bit-identical outputs, and
// the metadata survives.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	for _, c := range testConfigs {
		m := testModel(t, c, 8)
		md := testMetadata(c)
		path := filepath.Join(dir, "m.safetensors")
		if err := Save(path, m, md); err != nil {
			t.Fatal(err)
		}
		m2, md2, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if m2.Config() != c || !slices.Equal(m2.Params(), m.Params()) {
			t.Fatalf("%+v: parameters differ after load", c)
		}
		rng := rand.New(rand.NewPCG(9, 9))
		x := &features.Matrix{Rows: 17, Cols: c.Inputs, Data: randInputs(rng, 17, c.Inputs)}
		if !slices.Equal(m.LogProbs(x).Data, m2.LogProbs(x).Data) {
			t.Errorf("%+v: LogProbs differ after load", c)
		}
		if !slices.Equal(md2.Phones, md.Phones) || md2.TargetDelay != 2 || string(md2.Features) != string(md.Features) ||
			string(md2.Training) != string(md.Training) || !slices.Equal(md2.CMVNMean, md.CMVNMean) || !slices.Equal(md2.CMVNStd, md.CMVNStd) {
			t.Errorf("metadata differs: %+v, want %+v", md2, md)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the output folder, want only the checkpoint", len(ents))
	}
	// Without metadata.
	m := testModel(t, testConfigs[0], 9)
	path := filepath.Join(dir, "bare.safetensors")
	if err := Save(path, m, nil); err != nil {
		t.Fatal(err)
	}
	if _, md, err := Load(path); err != nil || md.CMVNMean != nil || md.Phones != nil {
		t.Errorf("bare checkpoint: %+v, %v", md, err)
	}
}

// encodeRaw builds a safetensors file from a header value and data.
func encodeRaw(header any, data []byte) []byte {
	h, _ := json.Marshal(header)
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(b, h...), data...)
}

// TestDecodeRejects: every kind of damage gives an error, never a panic or
// a silently wrong model.
func TestDecodeRejects(t *testing.T) {
	c := Config{Inputs: 2, Hidden: 1, Layers: 1, Outputs: 2}
	m := testModel(t, c, 10)
	good, err := Encode(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Decode(good); err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint64(good))
	header := string(good[8 : 8+n])
	data := good[8+n:]
	withHeader := func(h string) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(b, h...), data...)
	}
	nan := slices.Clone(good)
	binary.LittleEndian.PutUint32(nan[len(nan)-4:], math.Float32bits(float32(math.NaN())))
	huge := slices.Clone(good)
	binary.LittleEndian.PutUint64(huge, 200<<20)
	cases := map[string][]byte{
		"empty":          nil,
		"short":          good[:5],
		"header too big": huge,
		"truncated data": good[:len(good)-4],
		"NaN":            nan,
		"not JSON":       withHeader(strings.Replace(header, "{", "[", 1)),
		"dtype":          withHeader(strings.Replace(header, `"F32"`, `"F16"`, 1)),
		"duplicate":      withHeader(strings.Replace(header, `"output.bias"`, `"output.weight"`, 1)),
		"bad delay":      withHeader(strings.Replace(header, `"target_delay":"0"`, `"target_delay":"x"`, 1)),
		"wrong config":   withHeader(strings.Replace(header, `\"outputs\":2`, `\"outputs\":3`, 1)),
		"unknown field":  withHeader(strings.Replace(header, `"dtype"`, `"extra":1,"dtype"`, 1)),
		"overlap": encodeRaw(map[string]any{
			"lstm.weight_ih_l0": map[string]any{"dtype": "F32", "shape": []int{4, 2}, "data_offsets": []int{0, 32}},
			"lstm.weight_hh_l0": map[string]any{"dtype": "F32", "shape": []int{4, 1}, "data_offsets": []int{16, 32}},
			"lstm.bias_ih_l0":   map[string]any{"dtype": "F32", "shape": []int{4}, "data_offsets": []int{32, 48}},
			"lstm.bias_hh_l0":   map[string]any{"dtype": "F32", "shape": []int{4}, "data_offsets": []int{48, 64}},
			"output.weight":     map[string]any{"dtype": "F32", "shape": []int{2, 1}, "data_offsets": []int{64, 72}},
			"output.bias":       map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{72, 80}},
		}, make([]byte, 80)),
		"missing tensor": encodeRaw(map[string]any{
			"lstm.weight_ih_l0": map[string]any{"dtype": "F32", "shape": []int{4, 2}, "data_offsets": []int{0, 32}},
			"output.weight":     map[string]any{"dtype": "F32", "shape": []int{2, 1}, "data_offsets": []int{32, 40}},
		}, make([]byte, 40)),
		"size mismatch": encodeRaw(map[string]any{
			"lstm.weight_ih_l0": map[string]any{"dtype": "F32", "shape": []int{4, 2}, "data_offsets": []int{0, 28}},
		}, make([]byte, 40)),
		"negative offset": encodeRaw(map[string]any{
			"lstm.weight_ih_l0": map[string]any{"dtype": "F32", "shape": []int{1}, "data_offsets": []int{-4, 0}},
		}, make([]byte, 40)),
	}
	for name, b := range cases {
		if _, _, err := Decode(b); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "not a valid checkpoint: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q is not one clear line", name, err)
		}
	}
	// A file with an unexpected extra tensor.
	extra := encodeRaw(map[string]any{"x": map[string]any{"dtype": "F32", "shape": []int{1}, "data_offsets": []int{0, 4}}}, make([]byte, 4))
	if _, _, err := Decode(extra); err == nil {
		t.Error("accepted a file of unknown tensors")
	}
	// Load names the file.
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(path, good[:20], 0o644)
	if _, _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load error %v does not name the file", err)
	}
}

func FuzzLoad(f *testing.F) {
	for i, c := range testConfigs {
		m := testModel(f, c, uint64(i))
		var md *Metadata
		if i%2 == 0 {
			md = testMetadata(c)
		}
		b, err := Encode(m, md)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, md, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever is accepted must be a usable model that round-trips.
		b2, err := Encode(m, md)
		if err != nil {
			t.Fatalf("accepted checkpoint does not encode: %v", err)
		}
		m2, _, err := Decode(b2)
		if err != nil || !slices.Equal(m2.Params(), m.Params()) {
			t.Fatalf("round trip: %v", err)
		}
		x := features.NewMatrix(2, m.Config().Inputs)
		lp := m.LogProbs(x)
		for _, v := range lp.Data {
			if math.IsNaN(float64(v)) {
				t.Fatal("NaN output")
			}
		}
	})
}

func ExampleSave() {
	m, err := New(Config{Inputs: 39, Hidden: 128, Layers: 1, Outputs: 61}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	if err := Save(path, m, &Metadata{TargetDelay: 3}); err != nil {
		fmt.Println(err)
		return
	}
	m2, md, err := Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v, target delay %d\n", m2.Config(), md.TargetDelay)
	// Output: {Inputs:39 Hidden:128 Layers:1 Outputs:61 Peepholes:false}, target delay 3
}
