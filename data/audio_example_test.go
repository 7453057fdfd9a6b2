package data_test

import (
	"fmt"
	"os"

	"github.com/phoneme/phoneme/data"
)

func ExampleReadAudio() {
	fsys := os.DirFS("testdata/audio")
	// NIST SPHERE and RIFF WAV are told apart by content, not name.
	for _, name := range []string{"tone.wav", "tone_be.sph", "tone_8k.wav", "tone_float.wav"} {
		a, err := data.ReadAudio(fsys, name, 16000)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s: %d samples at %d Hz\n", name, len(a.Samples), a.SampleRate)
	}
	// Output:
	// tone.wav: 320 samples at 16000 Hz
	// tone_be.sph: 320 samples at 16000 Hz
	// tone_8k.wav: sample rate 8000 Hz, want 16000 Hz
	// tone_float.wav: IEEE float, 32-bit, 1 channel, 16000 Hz: want 16-bit PCM mono
}
