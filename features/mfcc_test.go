package features

import (
	"errors"
	"math"
	"testing"
)

// TestMelBanks checks the properties Kaldi's filterbank has by construction: filters
// are triangles with peak ≤ 1, their FFT bins lie inside [LowFreq, HighFreq], they
// are in increasing order, and between the first and the last centre each FFT bin's
// weights over all filters sum to 1 (neighbouring triangles share their slopes in the
// mel domain). Tolerance 1e-12: the sums are of two float64 ratios.
func TestMelBanks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(c *Config)
	}{
		{"default", func(c *Config) {}},
		{"40 bins 64 Hz to Nyquist-400", func(c *Config) { c.NumMelBins = 40; c.LowFreq = 64; c.HighFreq = -400 }},
		{"8 kHz 400-point FFT", func(c *Config) { c.SampleRate = 8000; c.FrameLengthMs = 50; c.RoundToPowerOfTwo = false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.modify(&c)
			banks, err := melBanks(c)
			if err != nil {
				t.Fatal(err)
			}
			if len(banks) != c.NumMelBins {
				t.Fatalf("%d filters, want %d", len(banks), c.NumMelBins)
			}
			n := c.fftLength()
			binHz := float64(c.SampleRate) / float64(n)
			sum := make([]float64, n/2)
			for b, f := range banks {
				lo, hi := float64(f.first)*binHz, float64(f.first+len(f.weights)-1)*binHz
				if lo <= c.LowFreq || hi >= c.highFreq() || f.first+len(f.weights) > n/2 {
					t.Errorf("filter %d spans %g–%g Hz, outside (%g, %g)", b, lo, hi, c.LowFreq, c.highFreq())
				}
				if b > 0 && f.first < banks[b-1].first {
					t.Errorf("filter %d starts at bin %d, before filter %d at %d", b, f.first, b-1, banks[b-1].first)
				}
				peak := 0
				for i, w := range f.weights {
					if !(w > 0 && w <= 1) {
						t.Errorf("filter %d weight %d = %g, want in (0, 1]", b, i, w)
					}
					if w > f.weights[peak] {
						peak = i
					}
					sum[f.first+i] += w
				}
				// Triangular: rising to the peak, falling after it.
				for i := 1; i < len(f.weights); i++ {
					if (i <= peak) != (f.weights[i] > f.weights[i-1]) {
						t.Errorf("filter %d is not a triangle at weight %d", b, i)
						break
					}
				}
			}
			mlo, mhi := melScale(c.LowFreq), melScale(c.highFreq())
			d := (mhi - mlo) / float64(c.NumMelBins+1)
			for i, s := range sum {
				m := melScale(float64(i) * binHz)
				if m > mlo+d && m < mhi-d && math.Abs(s-1) > 1e-12 {
					t.Errorf("FFT bin %d (%g Hz): weights sum to %.15g, want 1", i, float64(i)*binHz, s)
				}
			}
		})
	}
}

// TestDCTOrthonormal checks that the full N×N matrix from dctMatrix is orthonormal
// (D·Dᵀ = I), which is what Kaldi's scaling of the type-II DCT means. Tolerance 1e-12:
// sums of N ≤ 40 products of cosines.
func TestDCTOrthonormal(t *testing.T) {
	for _, n := range []int{4, 13, 23, 40} {
		d := dctMatrix(n, n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for k := 0; k < n; k++ {
					s += d[i*n+k] * d[j*n+k]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(s-want) > 1e-12 {
					t.Errorf("N=%d: row %d · row %d = %g, want %g", n, i, j, s, want)
				}
			}
		}
		// Row 0 is the scaled sum Kaldi expects: every entry √(1/N).
		if got := d[0]; math.Abs(got-math.Sqrt(1/float64(n))) > 1e-15 {
			t.Errorf("N=%d: D[0][0] = %g, want √(1/N)", n, got)
		}
	}
}

// TestWindows checks each window's symmetry and its values at the ends and the middle
// (Kaldi's definitions, with a = 2π/(N−1)). Tolerance 1e-12: a cosine and a power.
func TestWindows(t *testing.T) {
	const n = 401 // odd, so the middle sample is exactly the centre
	for _, tc := range []struct {
		kind      string
		end, peak float64
	}{
		{"povey", 0, 1},
		{"hanning", 0, 1},
		{"hamming", 0.08, 1},
		{"rectangular", 1, 1},
		{"blackman", 0, 1},
		{"sine", 0, 1},
	} {
		w := windowFunction(tc.kind, n)
		if math.Abs(w[0]-tc.end) > 1e-12 || math.Abs(w[n/2]-tc.peak) > 1e-12 {
			t.Errorf("%s: w[0] = %g, w[mid] = %g; want %g, %g", tc.kind, w[0], w[n/2], tc.end, tc.peak)
		}
		for i := range w {
			if math.Abs(w[i]-w[n-1-i]) > 1e-12 {
				t.Errorf("%s: not symmetric at %d", tc.kind, i)
				break
			}
		}
	}
	// Povey is the Hann window raised to 0.85.
	hann, povey := windowFunction("hanning", 400), windowFunction("povey", 400)
	for i := range hann {
		if math.Abs(povey[i]-math.Pow(hann[i], 0.85)) > 1e-12 {
			t.Fatalf("povey[%d] = %g, want hann^0.85 = %g", i, povey[i], math.Pow(hann[i], 0.85))
		}
	}
}

func TestLifter(t *testing.T) {
	l := lifterCoeffs(13, 22)
	// 1 + 11 sin(πi/22): C0 untouched, the largest weight at i = 11.
	for i, want := range map[int]float64{0: 1, 11: 12, 1: 1 + 11*math.Sin(math.Pi/22)} {
		if math.Abs(l[i]-want) > 1e-12 {
			t.Errorf("lifter[%d] = %g, want %g", i, l[i], want)
		}
	}
	for i, v := range lifterCoeffs(13, 0) {
		if v != 1 {
			t.Errorf("no lifter: coefficient %d = %g, want 1", i, v)
		}
	}
}

func TestComputeTooShort(t *testing.T) {
	e, err := NewExtractor(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 399} {
		m, err := e.Compute(make([]int16, n))
		if !errors.Is(err, ErrTooShort) || m != nil {
			t.Errorf("Compute(%d samples) = %v, %v; want error %v", n, m, err, ErrTooShort)
		}
	}
}

// TestComputeSilence: digital silence hits Kaldi's floors exactly: log energy and every
// log mel energy are ln(FLT_EPSILON), so C0 = ln ε and the other cepstra, being DCT
// rows orthogonal to a constant vector, are 0 (to rounding, 1e-5 for sums of 23 values
// of size 16 rounded to float32); so are all deltas.
func TestComputeSilence(t *testing.T) {
	e, err := NewExtractor(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Compute(make([]int16, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 4 || m.Cols != 39 {
		t.Fatalf("got %d×%d, want 4×39", m.Rows, m.Cols)
	}
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			want := 0.0
			if j == 0 {
				want = math.Log(epsilon)
			}
			if math.Abs(float64(v)-want) > 1e-5 {
				t.Errorf("frame %d coefficient %d = %g, want %g", i, j, v, want)
			}
		}
	}
}

// TestComputeAllocs checks that Compute allocates only its result (the Matrix and its
// data), however many frames there are: nothing per frame.
func TestComputeAllocs(t *testing.T) {
	e, err := NewExtractor(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	x := readS16(t, "testdata/synth.s16")
	for _, n := range []int{400, len(x)} {
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := e.Compute(x[:n]); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 2 {
			t.Errorf("Compute of %d samples: %g allocations, want ≤ 2", n, allocs)
		}
	}
}

// TestExtractorReuse: an Extractor's buffers carry nothing from one utterance to the
// next, so computing B after A gives exactly what a fresh Extractor gives for B.
func TestExtractorReuse(t *testing.T) {
	x := readS16(t, "testdata/synth.s16")
	a, b := x[:9000], x[9000:]
	e1, _ := NewExtractor(DefaultConfig())
	e2, _ := NewExtractor(DefaultConfig())
	if _, err := e1.Compute(a); err != nil {
		t.Fatal(err)
	}
	m1, err1 := e1.Compute(b)
	m2, err2 := e2.Compute(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for i, v := range m1.Data {
		if v != m2.Data[i] {
			t.Fatalf("value %d: %g after another utterance, %g fresh", i, v, m2.Data[i])
		}
	}
}

// FuzzCompute: any signal, framed either way, gives NumFrames × Dim finite values, or
// the too-short error when there is no frame.
func FuzzCompute(f *testing.F) {
	f.Add([]byte{1, 2, 3}, false)
	f.Add(make([]byte, 900), true)
	f.Add([]byte("\xff\x7f\x00\x80 a loud, clipped and short signal of some hundred bytes ....."), false)
	f.Fuzz(func(t *testing.T, data []byte, snip bool) {
		c := DefaultConfig()
		c.SnipEdges = snip
		e, err := NewExtractor(c)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]int16, len(data)/2)
		for i := range x {
			x[i] = int16(uint16(data[2*i]) | uint16(data[2*i+1])<<8)
		}
		m, err := e.Compute(x)
		if c.NumFrames(len(x)) == 0 {
			if !errors.Is(err, ErrTooShort) {
				t.Fatalf("%d samples: error %v, want %v", len(x), err, ErrTooShort)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Rows != c.NumFrames(len(x)) || m.Cols != c.Dim() || len(m.Data) != m.Rows*m.Cols {
			t.Fatalf("%d samples: %d×%d matrix with %d values", len(x), m.Rows, m.Cols, len(m.Data))
		}
		for i, v := range m.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("value %d is %g", i, v)
			}
		}
	})
}
