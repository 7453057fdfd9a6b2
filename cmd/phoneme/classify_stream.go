package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/eval"
	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// runClassifyStream is classify --stream: one input, labelled as it
// arrives, each segment printed (and flushed) once it is closed.
func runClassifyStream(ctx context.Context, cmd *cli.Command, files []string) error {
	if len(files) != 1 {
		return usagef("--stream takes one input (- for standard input), got %d", len(files))
	}
	if cmd.String("out") != "" || cmd.Bool("beside") || cmd.String("posteriors") != "" {
		return usagef("--stream writes to standard output: --out, --beside and --posteriors do not apply")
	}
	format, err := eval.ParseFormat(cmd.String("format"))
	if err != nil {
		return usagef("--format: %v", err)
	}
	if format != eval.FormatPHN && format != eval.FormatAudacity && format != eval.FormatCTM {
		return usagef("--stream prints a line per segment: --format phn, audacity or ctm, not %s", format)
	}
	if cmd.Int("fold") != 0 {
		return usagef("--fold applies to --format textgrid or json, not to --stream")
	}
	if k, err := eval.ParseDecoderKind(cmd.String("decode")); err != nil || k != eval.Greedy {
		// Viterbi's best path is only known at the end of the input.
		return usagef("--stream decides greedily as frames arrive: --decode %s does not apply", cmd.String("decode"))
	}
	if cmd.Int("channel") < 0 {
		return usagef("--channel %d: channels are numbered from 1", cmd.Int("channel"))
	}
	c, err := newClassifier(cmd.String("model"))
	if err != nil {
		return err
	}
	name, in := files[0], cmd.Root().Reader
	if in == nil {
		in = os.Stdin
	}
	label := "standard input"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in, label = f, name
	}
	fail := func(err error) error { return fmt.Errorf("%s: %w", label, err) }
	src, err := data.OpenStream(in, c.rate, data.DecodeOptions{Channel: cmd.Int("channel")})
	if err != nil {
		return fail(err)
	}
	var rs *features.Resampler
	if src.SampleRate() != c.rate {
		if rs, err = features.NewResampler(src.SampleRate(), c.rate); err != nil {
			return fail(err)
		}
	}
	st, err := eval.NewStream(c.model, c.md)
	if err != nil {
		return err
	}
	segName := "utt"
	if name != "-" {
		segName = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	phones := c.md.Phones
	if len(phones) == 0 {
		phones = labels.TIMIT61().Names()
	}
	w := cmd.Root().Writer
	line := &eval.Labelling{Name: segName, SampleRate: c.rate, Phones: phones,
		Segments: make([]labels.Segment, 1), Confidence: make([]float64, 1)}
	var buf bytes.Buffer
	emit := func(s eval.StreamSegment) error {
		line.Segments[0], line.Confidence[0] = s.Segment, s.Confidence
		buf.Reset()
		if err := eval.WriteLabels(&buf, format, line); err != nil {
			return err
		}
		// One write per segment, unbuffered: it is seen as it closes.
		_, err := w.Write(buf.Bytes())
		return err
	}

	var (
		x       = make([]float64, 4096)
		y       []float64
		pcm     []int16
		clipped int
	)
	push := func(v []float64) error {
		var n int
		pcm, n = data.ToInt16(pcm[:0], v)
		clipped += n
		return st.Push(pcm, emit)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := src.Read(x)
		if n > 0 {
			v := x[:n]
			if rs != nil {
				y = rs.Process(y[:0], v)
				v = y
			}
			if err := push(v); err != nil {
				return fail(err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fail(rerr)
		}
	}
	if rs != nil {
		if err := push(rs.Flush(y[:0])); err != nil {
			return fail(err)
		}
	}
	if err := st.Flush(emit); err != nil {
		return fail(err)
	}
	if clipped > 0 {
		fmt.Fprintf(errWriter(cmd), "phoneme: note: %s: %d samples clipped to the 16-bit range (%s)\n", label, clipped, src.Format())
	}
	return nil
}
