package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/internal/synth"
	"github.com/phoneme/phoneme/tbptt"
)

func TestParseK2Schedule(t *testing.T) {
	cases := []struct {
		in    string
		want  []int // K2At for epochs 0, 1, 2, …
		canon string
	}{
		{"1@0,5@2,20@4,all@8", []int{1, 1, 5, 5, 20, 20, 20, 20, tbptt.All, tbptt.All}, "1@0,5@2,20@4,all@8"},
		{"1@0/5@2/20@4", []int{1, 1, 5, 5, 20, 20}, "1@0,5@2,20@4"},
		{" 7@0 ", []int{7, 7, 7}, "7@0"},
		{"all@0", []int{tbptt.All, tbptt.All}, "all@0"},
		// round(1 + 19·e/8): 1, 3.375, 5.75, 8.125, 10.5, 12.875, 15.25, 17.625, 20
		{"ramp:1-20@0-8", []int{1, 3, 6, 8, 11, 13, 15, 18, 20, 20, 20}, "1-20@0-8"},
		{"1-20@0-8", []int{1, 3, 6, 8, 11, 13, 15, 18, 20}, "1-20@0-8"},
		{"5-10@2-4", []int{5, 5, 5, 8, 10, 10}, "5-10@2-4"}, // 7.5 rounds up
		{"20-1@0-2", []int{20, 11, 1, 1}, "20-1@0-2"},       // 10.5 rounds up (away from zero)
	}
	for _, tc := range cases {
		k, err := ParseK2Schedule(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var got []int
		for e := range tc.want {
			got = append(got, k.K2At(e))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: k2 by epoch %v, want %v", tc.in, got, tc.want)
		}
		if k.String() != tc.canon {
			t.Errorf("%q: String() = %q, want %q", tc.in, k.String(), tc.canon)
		}
		again, err := ParseK2Schedule(k.String())
		if err != nil || again.String() != k.String() {
			t.Errorf("%q: canonical form %q does not read back: %v", tc.in, k.String(), err)
		}
		if k.IsZero() {
			t.Errorf("%q: IsZero", tc.in)
		}
	}
	var zero K2Schedule
	if !zero.IsZero() || zero.K2At(3) != tbptt.All {
		t.Error("zero schedule: want IsZero and k2 = all")
	}
}

func TestParseK2ScheduleErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"5", "K2@EPOCH"},
		{"5@1", "epoch 0"},
		{"1@0,5@2,3@2", "increase"},
		{"1@0,5@3,3@2", "increase"},
		{"0@0", "in 1 … 100000"},
		{"x@0", "in 1 … 100000"},
		{"1@-1", "epoch"},
		{"1@0,", "K2@EPOCH"},
		{"1@0,5@2/7@3", "not both"},
		{"ramp:1-20", "FROM-TO"},
		{"ramp:1-all@0-8", "cannot end at all"},
		{"ramp:0-5@0-8", "≥ 1"},
		{"1-20@3-3", "after the first"},
		{"1-20@4-2", "after the first"},
		{"1-20@0", "epochs"},
	} {
		_, err := ParseK2Schedule(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

// FuzzParseK2Schedule: any schedule that parses has a canonical form that
// parses to the same k2 in every epoch, and k2 is never negative.
func FuzzParseK2Schedule(f *testing.F) {
	for _, s := range []string{"1@0,5@2,20@4,all@8", "1@0/5@2", "ramp:1-20@0-8", "1-20@0-8", "5@1", "1-all@0-2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseK2Schedule(s)
		if err != nil {
			return
		}
		again, err := ParseK2Schedule(k.String())
		if err != nil {
			t.Fatalf("%q: canonical %q: %v", s, k.String(), err)
		}
		for e := range 50 {
			a, b := k.K2At(e), again.K2At(e)
			if a != b || a < 0 {
				t.Fatalf("%q epoch %d: k2 %d, canonical %d", s, e, a, b)
			}
		}
	})
}

// TestTrainK2Schedule trains under a k2 curriculum: each epoch runs with
// the k2 in force (its backward work equals that of a run with that k2
// throughout, which depends only on the sentences), the log records it,
// a constant curriculum is the plain k2 bit for bit, and an interrupted
// curriculum run resumes to the same weights.
func TestTrainK2Schedule(t *testing.T) {
	train, dev := synth.Split(11, 12, false), synth.Split(12, 4, false)
	dir := t.TempDir()
	base := smallConfig()
	base.Schedule, base.Epochs = "frame", 3
	curr := base
	curr.K2Schedule = "1@0,3@1,all@2"
	res, err := Run(context.Background(), curr, train, dev, filepath.Join(dir, "curr.safetensors"), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Epochs {
		got = append(got, e.K2)
	}
	if fmt.Sprint(got) != "[1 3 all]" {
		t.Errorf("k2 by epoch %v, want [1 3 all]", got)
	}
	// Backward frames of one epoch with each k2 held fixed.
	prevBack := int64(0)
	for i, k2 := range []string{"1", "3", "all"} {
		c := base
		c.K2, c.Epochs = k2, 1
		r, err := Run(context.Background(), c, train, nil, filepath.Join(dir, "k"+k2+".safetensors"), Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		if d := res.Epochs[i].FramesBackward - prevBack; d != r.FramesBackward {
			t.Errorf("epoch %d (k2 %s): %d frames back-propagated, a k2 = %s epoch takes %d", i+1, k2, d, k2, r.FramesBackward)
		}
		prevBack = res.Epochs[i].FramesBackward
	}
	_, csvPath := LogPaths(filepath.Join(dir, "curr.safetensors"))
	csv, _ := os.ReadFile(csvPath)
	if lines := strings.Split(string(csv), "\n"); len(lines) < 4 || !strings.Contains(lines[0], ",k2,") || !strings.Contains(lines[3], ",all,") {
		t.Errorf("csv log does not record k2:\n%s", csv)
	}

	// A constant curriculum is the plain k2.
	one, plain := base, base
	one.K2Schedule, plain.K2 = "3@0", "3"
	a, b := filepath.Join(dir, "one.safetensors"), filepath.Join(dir, "plain.safetensors")
	if _, err := Run(context.Background(), one, train, dev, a, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), plain, train, dev, b, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if i := synth.SameBits(loadParams(t, LastPath(a)), loadParams(t, LastPath(b))); i != -1 {
		t.Errorf("k2 schedule 3@0 and k2 3 differ at parameter %d", i)
	}

	// Interrupted in epoch 2 (k2 = 3), resumed: the same weights.
	out := filepath.Join(dir, "resumed.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	perEpoch := res.Epochs[0].Updates
	_, err = Run(ctx, curr, train, dev, out, Hooks{Update: func(n int64) {
		if n == perEpoch+5 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupt: %v", err)
	}
	curr.Resume = true
	if _, err := Run(context.Background(), curr, train, dev, out, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if i := synth.SameBits(loadParams(t, LastPath(filepath.Join(dir, "curr.safetensors"))), loadParams(t, LastPath(out))); i != -1 {
		t.Errorf("resumed curriculum run differs at parameter %d", i)
	}
}

func TestTrainK2ScheduleErrors(t *testing.T) {
	for _, tc := range []struct {
		schedule, k2s string
		want          string
	}{
		{"sentence", "1@0", "needs the frame or tbptt"},
		{"frame", "1@1", "epoch 0"},
		{"tbptt", "ramp:1-x@0-2", "ramp"},
	} {
		c := smallConfig()
		c.Schedule, c.K2Schedule = tbptt.Kind(tc.schedule), tc.k2s
		if tc.schedule == "tbptt" {
			c.K1 = 5
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s with %q: error %v, want one containing %q", tc.schedule, tc.k2s, err, tc.want)
		}
	}
}
