package compare_test

import (
	"fmt"
	"os"

	"github.com/phoneme/phoneme/tbptt/compare"
)

func ExampleTable() {
	runs := []compare.RunRecord{
		{Schedule: "sentence", Truncation: "window", Seed: 1, Updates: 100, FramesForward: 30000, FramesBackward: 30000, WallSeconds: 10, FramesPerSecond: 3000, BestEpoch: 4, DevFER: 0.40, TestFER61: 0.42, TestFER39: 0.33},
		{Schedule: "sentence", Truncation: "window", Seed: 2, Updates: 100, FramesForward: 30000, FramesBackward: 30000, WallSeconds: 13, FramesPerSecond: 2300, BestEpoch: 5, DevFER: 0.42, TestFER61: 0.44, TestFER39: 0.35},
		{Schedule: "tbptt:k1=20:k2=20", K1: 20, K2: 20, Truncation: "window", Seed: 1, Updates: 1500, FramesForward: 30000, FramesBackward: 30000, WallSeconds: 11, FramesPerSecond: 2700, BestEpoch: 3, DevFER: 0.35, TestFER61: 0.37, TestFER39: 0.29},
		{Schedule: "tbptt:k1=20:k2=20", K1: 20, K2: 20, Truncation: "window", Seed: 2, Updates: 1500, FramesForward: 30000, FramesBackward: 30000, WallSeconds: 11, FramesPerSecond: 2700, BestEpoch: 4, DevFER: 0.37, TestFER61: 0.39, TestFER39: 0.31},
	}
	tab, err := compare.NewTable(runs)
	if err != nil {
		fmt.Println(err)
		return
	}
	dev := tab.Rows[1].Stats[tab.ColumnIndex("dev_fer")]
	fmt.Printf("%s: dev FER %.3f ± %.3f over %d seeds, best %v\n", tab.Rows[1].Schedule, dev.Mean, dev.SD, dev.N, dev.Best)
	tab.WriteMarkdown(os.Stdout)
	// Output:
	// tbptt:k1=20:k2=20: dev FER 0.360 ± 0.014 over 2 seeds, best true
	// | schedule | k1 | k2 | truncation | seeds | updates | frames fwd | frames bwd | wall s | frames/s | best epoch | dev FER % | test FER-61 % | test FER-39 % |
	// |---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
	// | `sentence` | n | all | window | 2 | 100 ± 0 | **30.0k ± 0** | **30.0k ± 0** | 11.5 ± 2.1 | 2650 ± 495 | 4.5 ± 0.7 | 41.00 ± 1.41 | 43.00 ± 1.41 | 34.00 ± 1.41 |
	// | `tbptt:k1=20:k2=20` | 20 | 20 | window | 2 | 1500 ± 0 | **30.0k ± 0** | **30.0k ± 0** | **11.0 ± 0.0** | **2700 ± 0** | 3.5 ± 0.7 | **36.00 ± 1.41** | **38.00 ± 1.41** | **30.00 ± 1.41** |
	//
	// Mean ± sample standard deviation over seeds; best value per column in bold (lowest; highest for frames/s; updates and best epoch not ranked). FER in percent; frames counted with re-runs.
}
