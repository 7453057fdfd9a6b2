package eval

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/labels"
)

func TestSegments(t *testing.T) {
	type seg [3]int // start, end, class
	tests := []struct {
		name              string
		hyp               []int32
		delay, shift, num int
		want              []seg
	}{
		{"empty", nil, 0, 160, 1000, nil},
		{"one frame", []int32{7}, 0, 160, 400, []seg{{0, 160, 7}}},
		{"all equal", []int32{3, 3, 3, 3}, 0, 10, 100, []seg{{0, 40, 3}}},
		{"every frame differs", []int32{1, 2, 1, 2}, 0, 10, 100, []seg{{0, 10, 1}, {10, 20, 2}, {20, 30, 1}, {30, 40, 2}}},
		{"runs", []int32{5, 5, 9, 9, 9, 5}, 0, 10, 100, []seg{{0, 20, 5}, {20, 50, 9}, {50, 60, 5}}},
		// Kaldi framing, 25 ms frames every 10 ms at 16 kHz: 3 frames need
		// 400+2·160 = 720 samples; the tail after 3·160 has no segment.
		{"kaldi tail", []int32{1, 1, 2}, 0, 160, 720, []seg{{0, 320, 1}, {320, 480, 2}}},
		// Clipped: frames whose shift reaches past the audio (no snip edges).
		{"clipped", []int32{1, 2, 2}, 0, 160, 400, []seg{{0, 160, 1}, {160, 400, 2}}},
		{"clipped away", []int32{1, 2, 3}, 0, 160, 320, []seg{{0, 160, 1}, {160, 320, 2}}},
		// Delay 2: frame f is output f+2; the last two frames are not described.
		{"delay", []int32{9, 9, 4, 4, 6, 6, 6}, 2, 10, 100, []seg{{0, 20, 4}, {20, 50, 6}}},
		{"delay equal runs across the shift", []int32{4, 6, 4, 4, 4}, 1, 10, 100, []seg{{0, 10, 6}, {10, 40, 4}}},
		{"delay beyond outputs", []int32{1, 2}, 3, 10, 100, nil},
	}
	for _, tt := range tests {
		got := Segments(tt.hyp, tt.delay, tt.shift, tt.num)
		var want []labels.Segment
		for _, w := range tt.want {
			want = append(want, labels.Segment{Start: w[0], End: w[1], Phone: w[2]})
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		// Whatever the input, the segments tile [0, last end) in order
		// and alternate classes.
		for i := range got {
			if got[i].Start >= got[i].End || (i > 0 && (got[i].Start != got[i-1].End || got[i].Phone == got[i-1].Phone)) {
				t.Errorf("%s: bad segment %d in %v", tt.name, i, got)
			}
		}
	}
}

func TestWritePHN(t *testing.T) {
	names := labels.TIMIT61().Names()
	hash, _ := labels.TIMIT61().Index("h#")
	sh, _ := labels.TIMIT61().Index("sh")
	segs := []labels.Segment{{Start: 0, End: 2400, Phone: hash}, {Start: 2400, End: 3040, Phone: sh}}
	var b bytes.Buffer
	if err := WritePHN(&b, segs, names); err != nil {
		t.Fatal(err)
	}
	if b.String() != "0 2400 h#\n2400 3040 sh\n" {
		t.Errorf("got %q", b.String())
	}
	// What WritePHN writes, ParsePHN reads back.
	back, err := labels.ParsePHN(&b)
	if err != nil || !reflect.DeepEqual(back, segs) {
		t.Errorf("read back %v, %v", back, err)
	}
	err = WritePHN(&b, []labels.Segment{{Start: 0, End: 1, Phone: 61}}, names)
	if err == nil || !strings.Contains(err.Error(), "class 61") {
		t.Errorf("class 61: %v", err)
	}
}
