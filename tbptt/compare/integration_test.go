//go:build integration

package compare

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/sharedtest"
	"github.com/phoneme/phoneme/internal/synth"
	"github.com/phoneme/phoneme/tbptt/train"
)

// TestCompareTIMITSample runs a small comparison on the shared TIMIT sample
// (default speaker-disjoint split: 8 training, 2 dev, 2 test speakers):
// three schedules, two seeds, three epochs of a 32-cell LSTM (Adam, lr
// 5e-3). It checks the table's structure (a row per schedule with both
// seeds, every column filled) and that every schedule's mean test FER-61
// is at least 10 points below the chance baseline — always predicting the
// phone most frequent in the test split itself (≈88%), which no constant
// prediction beats. These runs reach ≈64–73%, well clear of the margin.
func TestCompareTIMITSample(t *testing.T) {
	corpus := sharedtest.TIMITSample(t)
	dir := t.TempDir()
	if _, err := data.Extract(context.Background(), os.DirFS(corpus), dir, data.ExtractOptions{
		Features: features.DefaultConfig(), Corpus: corpus,
	}, nil); err != nil {
		t.Fatal(err)
	}
	splits := map[string]*data.Split{}
	for _, s := range data.SplitNames() {
		sp, err := data.LoadSplit(filepath.Join(dir, s))
		if err != nil {
			t.Fatal(err)
		}
		splits[s] = sp
	}
	specs, err := ParseSpecs("sentence,frame:k2=1,tbptt:k1=20:k2=20")
	if err != nil {
		t.Fatal(err)
	}
	base := train.DefaultConfig()
	base.Hidden, base.Epochs, base.LR = 32, 3, 5e-3
	out := t.TempDir()
	res, err := Run(context.Background(), Config{
		Train: splits[data.Train], Dev: splits[data.Dev], Test: splits[data.Test], Data: dir,
		Schedules: specs, Seeds: []uint64{1, 2}, Base: base, Out: out,
	}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	chance := synth.MajorityFER(splits[data.Test])
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("results.csv: %d records, want a header and 3 schedules", len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, key := range []string{"schedule", "k1", "k2", "truncation", "seeds", "updates_mean", "frames_forward_mean",
		"frames_backward_mean", "wall_seconds_mean", "frames_per_second_mean", "best_epoch_mean", "dev_fer_mean",
		"test_fer61_mean", "test_fer61_sd", "test_fer39_mean"} {
		if _, ok := col[key]; !ok {
			t.Fatalf("results.csv has no column %s: %v", key, recs[0])
		}
	}
	for i, want := range []string{"sentence", "frame:k2=1", "tbptt:k1=20:k2=20"} {
		r := recs[i+1]
		if r[col["schedule"]] != want || r[col["seeds"]] != "1 2" {
			t.Errorf("row %d: schedule %q seeds %q", i+1, r[col["schedule"]], r[col["seeds"]])
		}
		// The best row (lowest test FER-39) has no difference from itself;
		// every other row has all eight significance fields.
		best := true
		for _, other := range recs[1:] {
			a, _ := strconv.ParseFloat(r[col["test_fer39_mean"]], 64)
			b, _ := strconv.ParseFloat(other[col["test_fer39_mean"]], 64)
			best = best && a <= b
		}
		for key, j := range col {
			significance := strings.HasPrefix(key, "delta_") || strings.HasPrefix(key, "poi_")
			if r[j] == "" && !strings.HasSuffix(key, "_best") && !(best && significance) {
				t.Errorf("%s: empty %s", want, key)
			}
			if best && significance && r[j] != "" {
				t.Errorf("%s, the best row, has %s = %s", want, key, r[j])
			}
		}
		fer, err := strconv.ParseFloat(r[col["test_fer61_mean"]], 64)
		if err != nil || !(fer < chance-0.10) {
			t.Errorf("%s: test FER-61 %s, chance %.3f", want, r[col["test_fer61_mean"]], chance)
		}
	}
	for _, r := range res.Runs {
		t.Logf("%-20s seed %d: %6d updates, best epoch %d, dev %.2f%%, test FER61 %.2f%% FER39 %.2f%%, %.1fs",
			r.Spec, r.Seed, r.Run.Updates, r.Run.BestEpoch, 100*r.Run.DevFER, 100*r.Run.TestFER61, 100*r.Run.TestFER39, r.Run.WallSeconds)
	}
}
