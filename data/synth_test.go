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

// ldcSphere encodes samples as a NIST SPHERE file as LDC TIMIT ships
// them: a 1024-byte NIST_1A header, then 16-bit little-endian samples.
func ldcSphere(samples []int16, rate int) []byte {
	head := fmt.Sprintf("NIST_1A\n   1024\ndatabase_id -s5 TIMIT\nchannel_count -i 1\nsample_count -i %d\nsample_rate -i %d\n"+
		"sample_n_bytes -i 2\nsample_byte_format -s2 01\nsample_sig_bits -i 16\nend_head\n", len(samples), rate)
	b := make([]byte, 1024, 1024+2*len(samples))
	copy(b, head)
	for i := len(head); i < 1024; i++ {
		b[i] = ' '
	}
	for _, s := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	return b
}

// synthLDC builds an LDC-layout corpus (upper-case names, SPHERE audio):
// group → "DRn/SPEAKER" folders, each with SA1, SI1, SX1.
func synthLDC(seed uint64, groups map[string][]string) fstest.MapFS {
	rng := rand.New(rand.NewPCG(seed, 2))
	fsys := fstest.MapFS{}
	for _, g := range []string{"TRAIN", "TEST"} {
		for _, spk := range groups[g] {
			for _, u := range []string{"SA1", "SI1", "SX1"} {
				s, phn := synthUtterance(rng, 0.6, false)
				p := g + "/" + spk + "/" + u
				fsys[p+".WAV"] = &fstest.MapFile{Data: ldcSphere(s, 16000)}
				fsys[p+".PHN"] = &fstest.MapFile{Data: []byte(phn)}
				fsys[p+".TXT"] = &fstest.MapFile{Data: []byte("0 1 text\n")}
			}
		}
	}
	return fsys
}
