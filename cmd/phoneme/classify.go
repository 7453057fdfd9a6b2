package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/lstm"
)

func classifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "classify",
		Usage:     "label new audio with a trained model: phone segments as .PHN, Praat TextGrid, Audacity labels, CTM or JSON",
		ArgsUsage: "FILE.wav…",
		Description: `Reads each audio file: RIFF WAV (PCM 8/16/24/32-bit, IEEE float 32/64-bit,
plain or WAVE_FORMAT_EXTENSIBLE), FLAC or NIST SPHERE, any number of
channels (averaged, or the one --channel picks) and any sample rate
(resampled to the model's by a windowed-sinc filter: flat to 95 % of the
lower Nyquist frequency, −6 dB at 97.5 %, stop-band attenuated by 120 dB,
the rejection of sox's rate -h with a wider pass-band). Samples beyond the
16-bit range are clipped, with a note on standard error. It computes the
model's features (configuration and CMVN stored in the checkpoint), runs the network and takes the most probable phone of every
frame. With target delay D, output t describes frame t-D; the last D frames
are not described. Runs of equal frames become segments written as .PHN lines
"start_sample end_sample phone": frames a..b cover samples
[a*shift, (b+1)*shift), shift being the frame shift in samples, clipped to
the audio's length (the tail after the last frame's shift has no segment).

--format picks the label format:
  phn       TIMIT .PHN, "start_sample end_sample phone" (the default)
  textgrid  Praat TextGrid (long text format): interval tier "phones" (61
            labels), empty intervals where no frame is described; with
            --fold 39 a second tier "phones39" (Lee & Hon's 39 classes)
  audacity  Audacity label track: "start<TAB>end<TAB>phone" in seconds
  ctm       "NAME 1 start duration phone confidence", as Kaldi and sclite
  json      one object per file: utterance, sample_rate, samples, segments
            with start/end in seconds and samples, phone (phone39 with
            --fold 39) and confidence
The confidence of a segment is the mean posterior of its phone over its
frames.

Output: on stdout (for phn a "# FILE" line before each file's segments when
there are several; ctm and json lines name the file; textgrid and audacity
take one file per input, so several inputs need --out or --beside), or with
--out DIR into DIR/NAME.EXT, or with --beside next to each input as NAME.EXT
(EXT: .phn, .TextGrid, .txt, .ctm, .json; an existing file is only replaced
with --force).

--stream reads one input ("-": standard input) as it arrives, e.g.
  arecord -f S16_LE -r 16000 -c 1 | phoneme classify --model M --stream -
Standard input is a WAV if it starts with "RIFF" (any encoding and rate
above; a data size of 0, or 0x7FFFF000 and above as recorders write before
they know the length, means "until the end"), else raw
16-bit little-endian mono samples at the model's rate. Each segment is
printed (phn, audacity or ctm lines) as soon as the frame after it is
decided: its latency, from the end of the segment to the sample that closes
it, is (target delay + delta lookahead) frame shifts + one frame length,
(D + 4) × 10 ms + 25 ms with the default features (D = 0: 65 ms), plus
about 10 ms when the input is resampled (the filter's half width). The output
is exactly the offline output; memory does not grow with the input.

--posteriors FILE.ark also writes the frame posteriors (probabilities, one row
per described frame, one column per phone) as a Kaldi binary matrix archive
keyed by NAME.

--decode viterbi writes the phones of the Viterbi phone-loop decoder tuned by
phoneme eval --tune-decoder (NAME.decoder.json beside the model) instead of
the runs of arg-max frames (--decode greedy, the default).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "checkpoint (.safetensors) from phoneme train or compare", Required: true},
			&cli.StringFlag{Name: "out", Usage: "write NAME.EXT label files into this folder instead of stdout"},
			&cli.BoolFlag{Name: "beside", Usage: "write NAME.EXT next to each input instead of stdout"},
			&cli.BoolFlag{Name: "force", Usage: "replace existing label files"},
			&cli.StringFlag{Name: "posteriors", Usage: "also write the frame posteriors to this Kaldi archive (.ark)"},
			&cli.StringFlag{Name: "decode", Value: "greedy", Usage: "segments from greedy (arg-max runs) or viterbi (the model's tuned decoder) decoding"},
			&cli.StringFlag{Name: "format", Value: "phn", Usage: "label format: phn, textgrid, audacity, ctm or json"},
			&cli.IntFlag{Name: "fold", Usage: "also give Lee & Hon's 39-class labels (textgrid: a second tier; json: phone39); only 39"},
			&cli.BoolFlag{Name: "stream", Usage: "label one input as it arrives (- for standard input: raw S16_LE mono at the model's rate, or a WAV), printing each segment once it is closed"},
			&cli.IntFlag{Name: "channel", Usage: "use channel `N` (from 1) of multi-channel audio instead of their average"},
		},
		Action: runClassify,
	}
}

// hostFS opens host paths as given, so that errors name the file as the
// user wrote it.
type hostFS struct{}

func (hostFS) Open(name string) (fs.File, error) { return os.Open(name) }

// Stat lets data.ReadAudio refuse a named pipe or device before opening
// it (opening a pipe blocks until a writer comes).
func (hostFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// classifier is a checked checkpoint and the sample rate it wants.
type classifier struct {
	model  *lstm.Model
	md     *lstm.Metadata
	rate   int
	decode *eval.Decoding // Viterbi segments; nil: the arg-max runs
	audio  data.DecodeOptions
	notes  io.Writer // where clipping is reported
}

func newClassifier(path string) (*classifier, error) {
	m, md, err := lstm.Load(path)
	if err != nil {
		return nil, err
	}
	if err := eval.CheckModel(path, m, md, nil); err != nil {
		return nil, err
	}
	fc, err := eval.ModelFeatures(path, md)
	if err != nil {
		return nil, err
	}
	return &classifier{model: m, md: md, rate: fc.SampleRate}, nil
}

// classify decodes one audio file, resamples it to the model's rate and
// classifies it.
func (c *classifier) classify(path string) (*eval.Classification, error) {
	rec, err := data.DecodeAudio(hostFS{}, path, c.audio)
	if err != nil {
		return nil, err
	}
	a, clipped, err := rec.Audio(c.rate)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if clipped > 0 {
		fmt.Fprintf(c.notes, "phoneme: note: %s: %d of %d samples clipped to the 16-bit range (%s)\n", path, clipped, len(a.Samples), rec.Format)
	}
	res, err := eval.Classify(c.model, c.md, a.Samples, a.SampleRate)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.decode != nil {
		if res.Segments, err = eval.DecodedSegments(res, *c.decode, len(a.Samples)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return res, nil
}

func runClassify(ctx context.Context, cmd *cli.Command) error {
	files := cmd.Args().Slice()
	if cmd.Bool("stream") {
		return runClassifyStream(ctx, cmd, files)
	}
	if len(files) == 0 {
		return usagef("classify needs audio files (phoneme classify --model M FILE.wav…)")
	}
	outDir, beside := cmd.String("out"), cmd.Bool("beside")
	if outDir != "" && beside {
		return usagef("give --out or --beside, not both")
	}
	format, err := eval.ParseFormat(cmd.String("format"))
	if err != nil {
		return usagef("--format: %v", err)
	}
	fold39 := false
	switch cmd.Int("fold") {
	case 0:
	case 39:
		fold39 = true
		if format != eval.FormatTextGrid && format != eval.FormatJSON {
			return usagef("--fold 39 applies to --format textgrid or json")
		}
	default:
		return usagef("--fold %d: only 39 (Lee & Hon's scoring classes)", cmd.Int("fold"))
	}
	if len(files) > 1 && outDir == "" && !beside && (format == eval.FormatTextGrid || format == eval.FormatAudacity) {
		return usagef("%s holds one file's labels: give --out or --beside for %d files", format, len(files))
	}
	if outDir != "" {
		if st, err := os.Stat(outDir); err != nil || !st.IsDir() {
			return usagef("--out %s is not a folder", outDir)
		}
	}
	// Only real collisions are errors: two inputs writing the same .phn
	// file, or the same key of the posterior archive. Standard output and
	// --beside over several folders collide in nothing.
	targetOf, keyOf := map[string]string{}, map[string]string{}
	var targets []string
	for _, f := range files {
		if f == "-" {
			return usagef("classify reads audio files, not standard input, unless --stream (phoneme classify --model M --stream -)")
		}
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if cmd.String("posteriors") != "" {
			if prev, ok := keyOf[name]; ok {
				return usagef("%s and %s would both be %q in the posterior archive", prev, f, name)
			}
			keyOf[name] = f
		}
		target := ""
		switch {
		case outDir != "":
			target = filepath.Join(outDir, name+format.Ext())
		case beside:
			target = filepath.Join(filepath.Dir(f), name+format.Ext())
		}
		if target != "" {
			if prev, ok := targetOf[target]; ok {
				return usagef("%s and %s would both be written to %s", prev, f, target)
			}
			targetOf[target] = f
		}
		if target != "" && !cmd.Bool("force") {
			if _, err := os.Stat(target); err == nil {
				return usagef("%s exists (a reference transcription?); use --force to replace it", target)
			}
		}
		targets = append(targets, target)
	}
	kind, err := eval.ParseDecoderKind(cmd.String("decode"))
	if err != nil {
		return usagef("--decode: %v", err)
	}
	if cmd.Int("channel") < 0 {
		return usagef("--channel %d: channels are numbered from 1", cmd.Int("channel"))
	}
	c, err := newClassifier(cmd.String("model"))
	if err != nil {
		return err
	}
	if kind == eval.Viterbi {
		d, _, err := loadDecoding(cmd.String("model"), kind)
		if err != nil {
			return err
		}
		c.decode = &d
	}
	c.audio = data.DecodeOptions{Channel: cmd.Int("channel")}
	c.notes = errWriter(cmd)
	w := cmd.Root().Writer
	each := func(ark *data.ArkWriter) error {
		for i, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := c.classify(f)
			if err != nil {
				return err
			}
			if ark != nil {
				if _, err := ark.WriteMatrix(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)), res.Posteriors); err != nil {
					return err
				}
			}
			l := res.Labelling(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)), fold39)
			write := func(w io.Writer) error { return eval.WriteLabels(w, format, l) }
			if targets[i] != "" {
				if err := atomicfile.WriteFile(targets[i], write); err != nil {
					return err
				}
				continue
			}
			if len(files) > 1 && format == eval.FormatPHN {
				fmt.Fprintf(w, "# %s\n", f)
			}
			if err := write(w); err != nil {
				return err
			}
		}
		return nil
	}
	p := cmd.String("posteriors")
	if p == "" {
		return each(nil)
	}
	// Through a temporary file, renamed into place once complete; not
	// atomicfile.WriteFile, whose error prefix would blame the archive for a
	// bad audio file.
	tmp, err := atomicfile.Create(p)
	if err != nil {
		return err
	}
	defer tmp.Close() // discards the archive unless committed
	bw := bufio.NewWriter(tmp)
	ark := data.NewArkWriter(bw)
	if err := each(ark); err != nil {
		return err
	}
	if err := ark.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return tmp.Commit()
}
