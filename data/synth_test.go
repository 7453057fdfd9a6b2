package data

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing/fstest"
)

// Test helpers: a synthetic corpus of 16-bit mono RIFF WAVs (tones in noise,
// one tone per phone segment) with matching .PHN files, built in memory.

// wavBytes encodes samples as a canonical 44-byte-header RIFF WAV.
func wavBytes(samples []int16, rate int) []byte {
	b := make([]byte, 0, 44+2*len(samples))
	le := binary.LittleEndian
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, uint32(36+2*len(samples)))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, 1) // PCM
	b = le.AppendUint16(b, 1) // mono
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(2*rate))
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(2*len(samples)))
	for _, s := range samples {
		b = le.AppendUint16(b, uint16(s))
	}
	return b
}

// synthUtterance returns the audio and .PHN text of one utterance of about
// seconds long, with phone segments of 50–150 ms. With gap, 400 samples
// between two segments belong to no segment (their frames are Excluded).
func synthUtterance(rng *rand.Rand, seconds float64, gap bool) ([]int16, string) {
	const rate = 16000
	n := int(seconds * rate)
	phones := []string{"s", "aa", "n", "iy", "sh", "ih", "t", "m", "ae", "z"}
	samples := make([]int16, n)
	var phn strings.Builder
	start := 0
	seg := 0
	for start < n {
		end := min(n, start+800+rng.IntN(1600))
		if n-end < 800 {
			end = n
		}
		label := phones[rng.IntN(len(phones))]
		if start == 0 || end == n {
			label = "h#"
		}
		freq := 200 + 150*float64(seg%10)
		for i := start; i < end; i++ {
			v := 3000*math.Sin(2*math.Pi*freq*float64(i)/rate) + 300*rng.NormFloat64()
			samples[i] = int16(v)
		}
		fmt.Fprintf(&phn, "%d %d %s\n", start, end, label)
		seg++
		start = end
		if gap && seg == 2 && n-start > 2000 {
			start += 400
		}
	}
	return samples, phn.String()
}

// synthCorpus builds an NLTK-layout corpus: speakers (e.g. "dr1-fabc0")
// each with the named utterances (e.g. "sa1", "si100").
func synthCorpus(seed uint64, speakers, utts []string, seconds float64) fstest.MapFS {
	rng := rand.New(rand.NewPCG(seed, 1))
	fsys := fstest.MapFS{}
	for _, spk := range speakers {
		for i, u := range utts {
			s, phn := synthUtterance(rng, seconds*(0.8+0.4*rng.Float64()), i == 1)
			fsys[spk+"/"+u+".wav"] = &fstest.MapFile{Data: wavBytes(s, 16000)}
			fsys[spk+"/"+u+".phn"] = &fstest.MapFile{Data: []byte(phn)}
		}
	}
	return fsys
}
