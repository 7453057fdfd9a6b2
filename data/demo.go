package data

import (
	"embed"
	"io/fs"
)

// demoFiles holds the built-in demo corpus (demo/corpus) together with the
// script, sentences and speaker table that generate it, so that an installed
// binary carries its own provenance.
//
//go:embed demo
var demoFiles embed.FS

// DemoCorpus returns the built-in demo corpus: 52 sentences of synthetic
// speech (Festival's kal and slt voices, each as four pseudo-speakers with
// different speaking rates and pitches) in the flat layout —
// <speaker>_<utterance>.wav (16 kHz 16-bit mono RIFF) with a TIMIT .phn
// beside it, and a utt2spk file. It is for a smoke test of the whole pipeline
// and for comparing schedules on clean speech, not a substitute for TIMIT;
// data/demo/README.md says how it was made.
//
// Use it with Discover(DemoCorpus(), LayoutFlat, false) and split it with
// DemoDevSpeakers and DemoTestSpeakers.
func DemoCorpus() fs.FS {
	sub, err := fs.Sub(demoFiles, "demo/corpus")
	if err != nil {
		// fs.Sub fails only for an invalid path, and this one is a constant.
		panic("data: demo corpus: " + err.Error())
	}
	return sub
}

// DemoDevSpeakers returns the development speakers of the demo corpus: the
// middle rate and pitch of each voice (kal2, slt2), inside the range the
// training speakers span. The slice is new on every call.
func DemoDevSpeakers() []string { return []string{"kal2", "slt2"} }

// DemoTestSpeakers returns the test speakers of the demo corpus: each
// voice's slow rate with its high pitch (kal4, slt4), a pairing no training
// speaker has, saying sentences no other speaker says. The other four
// speakers (kal1, kal3, slt1, slt3) train. The slice is new on every call.
func DemoTestSpeakers() []string { return []string{"kal4", "slt4"} }
