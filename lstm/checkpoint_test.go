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

// rewrite re-encodes a checkpoint with its header rebuilt by encoding/json
// (keys sorted), its tensors stored in reverse order of their offsets and
// its metadata passed through edit: what another safetensors writer might
// produce.
func rewrite(t *testing.T, b []byte, edit func(meta map[string]string)) []byte {
	t.Helper()
	n := binary.LittleEndian.Uint64(b)
	fields, err := objectFields(b[8 : 8+n])
	if err != nil {
		t.Fatal(err)
	}
	body := b[8+n:]
	meta := map[string]string{}
	if err := json.Unmarshal(fields[metaKey], &meta); err != nil {
		t.Fatal(err)
	}
	delete(fields, metaKey)
	edit(meta)
	type entry struct {
		name string
		th   tensorHeader
	}
	var ents []entry
	for name, r := range fields {
		var th tensorHeader
		if err := json.Unmarshal(r, &th); err != nil {
			t.Fatal(err)
		}
		ents = append(ents, entry{name, th})
	}
	slices.SortFunc(ents, func(a, b entry) int { return b.th.DataOffsets[0] - a.th.DataOffsets[0] })
	header := map[string]any{metaKey: meta}
	var data []byte
	for _, e := range ents {
		o := e.th.DataOffsets
		begin := len(data)
		data = append(data, body[o[0]:o[1]]...)
		e.th.DataOffsets = [2]int{begin, len(data)}
		header[e.name] = e.th
	}
	return encodeRaw(header, data)
}

// TestChecksum: every checkpoint carries a checksum of its contents; a
// flipped bit in a weight or a changed metadata entry is refused naming
// the file and the checksum, the encoding stays deterministic, a rewrite
// by another tool that keeps tensors and metadata stays valid, and files
// written before the checksum (committed fixture) still load.
func TestChecksum(t *testing.T) {
	dir := t.TempDir()
	c := testConfigs[len(testConfigs)-1]
	m := testModel(t, c, 11)
	md := testMetadata(c)
	good, err := Encode(m, md)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Encode(m, md)
	if !slices.Equal(good, again) {
		t.Fatal("two encodings of the same model differ")
	}
	n := int(binary.LittleEndian.Uint64(good))
	if !strings.Contains(string(good[8:8+n]), `"checksum":"crc32c:`) {
		t.Fatalf("no checksum in the header %s", good[8:8+n])
	}
	dataStart := 8 + n
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"first weight", flipBit(good, dataStart)},
		{"middle weight", flipBit(good, dataStart+4*((len(good)-dataStart)/8))},
		{"cmvn.std", flipBit(good, len(good)-4)}, // the last tensor
		{"training metadata", rewrite(t, good, func(meta map[string]string) { meta["training"] = `{"schedule":"frame"}` })},
		{"phones metadata", rewrite(t, good, func(meta map[string]string) {
			p := slices.Clone(md.Phones)
			p[0], p[1] = p[1], p[0]
			j, _ := json.Marshal(p)
			meta["phones"] = string(j)
		})},
	} {
		path := filepath.Join(dir, "flipped.safetensors")
		if err := os.WriteFile(path, tc.b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := Load(path)
		if err == nil {
			t.Errorf("%s changed: accepted", tc.name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "checksum") || !strings.Contains(msg, "corrupt") || strings.Contains(msg, "\n") {
			t.Errorf("%s changed: error %q does not name the file and the checksum on one line", tc.name, msg)
		}
	}

	// Another writer's layout of the same contents keeps the checksum valid.
	m2, md2, err := Decode(rewrite(t, good, func(map[string]string) {}))
	if err != nil || !slices.Equal(m2.Params(), m.Params()) || !slices.Equal(md2.Phones, md.Phones) {
		t.Errorf("rewritten checkpoint: %v", err)
	}
	// Without the checksum entry (as before it existed) a file loads unchecked.
	old := rewrite(t, flipBit(good, dataStart), func(meta map[string]string) { delete(meta, checksumKey) })
	if m3, _, err := Decode(old); err != nil || slices.Equal(m3.Params(), m.Params()) {
		t.Errorf("checkpoint without a checksum: %v", err)
	}

	// testdata/before-checksum.safetensors was written by Save before
	// checksums existed (a 2-layer peephole network from lstm.New with
	// PCG(7, 7)).
	fc := Config{Inputs: 3, Hidden: 2, Layers: 2, Outputs: 4, Peepholes: true}
	want, err := New(fc, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	fm, fmd, err := Load(filepath.Join("testdata", "before-checksum.safetensors"))
	if err != nil {
		t.Fatalf("checkpoint written before checksums: %v", err)
	}
	if fm.Config() != fc || !slices.Equal(fm.Params(), want.Params()) || fmd.TargetDelay != 1 || !slices.Equal(fmd.CMVNStd, []float32{1, 2, 0.25}) {
		t.Errorf("checkpoint written before checksums: %+v %+v", fm.Config(), fmd)
	}
	// Saved again, it gains a checksum and loads with it.
	p := filepath.Join(dir, "resaved.safetensors")
	if err := Save(p, fm, fmd); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), `"checksum":"crc32c:`) {
		t.Error("re-saved checkpoint has no checksum")
	}
	if _, _, err := Load(p); err != nil {
		t.Error(err)
	}
}

// flipBit returns a copy of b with the lowest bit of b[i] flipped: at the
// first byte of a little-endian float32 that is the lowest mantissa bit, so
// the value stays finite and only a checksum can tell.
func flipBit(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i] ^= 1
	return c
}

// TestLoadPyTorchFile: a PyTorch .pt file is recognised as such.
func TestLoadPyTorchFile(t *testing.T) {
	for name, head := range map[string][]byte{
		"zip":    []byte("PK\x03\x04\x00\x00\x08\x00archive/data.pkl"),
		"pickle": {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19},
	} {
		_, _, err := Decode(head)
		if err == nil || !strings.Contains(err.Error(), "not safetensors") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
