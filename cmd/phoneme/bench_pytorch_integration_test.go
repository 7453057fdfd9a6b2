//go:build integration

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchVsPyTorch: with torch installed (Debian's python3-torch; the
// interpreter as pythonWithTorch finds it), --vs-pytorch measures every
// row in PyTorch in the same run. It fails, saying why, when no
// interpreter imports torch.
func TestBenchVsPyTorch(t *testing.T) {
	if py, why := pythonWithTorch(context.Background()); py == "" {
		t.Fatalf("%s", why)
	}
	out := runBenchCmd(t, "--seconds", "0.05", "--runs", "1", "--vs-pytorch", "--json")
	var rep struct {
		Train []struct {
			Schedule string   `json:"schedule"`
			Batch    int      `json:"batch"`
			PyTorch  *float64 `json:"pytorch_frames_per_sec"`
		} `json:"train"`
	}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Train) != 8 {
		t.Fatalf("%d rows:\n%s", len(rep.Train), out)
	}
	for _, r := range rep.Train {
		if r.PyTorch == nil || !(*r.PyTorch > 0) {
			t.Errorf("%s batch %d: no PyTorch figure", r.Schedule, r.Batch)
		}
	}
}
