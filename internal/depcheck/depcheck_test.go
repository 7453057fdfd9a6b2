package depcheck

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-audio/wav"
	dspfft "github.com/mjibson/go-dsp/fft"
	cliv2 "github.com/urfave/cli/v2"
	cliv3 "github.com/urfave/cli/v3"
	"gonum.org/v1/gonum/dsp/fourier"
)

// wavFile builds a RIFF WAVE file: a 16-byte fmt chunk of format tag tag,
// then a data chunk declaring dataSize bytes and holding body.
func wavFile(tag uint16, bits int, dataSize uint32, body []byte) []byte {
	le := binary.LittleEndian
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, tag)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint32(b, 16000)
	b = le.AppendUint32(b, uint32(16000*bits/8))
	b = le.AppendUint16(b, uint16(bits/8))
	b = le.AppendUint16(b, uint16(bits))
	b = append(b, "data"...)
	b = le.AppendUint32(b, dataSize)
	b = append(b, body...)
	le.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func pcm16(n int) []byte {
	var b []byte
	for i := range n {
		b = binary.LittleEndian.AppendUint16(b, uint16(int16(1000*math.Sin(float64(i)/10))))
	}
	return b
}

// TestGoAudioTruncated: a data chunk declaring 2000 bytes of which the
// file holds 20 decodes without an error (phoneme: "truncated: data chunk
// declares 2000 bytes, file has 20").
func TestGoAudioTruncated(t *testing.T) {
	d := wav.NewDecoder(bytes.NewReader(wavFile(1, 16, 2000, pcm16(10))))
	buf, err := d.FullPCMBuffer()
	t.Logf("go-audio/wav v1.1.0, data chunk of 2000 declared bytes, 20 present: %d samples, error %v", len(buf.Data), err)
	if err != nil {
		t.Errorf("go-audio/wav now reports truncation (%v): update the README", err)
	}
}

// TestGoAudioUnknownSize: a data size of 0xFFFFFFFF (a streamed recording)
// gives 0 samples and no error (phoneme: an error naming the size).
func TestGoAudioUnknownSize(t *testing.T) {
	d := wav.NewDecoder(bytes.NewReader(wavFile(1, 16, 0xFFFFFFFF, pcm16(1000))))
	buf, err := d.FullPCMBuffer()
	n := 0
	if buf != nil {
		n = len(buf.Data)
	}
	t.Logf("go-audio/wav v1.1.0, data size 0xFFFFFFFF over 1000 samples: %d samples, error %v", n, err)
	if n != 0 || err != nil {
		t.Errorf("go-audio/wav now reads %d samples (error %v): update the README", n, err)
	}
}

// TestGoAudioFloat: a 32-bit IEEE float file comes back as integers (the
// float's bit pattern), with no error (phoneme: 32768·x).
func TestGoAudioFloat(t *testing.T) {
	var body []byte
	for _, v := range []float32{0.5, -0.25} {
		body = binary.LittleEndian.AppendUint32(body, math.Float32bits(v))
	}
	d := wav.NewDecoder(bytes.NewReader(wavFile(3, 32, uint32(len(body)), body)))
	buf, err := d.FullPCMBuffer()
	if err != nil {
		t.Fatalf("go-audio/wav: %v", err)
	}
	t.Logf("go-audio/wav v1.1.0, float32 samples 0.5, -0.25: IntBuffer %v", buf.Data)
	if len(buf.Data) != 2 || buf.Data[0] != int(int32(math.Float32bits(0.5))) {
		t.Errorf("go-audio/wav now decodes float data as %v: update the README", buf.Data)
	}
}

// countingFile counts Read calls on a file.
type countingFile struct {
	*os.File
	reads int
}

func (c *countingFile) Read(p []byte) (int, error) { c.reads++; return c.File.Read(p) }

// TestGoAudioReadsPerSample: decoding a file of 48000 16-bit samples
// (3 s at 16 kHz) makes about one Read call (one system call) per sample
// (phoneme: one read of the file).
func TestGoAudioReadsPerSample(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.wav")
	if err := os.WriteFile(p, wavFile(1, 16, 96000, pcm16(48000)), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &countingFile{File: f}
	buf, err := wav.NewDecoder(c).FullPCMBuffer()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("go-audio/wav v1.1.0, 48000 samples from a file: %d Read calls (%.2f per sample)", c.reads, float64(c.reads)/float64(len(buf.Data)))
	if c.reads < len(buf.Data) {
		t.Errorf("go-audio/wav now reads in blocks (%d reads for %d samples): update the README", c.reads, len(buf.Data))
	}
}

var _ io.Reader = (*countingFile)(nil)

// TestFFTAgree: go-dsp and gonum compute the same 512-point spectrum, so the
// benchmarks compare like with like.
func TestFFTAgree(t *testing.T) {
	x := signal512()
	a := dspfft.FFTReal(x)
	b := fourier.NewFFT(512).Coefficients(nil, x)
	for k := range b {
		if cmplx.Abs(a[k]-b[k]) > 1e-9*512 {
			t.Fatalf("bin %d: go-dsp %v, gonum %v", k, a[k], b[k])
		}
	}
}

func signal512() []float64 {
	x := make([]float64, 512)
	for i := range x {
		x[i] = math.Sin(float64(i)*0.3) + 0.1*math.Cos(float64(i)*2.1)
	}
	return x
}

// BenchmarkFFT512: one 512-point real FFT (a 25 ms frame at 16 kHz, zero
// padded), as the feature extractor needs per frame.
func BenchmarkFFT512(b *testing.B) {
	x := signal512()
	b.Run("go-dsp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dspfft.FFTReal(x)
		}
	})
	b.Run("gonum", func(b *testing.B) {
		f := fourier.NewFFT(512)
		dst := make([]complex128, 257)
		b.ReportAllocs()
		for b.Loop() {
			f.Coefficients(dst, x)
		}
	})
}

// TestCLIFlagAfterArgument: `classify a.wav --model m`. urfave/cli v2
// stops parsing flags at the first argument, so --model is not set and
// "--model", "m" become arguments; v3 parses it.
func TestCLIFlagAfterArgument(t *testing.T) {
	var v2model string
	var v2args []string
	app := &cliv2.App{Name: "phoneme", Commands: []*cliv2.Command{{
		Name:  "classify",
		Flags: []cliv2.Flag{&cliv2.StringFlag{Name: "model"}},
		Action: func(c *cliv2.Context) error {
			v2model, v2args = c.String("model"), c.Args().Slice()
			return nil
		},
	}}}
	if err := app.Run([]string{"phoneme", "classify", "a.wav", "--model", "m"}); err != nil {
		t.Fatal(err)
	}
	var v3model string
	var v3args []string
	cmd := &cliv3.Command{Name: "phoneme", Commands: []*cliv3.Command{{
		Name:  "classify",
		Flags: []cliv3.Flag{&cliv3.StringFlag{Name: "model"}},
		Action: func(_ context.Context, c *cliv3.Command) error {
			v3model, v3args = c.String("model"), c.Args().Slice()
			return nil
		},
	}}}
	if err := cmd.Run(context.Background(), []string{"phoneme", "classify", "a.wav", "--model", "m"}); err != nil {
		t.Fatal(err)
	}
	t.Logf("classify a.wav --model m: cli/v2 model %q args %q; cli/v3 model %q args %q", v2model, v2args, v3model, v3args)
	if v2model != "" || v3model != "m" {
		t.Errorf("v2 model %q, v3 model %q: update the README", v2model, v3model)
	}
}

// BenchmarkFFT512Ratio times the two FFTs alternately, call by call, so
// that a shared machine's load falls on both alike, and reports go-dsp's
// time over gonum's.
func BenchmarkFFT512Ratio(b *testing.B) {
	x := signal512()
	f := fourier.NewFFT(512)
	dst := make([]complex128, 257)
	var dsp, gon time.Duration
	for b.Loop() {
		t0 := time.Now()
		dspfft.FFTReal(x)
		t1 := time.Now()
		f.Coefficients(dst, x)
		gon += time.Since(t1)
		dsp += t1.Sub(t0)
	}
	b.ReportMetric(float64(dsp)/float64(gon), "go-dsp/gonum")
}
