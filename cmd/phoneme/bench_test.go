package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
// row per schedule of the speed table, with positive speeds. (No timing
// assertion: only that something was measured.)
func TestBenchJSON(t *testing.T) {
	out := runBenchCmd(t, "--json", "--seconds", "0.01")
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var rep struct {
		Train []struct {
			Schedule     *string  `json:"schedule"`
			K1           *int     `json:"k1"`
			K2           *int     `json:"k2"`
			Batch        *int     `json:"batch"`
			Hidden       *int     `json:"hidden"`
			Inputs       *int     `json:"inputs"`
			FramesPerSec *float64 `json:"frames_per_sec"`
		} `json:"train"`
		Extract *struct {
			RealtimeFactor *float64 `json:"realtime_factor"`
		} `json:"extract"`
	}
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("output is not the documented JSON: %v\n%s", err, out)
	}
	type key struct {
		schedule      string
		k1, k2, batch int
	}
	want := []key{{"sentence", 0, 0, 1}, {"tbptt", 20, 20, 1}, {"frame", 1, 1, 1}, {"frame", 1, 20, 1}, {"sentence", 0, 0, 32}}
	if len(rep.Train) != len(want) {
		t.Fatalf("%d training rows, want %d:\n%s", len(rep.Train), len(want), out)
	}
	for i, r := range rep.Train {
		if r.Schedule == nil || r.K1 == nil || r.K2 == nil || r.Batch == nil || r.Hidden == nil || r.Inputs == nil || r.FramesPerSec == nil {
			t.Fatalf("row %d lacks a field:\n%s", i, out)
		}
		if got := (key{*r.Schedule, *r.K1, *r.K2, *r.Batch}); got != want[i] {
			t.Errorf("row %d is %+v, want %+v", i, got, want[i])
		}
		if *r.Hidden != 128 || *r.Inputs != 39 || !(*r.FramesPerSec > 0) {
			t.Errorf("row %d: hidden %d, inputs %d, %v frames/s", i, *r.Hidden, *r.Inputs, *r.FramesPerSec)
		}
	}
	if rep.Extract == nil || rep.Extract.RealtimeFactor == nil || !(*rep.Extract.RealtimeFactor > 0) {
		t.Errorf("no extraction speed:\n%s", out)
	}
}

// TestBenchTable: the default output is a table naming every schedule and
// the extraction speed.
func TestBenchTable(t *testing.T) {
	out := runBenchCmd(t, "--seconds", "0.01")
	for _, s := range []string{"sentence", "tbptt", "frame", "frames/s", "real time", "PyTorch"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
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
