package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runBenchCmd runs "phoneme bench args…" and returns its output.
func runBenchCmd(t *testing.T, args ...string) string {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	if err := app.Run(context.Background(), append([]string{"phoneme", "bench"}, args...)); err != nil {
		t.Fatalf("bench %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// TestBenchJSON: --json prints exactly the documented fields, one training
// row per schedule and batch of the speed table, with positive speeds and
// a peak share that is the row's GFLOP/s over the peak of its threads.
// (No timing assertion: only that something was measured.)
func TestBenchJSON(t *testing.T) {
	out := runBenchCmd(t, "--json", "--seconds", "0.01", "--runs", "1")
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var rep struct {
		Peak *struct {
			One *float64 `json:"one"`
			All *float64 `json:"all"`
		} `json:"peak_gflops"`
		Train []struct {
			Schedule     *string  `json:"schedule"`
			K1           *int     `json:"k1"`
			K2           *int     `json:"k2"`
			Batch        *int     `json:"batch"`
			Hidden       *int     `json:"hidden"`
			Inputs       *int     `json:"inputs"`
			FramesPerSec *float64 `json:"frames_per_sec"`
			GFLOPs       *float64 `json:"gflops"`
			PeakShare    *float64 `json:"peak_share"`
		} `json:"train"`
		Extract *struct {
			RealtimeFactor *float64 `json:"realtime_factor"`
		} `json:"extract"`
		Decode *struct {
			Greedy  *float64 `json:"greedy_frames_per_sec"`
			Viterbi *float64 `json:"viterbi_frames_per_sec"`
			Frames  *int     `json:"frames"`
			Rounds  *int     `json:"rounds"`
		} `json:"decode"`
	}
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("output is not the documented JSON: %v\n%s", err, out)
	}
	type key struct {
		schedule      string
		k1, k2, batch int
	}
	want := []key{{"sentence", 0, 0, 1}, {"tbptt", 20, 20, 1}, {"frame", 1, 1, 1}, {"frame", 1, 20, 1},
		{"sentence", 0, 0, 32}, {"tbptt", 20, 20, 32}, {"frame", 1, 1, 32}, {"frame", 1, 20, 32}}
	if rep.Peak == nil || rep.Peak.One == nil || rep.Peak.All == nil || !(*rep.Peak.One > 0) || !(*rep.Peak.All > 0) {
		t.Fatalf("no peak_gflops {one, all}:\n%s", out)
	}
	if len(rep.Train) != len(want) {
		t.Fatalf("%d training rows, want %d:\n%s", len(rep.Train), len(want), out)
	}
	for i, r := range rep.Train {
		if r.Schedule == nil || r.K1 == nil || r.K2 == nil || r.Batch == nil || r.Hidden == nil || r.Inputs == nil || r.FramesPerSec == nil ||
			r.GFLOPs == nil || r.PeakShare == nil {
			t.Fatalf("row %d lacks a field:\n%s", i, out)
		}
		if got := (key{*r.Schedule, *r.K1, *r.K2, *r.Batch}); got != want[i] {
			t.Errorf("row %d is %+v, want %+v", i, got, want[i])
		}
		if *r.Hidden != 128 || *r.Inputs != 39 || !(*r.FramesPerSec > 0) {
			t.Errorf("row %d: hidden %d, inputs %d, %v frames/s", i, *r.Hidden, *r.Inputs, *r.FramesPerSec)
		}
		peak := *rep.Peak.All
		if *r.Batch == 1 {
			peak = *rep.Peak.One
		}
		// Both are rounded only by JSON's shortest representation.
		if !(*r.GFLOPs > 0) || math.Abs(*r.PeakShare-*r.GFLOPs/peak) > 1e-12 {
			t.Errorf("row %d: %v GFLOP/s, peak share %v, peak %v", i, *r.GFLOPs, *r.PeakShare, peak)
		}
	}
	if rep.Extract == nil || rep.Extract.RealtimeFactor == nil || !(*rep.Extract.RealtimeFactor > 0) {
		t.Errorf("no extraction speed:\n%s", out)
	}
	if d := rep.Decode; d == nil || d.Greedy == nil || d.Viterbi == nil || d.Frames == nil || d.Rounds == nil ||
		!(*d.Greedy > 0) || !(*d.Viterbi > 0) || *d.Frames <= 0 || *d.Rounds <= 0 {
		t.Errorf("no decoder speeds:\n%s", out)
	}
}

// TestBenchTable: the default output is a table naming every schedule,
// the GFLOP/s and peak share, the measured peak and the extraction speed,
// and no PyTorch column unless --vs-pytorch measured one.
func TestBenchTable(t *testing.T) {
	out := runBenchCmd(t, "--seconds", "0.01", "--runs", "1")
	for _, s := range []string{"sentence", "tbptt", "frame", "frames/s", "GFLOP/s", "of peak", "FMA peak", "real time", "Viterbi phone loop"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "PyTorch") {
		t.Errorf("a PyTorch column without --vs-pytorch:\n%s", out)
	}
}

// TestBenchNoTorch: --vs-pytorch without an interpreter that imports
// torch leaves the column out and says why.
func TestBenchNoTorch(t *testing.T) {
	t.Setenv("PHONEME_PYTHON", filepath.Join(t.TempDir(), "no-python"))
	out := runBenchCmd(t, "--seconds", "0.01", "--runs", "1", "--vs-pytorch")
	if strings.Contains(out, "PyTorch frames/s") || !strings.Contains(out, "imports torch") {
		t.Errorf("want no PyTorch column and a line saying why:\n%s", out)
	}
}

// TestBenchProfile: --profile writes a CPU profile, and refuses to replace
// an existing file.
func TestBenchProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	runBenchCmd(t, "--seconds", "0.01", "--runs", "1", "--profile", path)
	b, err := os.ReadFile(path)
	// A pprof profile is gzip-compressed protobuf.
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile: %v, %d bytes", err, len(b))
	}
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err = app.Run(context.Background(), []string{"phoneme", "bench", "--seconds", "0.01", "--profile", path})
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("an existing --profile file: %v, want a usage error", err)
	}
}

// TestBenchBadSeconds: a non-positive --seconds is a usage error.
func TestBenchBadSeconds(t *testing.T) {
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(context.Background(), []string{"phoneme", "bench", "--seconds", "0"})
	var ue usageError
	if err == nil || !errors.As(err, &ue) {
		t.Errorf("--seconds 0: %v, want a usage error", err)
	}
}
