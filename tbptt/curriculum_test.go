package tbptt

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseK2Schedule(t *testing.T) {
	cases := []struct {
		in    string
		want  []int // K2At for epochs 0, 1, 2, …
		canon string
	}{
		{"1@0,5@2,20@4,all@8", []int{1, 1, 5, 5, 20, 20, 20, 20, All, All}, "1@0,5@2,20@4,all@8"},
		{"1@0/5@2/20@4", []int{1, 1, 5, 5, 20, 20}, "1@0,5@2,20@4"},
		{" 7@0 ", []int{7, 7, 7}, "7@0"},
		{"all@0", []int{All, All}, "all@0"},
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
	if !zero.IsZero() || zero.K2At(3) != All {
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
		{"0@0", "≥ 1"},
		{"x@0", "≥ 1"},
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

func TestParseK2List(t *testing.T) {
	got, err := ParseK2List("1, 2,50,all")
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]int{1, 2, 50, All}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "1,,2", "0", "-3", "1,x"} {
		if _, err := ParseK2List(bad); err == nil {
			t.Errorf("%q: no error", bad)
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
