package compare

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/tbptt"
	"github.com/phoneme/phoneme/tbptt/train"
)

func TestParseScheduleList(t *testing.T) {
	base := train.DefaultConfig()
	tests := []struct {
		list  string
		want  []tbptt.Schedule
		check func(t *testing.T, cfgs []train.Config)
	}{
		{"sentence,frame:k2=1,frame:k2=20,tbptt:k1=20:k2=20,tbptt:k1=5:k2=20,tbptt:k1=20:k2=5:per-error",
			[]tbptt.Schedule{tbptt.Sentence(), {Kind: tbptt.KindFrame, K1: 1, K2: 1, Truncation: tbptt.Window}, {Kind: tbptt.KindFrame, K1: 1, K2: 20, Truncation: tbptt.Window}, {Kind: tbptt.KindTBPTT, K1: 20, K2: 20, Truncation: tbptt.Window},
				{Kind: tbptt.KindTBPTT, K1: 5, K2: 20, Truncation: tbptt.Window}, {Kind: tbptt.KindTBPTT, K1: 20, K2: 5, Truncation: tbptt.PerError}}, nil},
		{" frame , frame:k2=all:chunk ,tbptt:k1=3:truncation=per-error",
			[]tbptt.Schedule{{Kind: tbptt.KindFrame, K1: 1, K2: tbptt.All, Truncation: tbptt.Window}, {Kind: tbptt.KindFrame, K1: 1, K2: tbptt.All, Truncation: tbptt.Chunk}, {Kind: tbptt.KindTBPTT, K1: 3, K2: 3, Truncation: tbptt.PerError}}, nil},
		{"sentence:lr=0.01:hidden=64:layers=2:peepholes,tbptt:k1=7:optimizer=sgd:momentum=0.5:clip=1:batch=4:no-shuffle:target-delay=2:patience=3:epochs=9:max-updates=100:init=x.safetensors",
			[]tbptt.Schedule{tbptt.Sentence(), {Kind: tbptt.KindTBPTT, K1: 7, K2: 7, Truncation: tbptt.Window}},
			func(t *testing.T, c []train.Config) {
				if c[0].LR != 0.01 || c[0].Hidden != 64 || c[0].Layers != 2 || !c[0].Peepholes || c[0].Optimizer != base.Optimizer {
					t.Errorf("entry 1: %+v", c[0])
				}
				w := c[1]
				if w.Optimizer != "sgd" || w.Momentum != 0.5 || w.Clip != 1 || w.Batch != 4 || w.Shuffle || w.TargetDelay != 2 ||
					w.Patience != 3 || w.Epochs != 9 || w.MaxUpdates != 100 || w.Init != "x.safetensors" || w.LR != base.LR || w.Hidden != base.Hidden {
					t.Errorf("entry 2: %+v", w)
				}
			}},
		{"frame:shuffle=false:peepholes=true", []tbptt.Schedule{{Kind: tbptt.KindFrame, K1: 1, K2: tbptt.All, Truncation: tbptt.Window}},
			func(t *testing.T, c []train.Config) {
				if c[0].Shuffle || !c[0].Peepholes {
					t.Errorf("%+v", c[0])
				}
			}},
	}
	for _, tt := range tests {
		specs, err := ParseSpecs(tt.list)
		if err != nil {
			t.Errorf("%q: %v", tt.list, err)
			continue
		}
		var got []tbptt.Schedule
		var cfgs []train.Config
		for _, s := range specs {
			got = append(got, s.Schedule)
			c, err := s.Apply(base)
			if err != nil {
				t.Errorf("%q: apply %q: %v", tt.list, s.Text, err)
			}
			if back, _ := c.ParsedSchedule(); back != s.Schedule {
				t.Errorf("%q: applied schedule %v, want %v", s.Text, back, s.Schedule)
			}
			cfgs = append(cfgs, c)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %v, want %v", tt.list, got, tt.want)
		}
		if tt.check != nil {
			tt.check(t, cfgs)
		}
	}
}

func TestParseScheduleListErrors(t *testing.T) {
	tests := []struct{ list, want string }{
		{"", "empty schedule list"},
		{"sentence,,frame", "entry 2 is empty"},
		{"bptt", `unknown schedule "bptt"`},
		{"sentence:k1=3", "takes no k1 or k2"},
		{"frame:k1=2", "k1 = 2 is not allowed"},
		{"tbptt", "needs k1"},
		{"tbptt:k1=0", "k1 = \"0\""},
		{"tbptt:k1=x", "k1 = \"x\""},
		{"tbptt:k1=4:k2=-1", "k2"},
		{"tbptt:k1=4:k1=5", "k1 given twice"},
		{"tbptt:k1=4:per-error:chunk", "truncation given twice"},
		{"tbptt:k1=4:truncation=none", "unknown truncation"},
		{"tbptt:k1=4:lr=0", "must be positive"},
		{"tbptt:k1=4:lr=fast", `lr = "fast"`},
		{"tbptt:k1=4:hidden=0", "hidden"},
		{"tbptt:k1=4:optimizer=rmsprop", "want sgd or adam"},
		{"tbptt:k1=4:peepholes=maybe", "true or false"},
		{"tbptt:k1=4:seed=3", "seeds are given once"},
		{"tbptt:k1=4:resume", "bad option"},
		{"tbptt:k1=4:resume=true", "resume is not an option"},
		{"tbptt:k1=4:colour=red", `unknown option "colour"`},
		{"tbptt:k1=4:=3", "bad option"},
		{"tbptt:k1=4:", "bad option"},
	}
	for _, tt := range tests {
		_, err := ParseSpecs(tt.list)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one containing %q", tt.list, err, tt.want)
		}
	}
}

func FuzzParseScheduleList(f *testing.F) {
	for _, s := range []string{"sentence,frame:k2=1", "tbptt:k1=20:k2=5:per-error", "frame:lr=1e-3:hidden=8:no-shuffle", "tbptt:k1=3:k2=all:chunk,sentence:peepholes", ",", "x:y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		specs, err := ParseSpecs(list)
		if err != nil {
			return
		}
		for _, s := range specs {
			if err := s.Schedule.Validate(); err != nil {
				t.Fatalf("%q: accepted an invalid schedule: %v", s.Text, err)
			}
			again, err := ParseSpecs(s.Text)
			if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], s) {
				t.Fatalf("%q does not parse back alone: %v %v", s.Text, again, err)
			}
			if _, err := s.Apply(train.DefaultConfig()); err != nil {
				t.Fatalf("%q: %v", s.Text, err)
			}
		}
	})
}

func ExampleParseSpecs() {
	specs, err := ParseSpecs("sentence,frame:k2=20,tbptt:k1=20:k2=5:per-error:lr=0.01")
	if err != nil {
		panic(err)
	}
	for _, s := range specs {
		c, _ := s.Apply(train.DefaultConfig())
		fmt.Printf("%-38s %-34s lr %g\n", s.Text, s.Schedule, c.LR)
	}
	// Output:
	// sentence                               sentence                           lr 0.001
	// frame:k2=20                            frame:k2=20                        lr 0.001
	// tbptt:k1=20:k2=5:per-error:lr=0.01     tbptt:k1=20:k2=5:truncation=per-error lr 0.01
}

// TestSpecK2Schedule: an entry's k2-schedule reaches the run's configuration
// and is validated when the list is parsed.
func TestSpecK2Schedule(t *testing.T) {
	specs, err := ParseSpecs("frame:k2-schedule=1@0/5@2,tbptt:k1=4:k2-schedule=1-8@0-3")
	if err != nil {
		t.Fatal(err)
	}
	c, err := specs[1].Apply(train.DefaultConfig())
	if err != nil || c.K2Schedule != "1-8@0-3" || c.K1 != 4 {
		t.Errorf("applied %+v, %v", c, err)
	}
	if _, err := ParseSpecs("frame:k2-schedule=1@3"); err == nil || !strings.Contains(err.Error(), "epoch 0") {
		t.Errorf("bad k2-schedule in a list: %v", err)
	}
}
