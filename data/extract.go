package data

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/phoneme/phoneme/features"
	"github.com/phoneme/phoneme/labels"
)

// ExtractOptions configure Extract.
type ExtractOptions struct {
	Layout   Layout          // LayoutAuto detects it
	Features features.Config // validated by Extract
	Split    SplitOptions
	// Jobs is the number of feature workers; ≤ 0 means runtime.NumCPU().
	Jobs int
	// SkipBad leaves out bad files (unreadable audio, bad .PHN, missing
	// partner), listing them in the summary and manifests, instead of
	// stopping at the first.
	SkipBad bool
	// Overwrite replaces split folders left by an earlier run; without it
	// their presence is an error.
	Overwrite bool
	// Corpus is the corpus folder as the user named it, recorded in the
	// manifests; utterance sources are paths inside it.
	Corpus string
	// Resample decodes audio in any encoding DecodeAudio knows and
	// resamples audio at other rates to Features.SampleRate (scaling the
	// .PHN sample positions by the same ratio, rounded), recorded in the
	// manifests. Without it audio must be 16-bit mono at that rate.
	Resample bool
}

// Progress reports how far the extraction of one split has got.
type Progress struct {
	Split       string
	Done, Total int     // utterances (written or skipped)
	Seconds     float64 // audio written so far in this split
}

// Summary is the outcome of Extract.
type Summary struct {
	Out     string
	Layout  Layout
	Splits  []SplitSummary // the non-empty splits, in extraction order
	Skipped []Skipped      // every file left out, with the reason
}

// SplitSummary counts one extracted split.
type SplitSummary struct {
	Name     string
	Dir      string
	Counts   Counts
	Speakers []string // sorted, as in the manifest
	Skipped  int
}

// Extract turns the corpus in fsys into one folder per split under out
// (out/train, out/dev, out/test), each holding feats.ark + feats.scp (raw
// features as Kaldi float matrices), ali.ark (one TIMIT61 phone index per
// frame as Kaldi int32 vectors, labels.Excluded for frames outside every
// segment), utt2spk, text (each utterance's .PHN phones in order, the
// reference of phone error rates), phones.txt and manifest.json.
//
// Each split is computed by opts.Jobs workers and written by one writer in
// utterance-ID order, through a bounded reorder window, so memory does not
// grow with the corpus and the output does not depend on scheduling. The
// CMVN statistics of the training split go into every manifest.
//
// Everything is written inside a temporary folder
// out/.tmp-extract-<pid>@<host>-* and renamed into place only when every
// split is complete: a failed or interrupted run (ctx cancelled) leaves no
// split folder behind, and the temporary folder of a run killed outright is
// removed by the next run into out once its owner process is gone. A bad file
// stops the run with an error naming it, unless opts.SkipBad. report, if not
// nil, is called from the calling goroutine after each utterance.
func Extract(ctx context.Context, fsys fs.FS, out string, opts ExtractOptions, report func(Progress)) (sum *Summary, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("extraction interrupted: %w", err)
	}
	cfg := opts.Features
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("feature configuration: %w", err)
	}
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	corpus, err := Discover(fsys, opts.Layout, opts.SkipBad)
	if err != nil {
		return nil, err
	}
	sets, err := AssignSplits(corpus, opts.Split)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(out); errors.Is(err, fs.ErrNotExist) {
		// A failed run removes the output folder it made (if still empty).
		defer func() {
			if err != nil {
				os.Remove(out)
			}
		}()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	if !opts.Overwrite {
		if err := checkNoSplits(out); err != nil {
			return nil, err
		}
	}
	removeStaleTemps(out)
	tmp, err := os.MkdirTemp(out, tempPrefix+tempOwner(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	// A process killed outright leaves this folder behind, but never a
	// split folder: those appear only by the renames in commit. The folder
	// is named after its owner, so the next run into out removes it.
	defer os.RemoveAll(tmp)
	// Each split's files are synced to disk in the background while the
	// next split is computed; every sync ends before the folder is
	// committed or removed.
	var syncs []func() error
	waitSyncs := func() error {
		var errs []error
		for _, wait := range syncs {
			errs = append(errs, wait())
		}
		syncs = nil
		return errors.Join(errs...)
	}
	defer waitSyncs()

	sum = &Summary{Out: out, Layout: corpus.Layout, Skipped: append([]Skipped(nil), corpus.Skipped...)}
	var manifests []*Manifest
	var mean, std []float32
	var cmvnFrames int64
	for _, set := range sets {
		if len(set.Utterances) == 0 {
			continue
		}
		dir := filepath.Join(tmp, set.Name)
		finalArk, err := filepath.Abs(filepath.Join(out, set.Name, "feats.ark"))
		if err != nil {
			return nil, err
		}
		m, stats, wait, err := extractSplit(ctx, fsys, dir, finalArk, set, opts, report)
		if err != nil {
			return nil, err
		}
		syncs = append(syncs, wait)
		m.Corpus, m.Layout = opts.Corpus, corpus.Layout
		if set.Name == Train {
			if mean, std, err = stats.MeanStd(); err != nil {
				return nil, fmt.Errorf("CMVN statistics of the training split: %w", err)
			}
			cmvnFrames = stats.Count()
		}
		manifests = append(manifests, m)
		sum.Splits = append(sum.Splits, SplitSummary{Name: set.Name, Dir: filepath.Join(out, set.Name), Counts: m.Counts, Speakers: m.Speakers, Skipped: len(m.Skipped)})
		sum.Skipped = append(sum.Skipped, m.Skipped...)
	}
	for _, m := range manifests {
		m.CMVNMean, m.CMVNStd, m.CMVNFrames = mean, std, cmvnFrames
		m.Skipped = append(append([]Skipped{}, corpus.Skipped...), m.Skipped...)
		if err := writeJSON(filepath.Join(tmp, m.Split, "manifest.json"), m); err != nil {
			return nil, err
		}
	}
	if err := waitSyncs(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("extraction interrupted: %w", err)
	}
	if err := commit(out, tmp, manifests, opts.Overwrite); err != nil {
		return nil, err
	}
	return sum, nil
}

// tempPrefix starts the name of Extract's temporary folder in out, which
// goes on with tempOwner and a random suffix:
// .tmp-extract-<pid>@<host>-<random>.
const tempPrefix = ".tmp-extract-"

// tempOwner names the process pid of this host in a temporary folder's name.
func tempOwner(pid int) string { return strconv.Itoa(pid) + "@" + hostTag() }

// hostTag is the host name with anything but letters, digits, '.' and '_'
// replaced, so that it cannot contain the '-' that ends it in a folder
// name.
func hostTag() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, h)
}

// removeStaleTemps removes the temporary folders that extractions killed
// outright left in out: those whose owner, a process of this host, no
// longer exists. A folder of a live process (another extraction into the
// same out), of another host (out on a shared disk), of an older version
// (no owner in the name) or of an owner that cannot be checked (no process
// table to ask) is left alone. Failures are ignored: the folders are
// garbage, not output.
func removeStaleTemps(out string) {
	ents, err := os.ReadDir(out)
	if err != nil {
		return
	}
	host := hostTag()
	for _, e := range ents {
		owner, ok := strings.CutPrefix(e.Name(), tempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, rest, ok := strings.Cut(owner, "@")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if i := strings.LastIndexByte(rest, '-'); i < 0 || rest[:i] != host {
			continue
		}
		if processGone(pid) {
			os.RemoveAll(filepath.Join(out, e.Name()))
		}
	}
}

// checkNoSplits refuses to run over the output of an earlier run.
func checkNoSplits(out string) error {
	for _, name := range SplitNames() {
		p := filepath.Join(out, name)
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s %w", p, ErrOutputExists)
		}
	}
	return nil
}

// ErrOutputExists: Extract found a split folder of an earlier run in its
// output folder and was not told to replace it (ExtractOptions.Overwrite).
// The error names the folder before this text.
var ErrOutputExists = errors.New("already exists")

// commit moves the finished split folders from tmp into out. With overwrite,
// split folders of an earlier run are moved into tmp first (and deleted with
// it), so no stale split survives next to the new ones.
func commit(out, tmp string, ms []*Manifest, overwrite bool) error {
	if overwrite {
		old := filepath.Join(tmp, "old")
		if err := os.Mkdir(old, 0o755); err != nil {
			return err
		}
		for _, name := range SplitNames() {
			p := filepath.Join(out, name)
			if _, err := os.Lstat(p); err == nil {
				if err := os.Rename(p, filepath.Join(old, name)); err != nil {
					return fmt.Errorf("replace %s: %w", p, err)
				}
			}
		}
	} else if err := checkNoSplits(out); err != nil {
		return err
	}
	for _, m := range ms {
		if err := os.Rename(filepath.Join(tmp, m.Split), filepath.Join(out, m.Split)); err != nil {
			return fmt.Errorf("move %s into place: %w", m.Split, err)
		}
	}
	return nil
}

// utterance is the work product of one worker for one utterance.
type utterance struct {
	i        int
	feats    *features.Matrix
	ali      []int32
	phones   []int32 // the .PHN segments' phones, in order
	excluded int
	samples  int
	// sourceRate is the audio file's rate when it was resampled, else 0.
	sourceRate int
	err        error // a fault of this utterance's files
}

// extractSplit computes and writes one split into dir. It returns the
// manifest (without CMVN), the split's feature statistics, and a function
// that waits for its files to be synced to disk and closed.
func extractSplit(ctx context.Context, fsys fs.FS, dir, finalArk string, set SplitSet, opts ExtractOptions, report func(Progress)) (*Manifest, *features.Stats, func() error, error) {
	cfg := opts.Features
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, nil, nil, err
	}
	w, err := newSplitWriter(dir, finalArk, cfg.Dim())
	if err != nil {
		return nil, nil, nil, err
	}
	defer w.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	us := set.Utterances
	window := 4 * opts.Jobs // bounds the utterances in flight, hence memory
	slots := make(chan struct{}, window)
	jobs := make(chan int)
	results := make(chan utterance, window)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // dispatcher: hands out indices in order, one slot each
		defer wg.Done()
		defer close(jobs)
		for i := range us {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	workerErr := make(chan error, opts.Jobs)
	for range opts.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex, err := features.NewExtractor(cfg)
			if err != nil {
				workerErr <- err
				cancel()
				return
			}
			for i := range jobs {
				if ctx.Err() != nil {
					continue
				}
				r := computeUtterance(ex, fsys, us[i], cfg, opts.Resample)
				r.i = i
				results <- r // never blocks: at most window in flight
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }() // no goroutine outlives the call

	m := &Manifest{
		Version:       ManifestVersion,
		Split:         set.Name,
		Features:      cfg,
		Dim:           cfg.Dim(),
		Phones:        labels.TIMIT61().Names(),
		ExcludedLabel: labels.Excluded,
		Resampled:     opts.Resample,
		Counts:        Counts{PhoneFrames: make([]int64, labels.NumPhones)},
		Utterances:    []UtteranceSource{},
		Skipped:       []Skipped{},
	}
	stats := features.NewStats(cfg.Dim())
	pending := map[int]utterance{}
	stop := func(err error) (*Manifest, *features.Stats, func() error, error) {
		cancel()
		return nil, nil, nil, err
	}
	for next := 0; next < len(us); {
		r, ok := pending[next]
		if !ok {
			select {
			case r = <-results:
				pending[r.i] = r
			case err := <-workerErr:
				return stop(fmt.Errorf("feature extractor: %w", err))
			case <-ctx.Done():
				return stop(fmt.Errorf("extraction interrupted: %w", ctx.Err()))
			}
			continue
		}
		delete(pending, next)
		u := us[next]
		next++
		if r.err != nil {
			if !opts.SkipBad {
				return stop(r.err)
			}
			m.Skipped = append(m.Skipped, Skipped{Path: u.Audio, Reason: strings.TrimPrefix(r.err.Error(), u.Audio+": ")})
		} else {
			if err := w.write(u, r); err != nil {
				return stop(err)
			}
			stats.Add(r.feats)
			c := &m.Counts
			c.Utterances++
			c.Frames += int64(r.feats.Rows)
			c.ExcludedFrames += int64(r.excluded)
			c.Seconds += float64(r.samples) / float64(cfg.SampleRate)
			for _, l := range r.ali {
				if l >= 0 {
					c.PhoneFrames[l]++
				}
			}
			m.Utterances = append(m.Utterances, UtteranceSource{
				ID: u.ID, Speaker: u.Speaker, Audio: u.Audio, PHN: u.PHN, Samples: r.samples, Frames: r.feats.Rows,
				SourceRate: r.sourceRate,
			})
		}
		<-slots
		if report != nil {
			report(Progress{Split: set.Name, Done: next, Total: len(us), Seconds: m.Counts.Seconds})
		}
	}
	cancel()
	if m.Counts.Utterances == 0 {
		return nil, nil, nil, fmt.Errorf("%s split: every utterance was skipped", set.Name)
	}
	m.Speakers = manifestSpeakers(m.Utterances)
	m.Counts.Speakers = len(m.Speakers)
	for _, n := range m.Counts.PhoneFrames {
		if n > 0 {
			m.Counts.PhonesSeen++
		}
	}
	wait, err := w.finish()
	if err != nil {
		return nil, nil, nil, err
	}
	return m, stats, wait, nil
}

// computeUtterance reads one utterance's audio and phones and computes its
// features and frame labels. Errors name the offending file.
func computeUtterance(ex *features.Extractor, fsys fs.FS, u Utterance, cfg features.Config, resample bool) utterance {
	fail := func(err error) utterance { return utterance{err: err} }
	var (
		a          *Audio
		err        error
		sourceRate int
	)
	if resample {
		a, sourceRate, err = decodeResampled(fsys, u.Audio, cfg.SampleRate)
	} else {
		a, err = ReadAudio(fsys, u.Audio, cfg.SampleRate)
	}
	if err != nil {
		return fail(err)
	}
	b, err := readRegular(fsys, u.PHN)
	if err != nil {
		return fail(err)
	}
	segs, err := labels.ParsePHN(bytes.NewReader(b))
	if err != nil {
		return fail(fmt.Errorf("%s: %w", u.PHN, err))
	}
	if sourceRate != 0 && sourceRate != cfg.SampleRate {
		scaleSegments(segs, sourceRate, cfg.SampleRate)
	}
	if err := labels.CheckEnd(segs, len(a.Samples), cfg.FrameShift()); err != nil {
		return fail(fmt.Errorf("%s: %w", u.PHN, err))
	}
	feats, err := ComputeFeatures(ex, a.Samples)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", u.Audio, err))
	}
	ali, excluded := labels.Align(segs, feats.Rows, cfg.FrameCentre)
	phones := make([]int32, len(segs))
	for i, sg := range segs {
		phones[i] = int32(sg.Phone)
	}
	return utterance{feats: feats, ali: ali, phones: phones, excluded: excluded, samples: len(a.Samples), sourceRate: sourceRate}
}

// decodeResampled decodes name in any known encoding and resamples it to
// rate. Clipping is an error here: training data is not silently altered.
func decodeResampled(fsys fs.FS, name string, rate int) (*Audio, int, error) {
	rec, err := DecodeAudio(fsys, name, DecodeOptions{})
	if err != nil {
		return nil, 0, err
	}
	a, clipped, err := rec.Audio(rate)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	if clipped > 0 {
		return nil, 0, fmt.Errorf("%s: %d samples clip at 16 bits after resampling %s", name, clipped, rec.Format)
	}
	return a, rec.SampleRate, nil
}

// scaleSegments moves segment boundaries from sample positions at rate
// from to rate to, rounding to the nearest sample.
func scaleSegments(segs []labels.Segment, from, to int) {
	scale := func(x int) int { return int((int64(x)*int64(to) + int64(from)/2) / int64(from)) }
	for i := range segs {
		segs[i].Start, segs[i].End = scale(segs[i].Start), scale(segs[i].End)
	}
}

// ComputeFeatures returns the raw (not normalised) features of one
// utterance of samples at ex's sample rate, as Extract writes them: it
// refuses a signal too short for one frame and features that are not all
// finite. Errors do not name a file; callers add it.
func ComputeFeatures(ex *features.Extractor, samples []int16) (*features.Matrix, error) {
	if ex.Config().NumFrames(len(samples)) == 0 {
		return nil, fmt.Errorf("%d samples is too short for one frame", len(samples))
	}
	feats, err := ex.Compute(samples)
	if err != nil {
		return nil, err
	}
	for t := 0; t < feats.Rows; t++ {
		for _, v := range feats.Row(t) {
			if !finite(v) {
				return nil, fmt.Errorf("non-finite feature value at frame %d", t)
			}
		}
	}
	return feats, nil
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// splitWriter writes the files of one split folder.
type splitWriter struct {
	dir, finalArk string
	dim           int
	files         []*os.File
	feats, ali    *ArkWriter
	scp, u2s, txt *bufio.Writer
}

func newSplitWriter(dir, finalArk string, dim int) (*splitWriter, error) {
	w := &splitWriter{dir: dir, finalArk: finalArk, dim: dim}
	open := func(name string) (*os.File, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err == nil {
			w.files = append(w.files, f)
		}
		return f, err
	}
	var fs [5]*os.File
	for i, name := range []string{"feats.ark", "ali.ark", "feats.scp", "utt2spk", TextFile} {
		f, err := open(name)
		if err != nil {
			w.close()
			return nil, err
		}
		fs[i] = f
	}
	w.feats, w.ali = NewArkWriter(fs[0]), NewArkWriter(fs[1])
	w.scp, w.u2s, w.txt = bufio.NewWriter(fs[2]), bufio.NewWriter(fs[3]), bufio.NewWriter(fs[4])
	return w, nil
}

func (w *splitWriter) write(u Utterance, r utterance) error {
	if r.feats.Cols != w.dim || len(r.ali) != r.feats.Rows {
		return fmt.Errorf("%s: internal error: %d×%d features, %d labels, want %d dims", u.Audio, r.feats.Rows, r.feats.Cols, len(r.ali), w.dim)
	}
	// Errors name the final paths: the temporary folder means nothing to
	// the user and is removed on failure.
	off, err := w.feats.WriteMatrix(u.ID, r.feats)
	if err != nil {
		return fmt.Errorf("write %s: utterance %s: %w", w.finalArk, u.ID, ioFault(err))
	}
	if _, err := w.ali.WriteInt32Vector(u.ID, r.ali); err != nil {
		return fmt.Errorf("write %s: utterance %s: %w", filepath.Join(filepath.Dir(w.finalArk), "ali.ark"), u.ID, ioFault(err))
	}
	fmt.Fprintf(w.scp, "%s\n", ScpEntry{Key: u.ID, Path: w.finalArk, Offset: off})
	fmt.Fprintf(w.u2s, "%s %s\n", u.ID, u.Speaker)
	if err := WriteTextLine(w.txt, u.ID, r.phones); err != nil {
		return fmt.Errorf("write %s: utterance %s: %w", filepath.Join(filepath.Dir(w.finalArk), TextFile), u.ID, ioFault(err))
	}
	return nil
}

// ioFault strips the (temporary) path from a file-system error.
func ioFault(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// finish flushes every file and writes phones.txt, then syncs and closes
// the files in the background; the returned function waits for that.
func (w *splitWriter) finish() (wait func() error, err error) {
	if err := errors.Join(w.feats.Flush(), w.ali.Flush(), w.scp.Flush(), w.u2s.Flush(), w.txt.Flush()); err != nil {
		return nil, fmt.Errorf("write %s: %w", w.dir, err)
	}
	var b strings.Builder
	for i, p := range labels.TIMIT61().Names() {
		fmt.Fprintf(&b, "%s %d\n", p, i)
	}
	if err := writeFile(filepath.Join(w.dir, "phones.txt"), []byte(b.String())); err != nil {
		return nil, err
	}
	files := w.files
	w.files = nil // the goroutine owns them now
	done := make(chan error, 1)
	go func() {
		var errs []error
		for _, f := range files {
			errs = append(errs, f.Sync(), f.Close())
		}
		if err := errors.Join(errs...); err != nil {
			done <- fmt.Errorf("write %s: %w", w.dir, err)
		}
		close(done)
	}()
	return func() error { return <-done }, nil
}

func (w *splitWriter) close() {
	for _, f := range w.files {
		f.Close()
	}
	w.files = nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(b, '\n'))
}

// writeFile writes and syncs a small file (inside the temporary folder, so
// it needs no rename of its own).
func writeFile(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err2 := f.Sync(); err == nil {
		err = err2
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// listSpeakers is the most speakers WriteTable names for one split; the
// manifest lists them all.
const listSpeakers = 12

// WriteTable prints the summary as a table: one row per split with
// speakers, utterances, hours, frames and label coverage; then each split's
// speakers (named up to listSpeakers, else counted and left to the
// manifest); then the skipped files.
func (s *Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "split\tspeakers\tutterances\thours\tframes\tlabelled %\texcluded frames\tphones\tskipped\t")
	for _, sp := range s.Splits {
		c := sp.Counts
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%d\t%.2f\t%d\t%d\t%d\t\n",
			sp.Name, c.Speakers, c.Utterances, c.Hours(), c.Frames, c.Coverage(), c.ExcludedFrames, c.PhonesSeen, sp.Skipped)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	width := 0
	for _, sp := range s.Splits {
		width = max(width, len(sp.Name))
	}
	for _, sp := range s.Splits {
		list := strings.Join(sp.Speakers, " ")
		if len(sp.Speakers) > listSpeakers {
			list = fmt.Sprintf("%d, listed in %s", len(sp.Speakers), filepath.Join(sp.Dir, "manifest.json"))
		}
		fmt.Fprintf(w, "%*s speakers: %s\n", width, sp.Name, list)
	}
	if len(s.Skipped) > 0 {
		sk := append([]Skipped(nil), s.Skipped...)
		sort.Slice(sk, func(i, j int) bool { return sk[i].Path < sk[j].Path })
		fmt.Fprintf(w, "skipped %d files:\n", len(sk))
		for _, k := range sk {
			fmt.Fprintf(w, "  %s: %s\n", k.Path, k.Reason)
		}
	}
	_, err := fmt.Fprintf(w, "written to %s\n", s.Out)
	return err
}
