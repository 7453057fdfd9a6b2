package features

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// epsilon is C's FLT_EPSILON, Kaldi's floor before taking a logarithm of an energy.
const epsilon = 1.1920928955078125e-07

// fltMin is C's FLT_MIN, Kaldi's floor for the windowed (non-raw) log energy.
const fltMin = 1.1754943508222875e-38

// blackmanCoeff is Kaldi's default --blackman-coeff, used by the "blackman" window.
const blackmanCoeff = 0.42

// Extractor computes MFCCs (and their deltas) as Kaldi's compute-mfcc-feats followed by
// add-deltas do. It holds the precomputed window, mel filterbank, DCT matrix and FFT
// plan plus the per-frame buffers, so Compute allocates only its result. An Extractor
// is not safe for concurrent use: create one per goroutine.
type Extractor struct {
	cfg    Config
	length int          // samples per frame
	pfft   *powerFFT    // power-of-two lengths
	fft    *fourier.FFT // other lengths
	window []float64    // length
	mel    []melFilter  // NumMelBins
	dct    []float64    // NumCeps × NumMelBins, row-major
	lifter []float64    // NumCeps
	scales [][]float64  // delta filters, order 1..Deltas, each centred
	frame  []float64    // fftLength; the tail past length stays zero
	spec   []complex128 // fftLength/2+1
	power  []float64    // fftLength/2+1
	energy []float64    // NumMelBins log mel energies
	acc    []float64    // Dim, delta accumulator
}

// melFilter is one triangular filter: weights for power-spectrum bins first, first+1, ….
type melFilter struct {
	first   int
	weights []float64
}

// NewExtractor validates c and precomputes everything Compute needs.
func NewExtractor(c Config) (*Extractor, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := c.fftLength()
	mel, err := melBanks(c)
	if err != nil {
		return nil, err
	}
	e := &Extractor{
		cfg:    c,
		length: c.FrameLength(),
		window: windowFunction(c.WindowType, c.FrameLength()),
		mel:    mel,
		dct:    dctMatrix(c.NumCeps, c.NumMelBins),
		lifter: lifterCoeffs(c.NumCeps, c.CepstralLifter),
		scales: deltaScales(c.Deltas, c.DeltaWindow),
		frame:  make([]float64, n),
		spec:   make([]complex128, n/2+1),
		power:  make([]float64, n/2+1),
		energy: make([]float64, c.NumMelBins),
		acc:    make([]float64, c.Dim()),
	}
	if isPowerOfTwo(n) {
		e.pfft = newPowerFFT(n)
	} else {
		e.fft = fourier.NewFFT(n)
	}
	return e, nil
}

// Config returns the configuration the Extractor was built with.
func (e *Extractor) Config() Config { return e.cfg }

// Compute returns the features of one utterance of 16-bit samples at the configured
// sample rate: Config.NumFrames(len(samples)) rows of Config.Dim() columns, the
// NumCeps static cepstra followed by their deltas and delta-deltas. A signal too short
// to give one frame is an error.
func (e *Extractor) Compute(samples []int16) (*Matrix, error) {
	c := e.cfg
	rows := c.NumFrames(len(samples))
	if rows == 0 {
		return nil, fmt.Errorf("%w (%d samples, frame length %d)", ErrTooShort, len(samples), e.length)
	}
	m := NewMatrix(rows, c.Dim())
	for t := 0; t < rows; t++ {
		e.static(samples, c.firstSample(t), m.Row(t)[:c.NumCeps])
	}
	e.addDeltas(m)
	return m, nil
}

// static computes the NumCeps cepstra of the frame whose first sample is
// samples[start] into dst (reflecting at the ends of samples), following
// Kaldi's ExtractWindow, ProcessWindow and MfccComputer::Compute step by step.
func (e *Extractor) static(samples []int16, start int, dst []float32) {
	c := &e.cfg
	n := len(samples)
	fr := e.frame[:e.length]
	var sum float64
	if start >= 0 && start+e.length <= n {
		for i, s := range samples[start : start+e.length] {
			v := float64(s)
			fr[i] = v
			sum += v
		}
	} else {
		// Reflect at the ends as Kaldi does: index -1 is sample 0, index n is sample n-1.
		for i := range fr {
			s := start + i
			for s < 0 || s >= n {
				if s < 0 {
					s = -s - 1
				} else {
					s = 2*n - 1 - s
				}
			}
			v := float64(samples[s])
			fr[i] = v
			sum += v
		}
	}
	var mean float64
	if c.RemoveDCOffset {
		mean = sum / float64(len(fr))
	}
	// One forward pass: DC removal, the raw energy (after DC removal, before
	// pre-emphasis and windowing), then pre-emphasis against the previous
	// DC-free sample and the window. Kaldi's convention: the first sample
	// is pre-emphasised against itself.
	p, w := c.PreemphCoeff, e.window[:len(fr)]
	var energy float64
	prev := fr[0] - mean
	for i, v := range fr {
		v -= mean
		energy += v * v
		fr[i] = (v - p*prev) * w[i]
		prev = v
	}
	var logEnergy float64
	if c.UseEnergy && c.RawEnergy {
		logEnergy = math.Log(math.Max(energy, epsilon))
	}
	if c.UseEnergy && !c.RawEnergy {
		logEnergy = math.Log(math.Max(sumSquares(fr), fltMin))
	}
	if c.UseEnergy && c.EnergyFloor > 0 {
		logEnergy = math.Max(logEnergy, math.Log(c.EnergyFloor))
	}

	if e.pfft != nil {
		e.pfft.power(e.power, e.frame)
	} else {
		e.fft.Coefficients(e.spec, e.frame)
		for k, z := range e.spec {
			re, im := real(z), imag(z)
			e.power[k] = re*re + im*im
		}
	}
	for j, f := range e.mel {
		var s float64
		p := e.power[f.first : f.first+len(f.weights)]
		for i, w := range f.weights {
			s += w * p[i]
		}
		e.energy[j] = math.Log(math.Max(s, epsilon))
	}
	nb := len(e.energy)
	for k := range dst {
		row := e.dct[k*nb : (k+1)*nb]
		var s float64
		for j, v := range e.energy {
			s += row[j] * v
		}
		dst[k] = float32(s * e.lifter[k])
	}
	if c.UseEnergy {
		dst[0] = float32(logEnergy)
	}
}

func sumSquares(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}

// windowFunction returns Kaldi's FeatureWindowFunction of the given type and length.
func windowFunction(kind string, n int) []float64 {
	w := make([]float64, n)
	a := 2 * math.Pi / float64(n-1)
	for i := range w {
		x := float64(i)
		switch kind {
		case "hanning":
			w[i] = 0.5 - 0.5*math.Cos(a*x)
		case "sine":
			w[i] = math.Sin(0.5 * a * x)
		case "hamming":
			w[i] = 0.54 - 0.46*math.Cos(a*x)
		case "povey": // like hanning, but raised to 0.85 so it reaches zero more gently
			w[i] = math.Pow(0.5-0.5*math.Cos(a*x), 0.85)
		case "rectangular":
			w[i] = 1
		case "blackman":
			w[i] = blackmanCoeff - 0.5*math.Cos(a*x) + (0.5-blackmanCoeff)*math.Cos(2*a*x)
		}
	}
	return w
}

// melScale is Kaldi's MelScale: 1127 ln(1 + f/700).
func melScale(f float64) float64 { return 1127 * math.Log(1+f/700) }

// melBanks builds Kaldi's triangular filters, equally spaced on the mel scale between
// LowFreq and the resolved HighFreq, over the FFT bins below Nyquist. A filter that
// covers no FFT bin is an error, as in Kaldi (too many mel bins for the FFT size).
func melBanks(c Config) ([]melFilter, error) {
	n := c.fftLength()
	numFFTBins := n / 2
	binWidth := float64(c.SampleRate) / float64(n)
	melLow, melHigh := melScale(c.LowFreq), melScale(c.highFreq())
	delta := (melHigh - melLow) / float64(c.NumMelBins+1)
	banks := make([]melFilter, c.NumMelBins)
	for b := range banks {
		left := melLow + float64(b)*delta
		centre := melLow + float64(b+1)*delta
		right := melLow + float64(b+2)*delta
		first := -1
		var w []float64
		for i := 0; i < numFFTBins; i++ {
			mel := melScale(binWidth * float64(i))
			if mel <= left || mel >= right {
				continue
			}
			var weight float64
			if mel <= centre {
				weight = (mel - left) / (centre - left)
			} else {
				weight = (right - mel) / (right - centre)
			}
			if first < 0 {
				first = i
			}
			// Filters are contiguous in FFT bins, so index from first.
			w = append(w, weight)
		}
		if first < 0 {
			return nil, fmt.Errorf("features: mel bin %d of %d covers no FFT bin (FFT length %d); use fewer mel bins or a longer frame",
				b, c.NumMelBins, n)
		}
		banks[b] = melFilter{first: first, weights: w}
	}
	return banks, nil
}

// dctMatrix returns Kaldi's ComputeDctMatrix truncated to numCeps rows: the
// orthonormal type-II DCT, row 0 = √(1/N), row k = √(2/N) cos(πk(j+½)/N).
func dctMatrix(numCeps, n int) []float64 {
	d := make([]float64, numCeps*n)
	for k := 0; k < numCeps; k++ {
		scale := math.Sqrt(2 / float64(n))
		if k == 0 {
			scale = math.Sqrt(1 / float64(n))
		}
		for j := 0; j < n; j++ {
			d[k*n+j] = scale * math.Cos(math.Pi/float64(n)*(float64(j)+0.5)*float64(k))
		}
	}
	return d
}

// lifterCoeffs returns Kaldi's ComputeLifterCoeffs: 1 + Q/2 sin(πi/Q), or ones for Q = 0.
func lifterCoeffs(numCeps int, q float64) []float64 {
	l := make([]float64, numCeps)
	for i := range l {
		l[i] = 1
		if q != 0 {
			l[i] = 1 + 0.5*q*math.Sin(math.Pi*float64(i)/q)
		}
	}
	return l
}
