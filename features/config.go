package features

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Config holds the options of Kaldi's compute-mfcc-feats (and add-deltas) that this
// package implements. The zero value is not useful; start from DefaultConfig. The JSON
// tags follow Kaldi's option names so a manifest reads like a Kaldi config.
type Config struct {
	SampleRate        int     `json:"sample_rate"`             // Hz (Kaldi --sample-frequency)
	FrameLengthMs     float64 `json:"frame_length_ms"`         // window length in milliseconds
	FrameShiftMs      float64 `json:"frame_shift_ms"`          // hop in milliseconds
	Dither            float64 `json:"dither"`                  // must be 0: features are deterministic
	PreemphCoeff      float64 `json:"preemphasis_coefficient"` // in [0, 1]
	RemoveDCOffset    bool    `json:"remove_dc_offset"`        // subtract each frame's mean
	WindowType        string  `json:"window_type"`             // povey|hamming|hanning|rectangular|blackman|sine
	RoundToPowerOfTwo bool    `json:"round_to_power_of_two"`   // zero-pad the FFT to a power of two
	SnipEdges         bool    `json:"snip_edges"`              // only frames that fit; else reflect at the ends
	NumMelBins        int     `json:"num_mel_bins"`            // triangular mel filters
	LowFreq           float64 `json:"low_freq"`                // Hz, lower edge of the first filter
	HighFreq          float64 `json:"high_freq"`               // Hz; ≤ 0 means an offset from Nyquist
	NumCeps           int     `json:"num_ceps"`                // cepstra kept, C0 included
	UseEnergy         bool    `json:"use_energy"`              // replace C0 by the log energy
	RawEnergy         bool    `json:"raw_energy"`              // energy before pre-emphasis and window
	EnergyFloor       float64 `json:"energy_floor"`            // floor on the energy (not its log); 0 = none
	CepstralLifter    float64 `json:"cepstral_lifter"`         // 0 = no liftering
	Deltas            int     `json:"deltas"`                  // add-deltas order: 0, 1 or 2
	DeltaWindow       int     `json:"delta_window"`            // add-deltas --delta-window
}

// DefaultConfig returns Kaldi's compute-mfcc-feats defaults with dither 0, followed by
// add-deltas with its defaults: 13 cepstra plus deltas and delta-deltas, 39 dimensions.
func DefaultConfig() Config {
	return Config{
		SampleRate:        16000,
		FrameLengthMs:     25,
		FrameShiftMs:      10,
		Dither:            0,
		PreemphCoeff:      0.97,
		RemoveDCOffset:    true,
		WindowType:        "povey",
		RoundToPowerOfTwo: true,
		SnipEdges:         true,
		NumMelBins:        23,
		LowFreq:           20,
		HighFreq:          0,
		NumCeps:           13,
		UseEnergy:         true,
		RawEnergy:         true,
		EnergyFloor:       0,
		CepstralLifter:    22,
		Deltas:            2,
		DeltaWindow:       2,
	}
}

// Window types accepted by Config.WindowType, as in Kaldi.
var windowTypes = []string{"povey", "hamming", "hanning", "rectangular", "blackman", "sine"}

// Dim is the number of feature dimensions per frame: NumCeps × (1 + Deltas).
func (c Config) Dim() int { return c.NumCeps * (1 + c.Deltas) }

// FrameLength is the window length in samples, truncated as Kaldi does.
func (c Config) FrameLength() int {
	return int(float64(c.SampleRate) * 0.001 * c.FrameLengthMs)
}

// FrameShift is the hop between frames in samples, truncated as Kaldi does.
func (c Config) FrameShift() int {
	return int(float64(c.SampleRate) * 0.001 * c.FrameShiftMs)
}

// fftLength is the zero-padded FFT length.
func (c Config) fftLength() int {
	n := c.FrameLength()
	if !c.RoundToPowerOfTwo || n < 1 {
		return n
	}
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// NumFrames is the number of frames Kaldi produces from numSamples samples. With
// SnipEdges only frames lying wholly inside the signal are kept; otherwise the count
// depends only on the shift (rounded to the nearest frame) and the signal is reflected
// at its ends.
func (c Config) NumFrames(numSamples int) int {
	length, shift := c.FrameLength(), c.FrameShift()
	if shift <= 0 || length <= 0 || numSamples <= 0 {
		return 0
	}
	if c.SnipEdges {
		if numSamples < length {
			return 0
		}
		return 1 + (numSamples-length)/shift
	}
	return (numSamples + shift/2) / shift
}

// firstSample is the index of the first sample of frame t (negative when reflected).
func (c Config) firstSample(t int) int {
	shift := c.FrameShift()
	if c.SnipEdges {
		return t * shift
	}
	return t*shift + shift/2 - c.FrameLength()/2
}

// FrameCentre is the centre sample of frame t: its first sample plus half the frame
// length (t·shift + length/2 with SnipEdges, t·shift + shift/2 without). Frame labels
// are taken at this sample.
func (c Config) FrameCentre(t int) int {
	return c.firstSample(t) + c.FrameLength()/2
}

// A Difference is one option on which two configurations differ: its JSON
// (Kaldi) name and the two values.
type Difference struct {
	Name string
	A, B any
}

// Differences lists the options on which c and o differ, in field order.
func (c Config) Differences(o Config) []Difference {
	var out []Difference
	cv, ov := reflect.ValueOf(c), reflect.ValueOf(o)
	t := cv.Type()
	for i := range t.NumField() {
		if a, b := cv.Field(i).Interface(), ov.Field(i).Interface(); a != b {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			out = append(out, Difference{name, a, b})
		}
	}
	return out
}

// Upper bounds of Validate: far beyond any speech front end.
const (
	MaxSampleRate  = 384000
	MaxFrameMs     = 1000
	MaxMelBins     = 1024
	MaxDeltaWindow = 100
)

// Validate reports the first option that Kaldi would reject or that this package does
// not implement (any dither, since features here are deterministic).
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("features: "+format, args...)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"frame length", c.FrameLengthMs}, {"frame shift", c.FrameShiftMs}, {"dither", c.Dither},
		{"pre-emphasis coefficient", c.PreemphCoeff}, {"low frequency", c.LowFreq},
		{"high frequency", c.HighFreq}, {"energy floor", c.EnergyFloor},
		{"cepstral lifter", c.CepstralLifter},
	} {
		if !finite(f.v) {
			return bad("%s is %v", f.name, f.v)
		}
	}
	// Upper bounds come first: they keep a typo (a frame of 1e9 ms) from
	// allocating the machine's memory away in the FFT and mel tables below.
	switch {
	case c.SampleRate > MaxSampleRate:
		return bad("sample rate %d Hz is above %d Hz", c.SampleRate, MaxSampleRate)
	case c.FrameLengthMs > MaxFrameMs:
		return bad("frame length %g ms is above %d ms", c.FrameLengthMs, MaxFrameMs)
	case c.FrameShiftMs > MaxFrameMs:
		return bad("frame shift %g ms is above %d ms", c.FrameShiftMs, MaxFrameMs)
	case c.NumMelBins > MaxMelBins:
		return bad("%d mel bins is above %d", c.NumMelBins, MaxMelBins)
	case c.DeltaWindow > MaxDeltaWindow:
		return bad("delta window %d is above %d", c.DeltaWindow, MaxDeltaWindow)
	}
	switch {
	case c.SampleRate <= 0:
		return bad("sample rate %d Hz must be positive", c.SampleRate)
	case c.FrameLength() < 2:
		return bad("frame length %g ms is %d samples at %d Hz; need at least 2",
			c.FrameLengthMs, c.FrameLength(), c.SampleRate)
	case c.FrameShift() < 1:
		return bad("frame shift %g ms is %d samples at %d Hz; need at least 1",
			c.FrameShiftMs, c.FrameShift(), c.SampleRate)
	case c.fftLength()%2 != 0:
		return bad("frame length of %d samples is odd and round_to_power_of_two is off; the FFT length must be even",
			c.FrameLength())
	case c.Dither != 0:
		return bad("dither %g is not supported: features are deterministic, set it to 0", c.Dither)
	case c.PreemphCoeff < 0 || c.PreemphCoeff > 1:
		return bad("pre-emphasis coefficient %g is outside [0, 1]", c.PreemphCoeff)
	case !knownWindow(c.WindowType):
		return bad("unknown window type %q (want one of %v)", c.WindowType, windowTypes)
	case c.NumMelBins < 3:
		return bad("%d mel bins; need at least 3", c.NumMelBins)
	case c.NumCeps < 1:
		return bad("%d cepstra; need at least 1", c.NumCeps)
	case c.NumCeps > c.NumMelBins:
		return bad("%d cepstra is more than the %d mel bins", c.NumCeps, c.NumMelBins)
	case c.EnergyFloor < 0:
		return bad("energy floor %g is negative", c.EnergyFloor)
	case c.CepstralLifter < 0:
		return bad("cepstral lifter %g is negative", c.CepstralLifter)
	case c.Deltas < 0 || c.Deltas > 2:
		return bad("delta order %d is not 0, 1 or 2", c.Deltas)
	case c.Deltas > 0 && c.DeltaWindow < 1:
		return bad("delta window %d must be at least 1", c.DeltaWindow)
	}
	nyquist := 0.5 * float64(c.SampleRate)
	high := c.highFreq()
	if c.LowFreq < 0 || c.LowFreq >= nyquist || high <= 0 || high > nyquist || high <= c.LowFreq {
		return bad("mel range low %g Hz, high %g Hz (resolved %g Hz) is not inside (0, %g] with low < high",
			c.LowFreq, c.HighFreq, high, nyquist)
	}
	if _, err := melBanks(c); err != nil {
		return err
	}
	return nil
}

// highFreq resolves HighFreq: a value ≤ 0 is an offset from the Nyquist frequency.
func (c Config) highFreq() float64 {
	if c.HighFreq > 0 {
		return c.HighFreq
	}
	return 0.5*float64(c.SampleRate) + c.HighFreq
}

func knownWindow(w string) bool {
	for _, k := range windowTypes {
		if w == k {
			return true
		}
	}
	return false
}

// ErrTooShort is returned (wrapped) by Extractor.Compute for a signal too short to hold
// one frame.
var ErrTooShort = errors.New("features: signal is shorter than one frame")
