package tbptt

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseScheduleList(t *testing.T) {
	base := DefaultTrainConfig()
	tests := []struct {
		list  string
		want  []Schedule
		check func(t *testing.T, cfgs []TrainConfig)
	}{
		{"sentence,frame:k2=1,frame:k2=20,tbptt:k1=20:k2=20,tbptt:k1=5:k2=20,tbptt:k1=20:k2=5:per-error",
			[]Schedule{Sentence(), {"frame", 1, 1, Window}, {"frame", 1, 20, Window}, {"tbptt", 20, 20, Window},
				{"tbptt", 5, 20, Window}, {"tbptt", 20, 5, PerError}}, nil},
		{" frame , frame:k2=all:chunk ,tbptt:k1=3:truncation=per-error",
			[]Schedule{{"frame", 1, All, Window}, {"frame", 1, All, Chunk}, {"tbptt", 3, 3, PerError}}, nil},
		{"sentence:lr=0.01:hidden=64:layers=2:peepholes,tbptt:k1=7:optimizer=sgd:momentum=0.5:clip=1:batch=4:no-shuffle:target-delay=2:patience=3:epochs=9:max-updates=100:init=x.safetensors",
			[]Schedule{Sentence(), {"tbptt", 7, 7, Window}},
			func(t *testing.T, c []TrainConfig) {
				if c[0].LR != 0.01 || c[0].Hidden != 64 || c[0].Layers != 2 || !c[0].Peepholes || c[0].Optimizer != base.Optimizer {
					t.Errorf("entry 1: %+v", c[0])
				}
				w := c[1]
				if w.Optimizer != "sgd" || w.Momentum != 0.5 || w.Clip != 1 || w.Batch != 4 || w.Shuffle || w.TargetDelay != 2 ||
					w.Patience != 3 || w.Epochs != 9 || w.MaxUpdates != 100 || w.Init != "x.safetensors" || w.LR != base.LR || w.Hidden != base.Hidden {
					t.Errorf("entry 2: %+v", w)
				}
			}},
		{"frame:shuffle=false:peepholes=true", []Schedule{{"frame", 1, All, Window}},
			func(t *testing.T, c []TrainConfig) {
				if c[0].Shuffle || !c[0].Peepholes {
					t.Errorf("%+v", c[0])
				}
			}},
	}
	for _, tt := range tests {
		specs, err := ParseScheduleList(tt.list)
		if err != nil {
			t.Errorf("%q: %v", tt.list, err)
			continue
		}
		var got []Schedule
		var cfgs []TrainConfig
		for _, s := range specs {
			got = append(got, s.Schedule)
			c, err := s.Apply(base)
			if err != nil {
				t.Errorf("%q: apply %q: %v", tt.list, s.Text, err)
			}
			if back, _ := c.schedule(); back != s.Schedule {
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
		{"tbptt:k1=4:seed=3", "--seeds"},
		{"tbptt:k1=4:resume", "bad option"},
		{"tbptt:k1=4:resume=true", "resume is not an option"},
		{"tbptt:k1=4:colour=red", `unknown option "colour"`},
		{"tbptt:k1=4:=3", "bad option"},
		{"tbptt:k1=4:", "bad option"},
	}
	for _, tt := range tests {
		_, err := ParseScheduleList(tt.list)
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
		specs, err := ParseScheduleList(list)
		if err != nil {
			return
		}
		for _, s := range specs {
			if err := s.Schedule.Validate(); err != nil {
				t.Fatalf("%q: accepted an invalid schedule: %v", s.Text, err)
			}
			again, err := ParseScheduleList(s.Text)
			if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], s) {
				t.Fatalf("%q does not parse back alone: %v %v", s.Text, again, err)
			}
			if _, err := s.Apply(DefaultTrainConfig()); err != nil {
				t.Fatalf("%q: %v", s.Text, err)
			}
		}
	})
}

func ExampleParseScheduleList() {
	specs, err := ParseScheduleList("sentence,frame:k2=20,tbptt:k1=20:k2=5:per-error:lr=0.01")
	if err != nil {
		panic(err)
	}
	for _, s := range specs {
		c, _ := s.Apply(DefaultTrainConfig())
		fmt.Printf("%-38s %-34s lr %g\n", s.Text, s.Schedule, c.LR)
	}
	// Output:
	// sentence                               sentence                           lr 0.001
	// frame:k2=20                            frame:k2=20                        lr 0.001
	// tbptt:k1=20:k2=5:per-error:lr=0.01     tbptt:k1=20:k2=5:truncation=per-error lr 0.01
}
