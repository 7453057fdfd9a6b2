package lstm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/phoneme/phoneme/internal/atomicfile"
)

// Metadata is what a checkpoint carries besides the network's weights.
type Metadata struct {
	Phones      []string        // output classes, in order (optional; else len = Outputs)
	Features    json.RawMessage // features.Config as JSON (optional)
	Training    json.RawMessage // training configuration as JSON (optional)
	TargetDelay int             // output t is scored against label t−TargetDelay
	CMVNMean    []float32       // normalisation of the training split, [Inputs] (optional,
	CMVNStd     []float32       // both or neither)
}

// Checkpoints are safetensors files: an 8-byte little-endian header length
// N, N bytes of JSON header naming each tensor's dtype, shape and byte
// range, then the raw little-endian tensors. The LSTM tensors carry
// PyTorch nn.LSTM's names and shapes, so that PyTorch users can load them
// directly (peepholes aside, which nn.LSTM lacks).
const (
	maxHeader    = 100 << 20 // bytes of JSON header accepted
	maxFile      = 4 << 30   // bytes of checkpoint accepted
	formatName   = "phoneme-lstm"
	metaKey      = "__metadata__"
	cmvnMeanName = "cmvn.mean"
	cmvnStdName  = "cmvn.std"
	checksumKey  = "checksum"
	checksumAlgo = "crc32c:"
)

// Every checkpoint written since the checksum was introduced carries
// "checksum": "crc32c:xxxxxxxx" (8 lower-case hex digits) in __metadata__:
// the CRC-32C (Castagnoli) of, in this order,
//
//   - every other __metadata__ entry, in byte order of the keys: the key
//     and the value, each preceded by its length in bytes as a
//     little-endian uint64;
//   - every tensor, in byte order of the names: the name and the tensor's
//     raw bytes, each preceded by its length in bytes as a little-endian
//     uint64.
//
// It does not depend on how the header is formatted or where the tensors
// lie in the data section, so a tool that rewrites the file with the same
// tensors and metadata keeps it valid. Decode verifies it when present;
// files written before it (no checksum entry) are read unchecked.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// contentChecksum returns the checksum entry of a checkpoint whose
// metadata (the checksum entry excluded) is meta and whose tensors' bytes
// are data.
func contentChecksum(meta map[string]string, data map[string][]byte) string {
	h := crc32.New(castagnoli)
	field := func(h hash.Hash32, b []byte) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != checksumKey {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		field(h, []byte(k))
		field(h, []byte(meta[k]))
	}
	names := make([]string, 0, len(data))
	for name := range data {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		field(h, []byte(name))
		field(h, data[name])
	}
	return fmt.Sprintf("%s%08x", checksumAlgo, h.Sum32())
}

// Save writes m and md (nil: no metadata) to path as a safetensors file,
// through a temporary file in the same directory that is renamed when
// complete.
func Save(path string, m *Model, md *Metadata) error {
	b, err := Encode(m, md)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, b)
}

// Load reads and validates a checkpoint written by Save (or any
// safetensors file with the same tensors).
func Load(path string) (*Model, *Metadata, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxFile {
		return nil, nil, fmt.Errorf("read %s: larger than %d bytes", path, maxFile)
	}
	m, md, err := Decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return m, md, nil
}

type tensorHeader struct {
	Dtype       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// Encode returns the safetensors encoding of m and md.
func Encode(m *Model, md *Metadata) ([]byte, error) {
	if md == nil {
		md = &Metadata{}
	}
	c := m.cfg
	if err := checkMetadata(c, md); err != nil {
		return nil, err
	}
	for i, v := range m.params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("parameter %d is %v", i, v)
		}
	}
	type named struct {
		name  string
		shape []int
		data  []float32
	}
	var ts []named
	for _, t := range c.Layout() {
		ts = append(ts, named{t.Name, t.Shape, m.params[t.Offset : t.Offset+t.Size()]})
	}
	if md.CMVNMean != nil {
		ts = append(ts, named{cmvnMeanName, []int{c.Inputs}, md.CMVNMean}, named{cmvnStdName, []int{c.Inputs}, md.CMVNStd})
	}
	meta := map[string]string{"format": formatName, "target_delay": strconv.Itoa(md.TargetDelay)}
	cj, _ := json.Marshal(c)
	meta["config"] = string(cj)
	if md.Phones != nil {
		pj, _ := json.Marshal(md.Phones)
		meta["phones"] = string(pj)
	}
	if len(md.Features) > 0 {
		meta["features"] = string(md.Features)
	}
	if len(md.Training) > 0 {
		meta["training"] = string(md.Training)
	}
	// The data section, tensors in layout order.
	size := 0
	for _, t := range ts {
		size += 4 * len(t.data)
	}
	body := make([]byte, 0, size)
	data := make(map[string][]byte, len(ts))
	for _, t := range ts {
		begin := len(body)
		for _, v := range t.data {
			body = binary.LittleEndian.AppendUint32(body, math.Float32bits(v))
		}
		data[t.name] = body[begin:]
	}
	meta[checksumKey] = contentChecksum(meta, data)
	// Build the header by hand to keep the tensors in layout order.
	var h bytes.Buffer
	h.WriteString("{")
	mj, _ := json.Marshal(meta)
	fmt.Fprintf(&h, "%q:%s", metaKey, mj)
	off := 0
	for _, t := range ts {
		n := 4 * len(t.data)
		tj, _ := json.Marshal(tensorHeader{Dtype: "F32", Shape: t.shape, DataOffsets: [2]int{off, off + n}})
		fmt.Fprintf(&h, ",%q:%s", t.name, tj)
		off += n
	}
	h.WriteString("}")
	for h.Len()%8 != 0 { // align the data section, as safetensors does
		h.WriteByte(' ')
	}
	out := make([]byte, 8, 8+h.Len()+len(body))
	binary.LittleEndian.PutUint64(out, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	out = append(out, body...)
	return out, nil
}

// checkMetadata validates md against c.
func checkMetadata(c Config, md *Metadata) error {
	if md.Phones != nil && len(md.Phones) != c.Outputs {
		return fmt.Errorf("%d phones for %d outputs", len(md.Phones), c.Outputs)
	}
	if md.TargetDelay < 0 {
		return fmt.Errorf("target delay %d < 0", md.TargetDelay)
	}
	for _, r := range []struct {
		name string
		v    json.RawMessage
	}{{"features", md.Features}, {"training", md.Training}} {
		if len(r.v) > 0 && !json.Valid(r.v) {
			return fmt.Errorf("%s configuration is not valid JSON", r.name)
		}
	}
	if (md.CMVNMean == nil) != (md.CMVNStd == nil) {
		return errors.New("cmvn mean without std or std without mean")
	}
	if md.CMVNMean != nil {
		if len(md.CMVNMean) != c.Inputs || len(md.CMVNStd) != c.Inputs {
			return fmt.Errorf("cmvn of %d and %d values for %d inputs", len(md.CMVNMean), len(md.CMVNStd), c.Inputs)
		}
		for i := range md.CMVNMean {
			mu, sd := float64(md.CMVNMean[i]), float64(md.CMVNStd[i])
			if math.IsNaN(mu) || math.IsInf(mu, 0) || !(sd > 0) || math.IsInf(sd, 0) {
				return fmt.Errorf("cmvn of feature %d: mean %v, std %v", i, mu, sd)
			}
		}
	}
	return nil
}

// Decode parses and validates a checkpoint held in b: header size within
// bounds, valid JSON without duplicate names, F32 tensors only, byte ranges
// inside the data section and not overlapping, exactly the tensors of one
// network shape (and the configuration in the metadata, if any) with
// consistent shapes, every value finite, and the checksum in the metadata
// (when present: files written before it have none) matching the contents.
func Decode(b []byte) (*Model, *Metadata, error) {
	bad := func(format string, args ...any) (*Model, *Metadata, error) {
		return nil, nil, fmt.Errorf("not a valid checkpoint: "+format, args...)
	}
	// PyTorch's torch.save writes a zip archive (since 1.6) or a pickle: say
	// so, rather than reporting a nonsense header length.
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return bad("a PyTorch zip checkpoint (torch.save), not safetensors: convert it with safetensors.torch.save_file")
	case len(b) >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5:
		return bad("a Python pickle (a legacy torch.save file), not safetensors: convert it with safetensors.torch.save_file")
	}
	if len(b) < 8 {
		return bad("%d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return bad("header length %d exceeds the file (%d bytes) or %d", n, len(b), maxHeader)
	}
	header, body := b[8:8+n], b[8+n:]
	raw, err := objectFields(header)
	if err != nil {
		return bad("header: %v", err)
	}
	meta := map[string]string{}
	if r, ok := raw[metaKey]; ok {
		if err := json.Unmarshal(r, &meta); err != nil {
			return bad("__metadata__: %v", err)
		}
		delete(raw, metaKey)
	}
	tensors := map[string][]float32{}
	shapes := map[string][]int{}
	data := map[string][]byte{}
	type span struct {
		name       string
		begin, end int
	}
	var spans []span
	for name, r := range raw {
		var th tensorHeader
		d := json.NewDecoder(bytes.NewReader(r))
		d.DisallowUnknownFields()
		if err := d.Decode(&th); err != nil {
			return bad("tensor %q: %v", name, err)
		}
		if th.Dtype != "F32" {
			return bad("tensor %q: dtype %q, only F32 is supported", name, th.Dtype)
		}
		size := 1
		for _, dim := range th.Shape {
			if dim < 0 || (dim > 0 && size > maxFile/dim) {
				return bad("tensor %q: shape %v", name, th.Shape)
			}
			size *= dim
		}
		o := th.DataOffsets
		if o[0] < 0 || o[1] < o[0] || o[1] > len(body) {
			return bad("tensor %q: bytes [%d, %d) outside the %d-byte data section", name, o[0], o[1], len(body))
		}
		if o[1]-o[0] != 4*size {
			return bad("tensor %q: %d bytes for shape %v", name, o[1]-o[0], th.Shape)
		}
		v := make([]float32, size)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[o[0]+4*i:]))
			if f := float64(v[i]); math.IsNaN(f) || math.IsInf(f, 0) {
				return bad("tensor %q: element %d is %v", name, i, v[i])
			}
		}
		tensors[name], shapes[name], data[name] = v, th.Shape, body[o[0]:o[1]]
		spans = append(spans, span{name, o[0], o[1]})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.begin - b.begin })
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return bad("tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}

	c, err := shapeConfig(shapes)
	if err != nil {
		return bad("%v", err)
	}
	if cj, ok := meta["config"]; ok {
		var mc Config
		d := json.NewDecoder(strings.NewReader(cj))
		d.DisallowUnknownFields()
		if err := d.Decode(&mc); err != nil {
			return bad("config metadata: %v", err)
		}
		if mc != c {
			return bad("config metadata %+v does not match the tensors' %+v", mc, c)
		}
	}
	if err := c.Validate(); err != nil {
		return bad("%v", err)
	}
	// Check every tensor before allocating: the parameters then fit in the
	// file, whatever the shapes claimed.
	layout := c.Layout()
	for _, t := range layout {
		if _, ok := tensors[t.Name]; !ok {
			return bad("tensor %q missing", t.Name)
		}
		if !slices.Equal(shapes[t.Name], t.Shape) {
			return bad("tensor %q has shape %v, want %v", t.Name, shapes[t.Name], t.Shape)
		}
	}
	params := make([]float32, c.NumParams())
	for _, t := range layout {
		copy(params[t.Offset:], tensors[t.Name])
		delete(tensors, t.Name)
	}
	md := &Metadata{CMVNMean: tensors[cmvnMeanName], CMVNStd: tensors[cmvnStdName]}
	delete(tensors, cmvnMeanName)
	delete(tensors, cmvnStdName)
	for name := range tensors {
		return bad("unexpected tensor %q", name)
	}
	if s, ok := meta["phones"]; ok {
		if err := json.Unmarshal([]byte(s), &md.Phones); err != nil || md.Phones == nil {
			return bad("phones metadata is not a JSON list of strings")
		}
	}
	if s, ok := meta["target_delay"]; ok {
		if md.TargetDelay, err = strconv.Atoi(s); err != nil {
			return bad("target_delay metadata %q", s)
		}
	}
	if s, ok := meta["features"]; ok {
		md.Features = json.RawMessage(s)
	}
	if s, ok := meta["training"]; ok {
		md.Training = json.RawMessage(s)
	}
	if err := checkMetadata(c, md); err != nil {
		return bad("%v", err)
	}
	// Last, so that damage the checks above name is reported as such.
	if want, ok := meta[checksumKey]; ok {
		if got := contentChecksum(meta, data); got != want {
			return bad("checksum %s stored, the contents give %s: the file is corrupt", want, got)
		}
	}
	return newModel(c, params), md, nil
}

// objectFields splits a JSON object into its fields, rejecting duplicate
// names (which encoding/json would silently resolve).
func objectFields(b []byte) (map[string]json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		name := tok.(string) // object keys are strings
		var r json.RawMessage
		if err := d.Decode(&r); err != nil {
			return nil, fmt.Errorf("%q: %v", name, err)
		}
		if _, dup := fields[name]; dup {
			return nil, fmt.Errorf("%q appears twice", name)
		}
		fields[name] = r
	}
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	if rest := bytes.TrimSpace(b[d.InputOffset():]); len(rest) > 0 {
		return nil, errors.New("trailing bytes after the JSON object")
	}
	return fields, nil
}

// shapeConfig infers the network's shape from the tensors' shapes.
func shapeConfig(shapes map[string][]int) (Config, error) {
	var c Config
	ih, ok := shapes["lstm.weight_ih_l0"]
	if !ok || len(ih) != 2 {
		return c, errors.New("tensor \"lstm.weight_ih_l0\" missing or not a matrix")
	}
	ow, ok := shapes["output.weight"]
	if !ok || len(ow) != 2 {
		return c, errors.New("tensor \"output.weight\" missing or not a matrix")
	}
	if ih[0]%4 != 0 {
		return c, fmt.Errorf("lstm.weight_ih_l0 has %d rows, not 4×hidden", ih[0])
	}
	c.Inputs, c.Hidden, c.Outputs = ih[1], ih[0]/4, ow[0]
	for {
		if _, ok := shapes[fmt.Sprintf("lstm.weight_ih_l%d", c.Layers)]; !ok {
			break
		}
		c.Layers++
	}
	_, c.Peepholes = shapes["lstm.peephole_l0"]
	return c, nil
}
