//go:build integration

package train

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/internal/sharedtest"
	"github.com/phoneme/phoneme/labels"
	"github.com/phoneme/phoneme/tbptt"
)

// TestTrainTIMITSample extracts the shared TIMIT sample (12 speakers,
// speaker-disjoint train/dev/test) and trains each named schedule for a few
// epochs with the default network and optimiser, requiring the best dev
// frame error to fall clearly below the chance baseline: always predicting
// the phone most frequent in training (h#), ≈84% FER on dev. The margin of
// 10 points is far beyond what a network that learnt nothing reaches, and
// far below what these runs reach (≈55–65% after 3–4 epochs).
func TestTrainTIMITSample(t *testing.T) {
	corpus := sharedtest.TIMITSample(t)
	dir := t.TempDir()
	if _, err := data.Extract(context.Background(), os.DirFS(corpus), dir, data.ExtractOptions{
		Features: features.DefaultConfig(), Corpus: corpus,
	}, nil); err != nil {
		t.Fatal(err)
	}
	train, err := data.LoadSplit(filepath.Join(dir, data.Train))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := data.LoadSplit(filepath.Join(dir, data.Dev))
	if err != nil {
		t.Fatal(err)
	}
	base := chanceFER(train, dev)
	t.Logf("chance (most frequent training phone) dev FER61 %.3f", base)

	tests := []struct {
		name   string
		sched  string
		k1     int
		k2     string
		epochs int
	}{
		{"sentence", "sentence", 0, "", 4},
		// frame with k2 = all back-propagates every frame to the sentence
		// start (quadratic in the sentence length); a 20-frame window keeps
		// CI fast while still updating at every frame.
		{"frame-k2=20", "frame", 0, "20", 1},
		{"tbptt-20-20", "tbptt", 20, "20", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Schedule, c.K1, c.K2, c.Epochs = tbptt.Kind(tc.sched), tc.k1, tc.k2, tc.epochs
			res, err := Run(context.Background(), c, train, dev, filepath.Join(t.TempDir(), "m.safetensors"), Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Epochs {
				t.Logf("epoch %d: %d updates, loss %.3f, train FER %.3f, dev FER61 %.3f FER39 %.3f, %.0f frames/s",
					e.Epoch, e.Updates, e.Loss, e.TrainFER, e.DevFER61, e.DevFER39, e.FramesPerSecond)
			}
			if res.BestDevFER61 > base-0.10 {
				t.Errorf("best dev FER61 %.3f, chance %.3f: not clearly below chance", res.BestDevFER61, base)
			}
		})
	}
}

// chanceFER is the dev frame error of always predicting the phone most
// frequent in the training labels.
func chanceFER(train, dev *data.Split) float64 {
	var count [labels.NumPhones]int
	for _, s := range train.Sentences {
		for _, l := range s.Labels {
			if l != labels.Excluded {
				count[l]++
			}
		}
	}
	best := 0
	for p := range count {
		if count[p] > count[best] {
			best = p
		}
	}
	var right, total int
	for _, s := range dev.Sentences {
		for _, l := range s.Labels {
			if l != labels.Excluded {
				total++
				if int(l) == best {
					right++
				}
			}
		}
	}
	return 1 - float64(right)/float64(total)
}
