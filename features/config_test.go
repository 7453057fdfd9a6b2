package features

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"Dim", c.Dim(), 39},
		{"FrameLength", c.FrameLength(), 400},
		{"FrameShift", c.FrameShift(), 160},
		{"fftLength", c.fftLength(), 512},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	// The JSON form is the record in every manifest: it must round-trip exactly.
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil || back != c {
		t.Errorf("JSON round trip: got %+v, %v; want %+v", back, err, c)
	}
}

func TestNumFramesAndCentre(t *testing.T) {
	snip := DefaultConfig()
	reflect := DefaultConfig()
	reflect.SnipEdges = false
	tests := []struct {
		name    string
		cfg     Config
		samples int
		frames  int
		centres map[int]int // frame -> centre sample
	}{
		{"snip empty", snip, 0, 0, nil},
		{"snip shorter than a frame", snip, 399, 0, nil},
		{"snip one frame", snip, 400, 1, map[int]int{0: 200}},
		{"snip one frame and a bit", snip, 559, 1, nil},
		{"snip two frames", snip, 560, 2, map[int]int{1: 360}},
		{"snip 1 s", snip, 16000, 98, map[int]int{97: 97*160 + 200}},
		{"reflect empty", reflect, 0, 0, nil},
		{"reflect under half a shift", reflect, 79, 0, nil},
		{"reflect half a shift", reflect, 80, 1, map[int]int{0: 80}},
		{"reflect 239 samples", reflect, 239, 1, nil},
		{"reflect 240 samples", reflect, 240, 2, map[int]int{1: 240}},
		{"reflect 1 s", reflect, 16000, 100, map[int]int{99: 99*160 + 80}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.NumFrames(tc.samples); got != tc.frames {
				t.Errorf("NumFrames(%d) = %d, want %d", tc.samples, got, tc.frames)
			}
			for f, want := range tc.centres {
				if got := tc.cfg.FrameCentre(f); got != want {
					t.Errorf("FrameCentre(%d) = %d, want %d", f, got, want)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string // substring of the error; "" for valid
	}{
		{"default", func(c *Config) {}, ""},
		{"8 kHz", func(c *Config) { c.SampleRate = 8000 }, ""},
		{"deltas off", func(c *Config) { c.Deltas = 0; c.DeltaWindow = 0 }, ""},
		{"odd frame without power of two", func(c *Config) { c.RoundToPowerOfTwo = false; c.FrameLengthMs = 25.0625 }, "odd"},
		{"zero rate", func(c *Config) { c.SampleRate = 0 }, "sample rate"},
		{"tiny frame", func(c *Config) { c.FrameLengthMs = 0.05 }, "frame length"},
		{"zero shift", func(c *Config) { c.FrameShiftMs = 0 }, "frame shift"},
		{"NaN shift", func(c *Config) { c.FrameShiftMs = math.NaN() }, "frame shift is NaN"},
		{"dither", func(c *Config) { c.Dither = 1 }, "dither"},
		{"pre-emphasis", func(c *Config) { c.PreemphCoeff = 1.5 }, "pre-emphasis"},
		{"window", func(c *Config) { c.WindowType = "Povey" }, "window type"},
		{"two mel bins", func(c *Config) { c.NumMelBins = 2 }, "mel bins"},
		{"no cepstra", func(c *Config) { c.NumCeps = 0 }, "cepstra"},
		{"more cepstra than bins", func(c *Config) { c.NumCeps = 24 }, "more than the 23 mel bins"},
		{"negative floor", func(c *Config) { c.EnergyFloor = -1 }, "energy floor"},
		{"negative lifter", func(c *Config) { c.CepstralLifter = -22 }, "lifter"},
		{"delta order", func(c *Config) { c.Deltas = 3 }, "delta order"},
		{"delta window", func(c *Config) { c.DeltaWindow = 0 }, "delta window"},
		{"low above nyquist", func(c *Config) { c.LowFreq = 8000 }, "mel range"},
		{"high above nyquist", func(c *Config) { c.HighFreq = 9000 }, "mel range"},
		{"high offset below low", func(c *Config) { c.HighFreq = -7990 }, "mel range"},
		{"too many mel bins", func(c *Config) { c.NumMelBins = 200 }, "covers no FFT bin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.modify(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v, want no error", err)
			case tc.want != "" && err == nil:
				t.Errorf("Validate: no error, want one containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("Validate: %q, want it to contain %q", err, tc.want)
			}
			if _, nerr := NewExtractor(c); (nerr == nil) != (err == nil) {
				t.Errorf("NewExtractor error %v disagrees with Validate error %v", nerr, err)
			}
		})
	}
}

// TestValidateBounds: absurd sizes are refused before the FFT and mel
// tables are allocated (extract --frame-length 1e9 ran out of memory).
func TestValidateBounds(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.FrameLengthMs = 1e9 },
		func(c *Config) { c.FrameShiftMs = 1e9 },
		func(c *Config) { c.SampleRate = 1 << 30 },
		func(c *Config) { c.NumMelBins = 1 << 20 },
		func(c *Config) { c.DeltaWindow = 1 << 20 },
	} {
		c := DefaultConfig()
		mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "above") {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestDifferences(t *testing.T) {
	a, b := DefaultConfig(), DefaultConfig()
	if d := a.Differences(b); len(d) != 0 {
		t.Errorf("equal configurations differ: %v", d)
	}
	b.PreemphCoeff, b.NumCeps = 0.5, 12
	d := a.Differences(b)
	if len(d) != 2 || d[0].Name != "preemphasis_coefficient" || d[0].A != 0.97 || d[0].B != 0.5 || d[1].Name != "num_ceps" {
		t.Errorf("differences %+v", d)
	}
}
