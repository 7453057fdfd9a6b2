package labels_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/phoneme/phoneme/labels"
)

func ExampleAlign() {
	phn := "0 480 h#\n480 800 sh\n800 1200 iy\n"
	segs, err := labels.ParsePHN(strings.NewReader(phn))
	if err != nil {
		log.Fatal(err)
	}
	// 25 ms frames every 10 ms at 16 kHz: frame t covers samples
	// [160t, 160t+400), centred on sample 160t+200.
	const numSamples = 1200
	numFrames := 1 + (numSamples-400)/160
	if err := labels.CheckEnd(segs, numSamples, 160); err != nil {
		log.Fatal(err)
	}
	ali, excluded := labels.Align(segs, numFrames, func(t int) int { return 160*t + 200 })
	set := labels.TIMIT61()
	for t, p := range ali {
		fmt.Println(t, set.Name(int(p)))
	}
	fmt.Println("excluded:", excluded)
	// Output:
	// 0 h#
	// 1 h#
	// 2 sh
	// 3 sh
	// 4 iy
	// 5 iy
	// excluded: 0
}
