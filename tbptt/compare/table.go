package compare

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/tbptt"
)

// RunRecord records one training run of a schedule comparison. K2 = 0 means
// back-propagation to the sentence start (tbptt.All). Float fields that were
// not measured (a run not yet scored on test, say) are NaN and are left out
// of the means.
type RunRecord struct {
	Schedule   string `json:"schedule"` // name as given on the command line, e.g. "tbptt:k1=20:k2=20"
	K1         int    `json:"k1"`
	K2         int    `json:"k2"`
	Truncation string `json:"truncation"`
	Seed       uint64 `json:"seed"`

	Updates         int64   `json:"updates"`
	FramesForward   int64   `json:"frames_forward"`  // re-runs counted
	FramesBackward  int64   `json:"frames_backward"` // re-runs counted
	WallSeconds     float64 `json:"wall_seconds"`    // training time
	FramesPerSecond float64 `json:"frames_per_second"`
	BestEpoch       int     `json:"best_epoch"`
	DevFER          float64 `json:"dev_fer"` // at the best epoch, fraction
	DevFER39        float64 `json:"dev_fer39"`
	TestFER61       float64 `json:"test_fer61"`
	TestFER39       float64 `json:"test_fer39"`
	// TestPER39 is the test phone error rate over 39 classes (Config.Decode;
	// nil when not computed: the test split has no text file).
	TestPER39 *float64 `json:"test_per39,omitempty"`
	// PERDecoder names the decoder of TestPER39 (greedy or viterbi).
	PERDecoder string `json:"per_decoder,omitempty"`

	Curve []CurvePoint `json:"curve"`

	// Point is the grid point of a tuned comparison (nil untuned).
	Point GridPoint `json:"-"`
}

// CurvePoint is the state of a run at the end of one epoch. Wall seconds
// and updates are cumulative since the start of training.
type CurvePoint struct {
	Epoch       int     `json:"epoch"`
	WallSeconds float64 `json:"wall_seconds"`
	Updates     int64   `json:"updates"`
	TrainLoss   float64 `json:"train_loss"` // mean per scored frame
	DevFER      float64 `json:"dev_fer"`
}

// Better says which way a column improves.
type Better int

const (
	Neutral Better = iota // no best value is marked
	Lower
	Higher
)

// Column is one summarised quantity of the results table.
type Column struct {
	Key    string // CSV name, e.g. "dev_fer"
	Title  string // Markdown and terminal heading
	Better Better
	Value  func(r *RunRecord) float64
	Format func(v float64) string // human rendering of a mean or sd
}

// Columns returns the columns of the comparison table in order.
func Columns() []Column {
	count := func(v float64) string { return si(v) }
	pct := func(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) }
	return []Column{
		{"updates", "updates", Neutral, func(r *RunRecord) float64 { return float64(r.Updates) }, count},
		{"frames_forward", "frames fwd", Lower, func(r *RunRecord) float64 { return float64(r.FramesForward) }, count},
		{"frames_backward", "frames bwd", Lower, func(r *RunRecord) float64 { return float64(r.FramesBackward) }, count},
		{"wall_seconds", "wall s", Lower, func(r *RunRecord) float64 { return r.WallSeconds }, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }},
		{"frames_per_second", "frames/s", Higher, func(r *RunRecord) float64 { return r.FramesPerSecond }, count},
		{"best_epoch", "best epoch", Neutral, func(r *RunRecord) float64 { return float64(r.BestEpoch) }, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }},
		{"dev_fer", "dev FER %", Lower, func(r *RunRecord) float64 { return r.DevFER }, pct},
		{"test_fer61", "test FER-61 %", Lower, func(r *RunRecord) float64 { return r.TestFER61 }, pct},
		{"test_fer39", "test FER-39 %", Lower, func(r *RunRecord) float64 { return r.TestFER39 }, pct},
	}
}

// perColumn is the test PER-39 column, in percent (NaN for a run without
// it), its title naming the decoder.
func perColumn(decoder string) Column {
	title := "test PER-39 %"
	if decoder != "" {
		title += " (" + decoder + ")"
	}
	return Column{"test_per39", title, Lower, func(r *RunRecord) float64 {
		if r.TestPER39 == nil {
			return math.NaN()
		}
		return *r.TestPER39
	}, func(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) }}
}

// si renders a non-negative count with three significant digits and an SI
// suffix (k, M, G), or about three significant digits below 10⁴, so
// that table columns stay narrow.
func si(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'f', 2, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case a >= 100 || a == math.Trunc(a):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// Stat is the summary of one column over the seeds of one schedule.
type Stat struct {
	Mean float64
	SD   float64 // sample standard deviation (n−1); 0 when N < 2
	N    int     // runs with a value (NaN values are left out)
	Best bool    // best mean of its column (ties all marked)
}

// Row is one schedule of the table.
type Row struct {
	Schedule   string
	K1, K2     int
	Truncation string
	Seeds      []uint64
	Stats      []Stat // one per Table.Columns
	// Tuned is the chosen grid point of a tuned comparison.
	Tuned GridPoint
	// Versus compares this schedule's test errors with the best row's
	// (nil for the best row itself, or when not computed).
	Versus *Comparison
	// VersusPER is the same comparison on test PER (ComparePER; its FER61
	// and FER39 fields hold PER-61 and PER-39).
	VersusPER *Comparison
}

// Table summarises runs by schedule over seeds.
type Table struct {
	Columns []Column
	Rows    []Row
	// Keys are the tuned options of a tuned comparison, one column each.
	Keys []string
	// Best is the row with the lowest mean test FER-39, which the others'
	// Versus compare with (−1: none).
	Best int
	// Notes are sentences written after the Markdown table: what the
	// significance tests say, and chosen values at the edge of a grid.
	Notes []string
}

// NewTable groups runs by schedule, in order of first appearance, and
// summarises each column as mean ± sample standard deviation over seeds.
// In each column with a direction, the best mean is marked when at least two
// schedules have a value. Runs of one schedule must agree on k1, k2 and
// truncation and have distinct seeds.
func NewTable(runs []RunRecord) (*Table, error) {
	t := &Table{Columns: Columns(), Best: -1}
	// The phone error rate, when any run has one (a test split extracted
	// with its text file).
	for i := range runs {
		if runs[i].TestPER39 != nil {
			t.Columns = append(t.Columns, perColumn(runs[i].PERDecoder))
			break
		}
	}
	index := map[string]int{}
	var groups [][]*RunRecord
	for i := range runs {
		r := &runs[i]
		if r.Schedule == "" {
			return nil, fmt.Errorf("run %d (seed %d): no schedule name", i, r.Seed)
		}
		g, ok := index[r.Schedule]
		if !ok {
			g = len(t.Rows)
			index[r.Schedule] = g
			t.Rows = append(t.Rows, Row{Schedule: r.Schedule, K1: r.K1, K2: r.K2, Truncation: r.Truncation})
			groups = append(groups, nil)
		}
		row := &t.Rows[g]
		if row.K1 != r.K1 || row.K2 != r.K2 || row.Truncation != r.Truncation {
			return nil, fmt.Errorf("schedule %s: seed %d has k1=%d k2=%d %s, seed %d has k1=%d k2=%d %s",
				r.Schedule, row.Seeds[0], row.K1, row.K2, row.Truncation, r.Seed, r.K1, r.K2, r.Truncation)
		}
		if slices.Contains(row.Seeds, r.Seed) {
			return nil, fmt.Errorf("schedule %s: seed %d appears twice", r.Schedule, r.Seed)
		}
		row.Seeds = append(row.Seeds, r.Seed)
		groups[g] = append(groups[g], r)
	}
	for g := range t.Rows {
		t.Rows[g].Stats = make([]Stat, len(t.Columns))
		for c, col := range t.Columns {
			t.Rows[g].Stats[c] = summarise(groups[g], col.Value)
		}
	}
	for c, col := range t.Columns {
		t.markBest(c, col.Better)
	}
	return t, nil
}

// ColumnIndex returns the index of the column with the given key, or −1.
func (t *Table) ColumnIndex(key string) int {
	for i, c := range t.Columns {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// summarise returns mean and sample standard deviation of value over runs,
// skipping NaN.
func summarise(runs []*RunRecord, value func(*RunRecord) float64) Stat {
	var s Stat
	var sum float64
	for _, r := range runs {
		if v := value(r); !math.IsNaN(v) {
			sum += v
			s.N++
		}
	}
	if s.N == 0 {
		return Stat{Mean: math.NaN(), SD: math.NaN()}
	}
	s.Mean = sum / float64(s.N)
	if s.N > 1 {
		var ss float64
		for _, r := range runs {
			if v := value(r); !math.IsNaN(v) {
				ss += (v - s.Mean) * (v - s.Mean)
			}
		}
		s.SD = math.Sqrt(ss / float64(s.N-1))
	}
	return s
}

func (t *Table) markBest(c int, better Better) {
	if better == Neutral {
		return
	}
	best, have := math.NaN(), 0
	for _, r := range t.Rows {
		m := r.Stats[c].Mean
		if r.Stats[c].N == 0 {
			continue
		}
		have++
		if math.IsNaN(best) || (better == Lower && m < best) || (better == Higher && m > best) {
			best = m
		}
	}
	if have < 2 {
		return
	}
	for i := range t.Rows {
		if s := &t.Rows[i].Stats[c]; s.N > 0 && s.Mean == best {
			s.Best = true
		}
	}
}

// cell renders a stat as "mean ± sd" ("mean" alone for one seed, "–" for
// none).
func cell(s Stat, format func(float64) string) string {
	switch {
	case s.N == 0:
		return "–"
	case s.N == 1:
		return format(s.Mean)
	default:
		return format(s.Mean) + " ± " + format(s.SD)
	}
}

// WriteMarkdown writes the table as a GitHub Markdown table, best values in
// bold, followed by a line explaining the notation.
func (t *Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	head := []string{"schedule", "k1", "k2", "truncation"}
	head = append(head, t.Keys...)
	head = append(head, "seeds")
	for _, c := range t.Columns {
		head = append(head, c.Title)
	}
	sig := t.Best >= 0
	if sig {
		head = append(head, "Δ test FER-39 vs best (95 % CI)")
	}
	sigPER := sig && t.hasPERComparison()
	if sigPER {
		head = append(head, "Δ test PER-39 vs best (95 % CI)")
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", 4+len(t.Keys)+1) + strings.Repeat("---:|", len(t.Columns)))
	if sig {
		b.WriteString("---:|")
	}
	if sigPER {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for i, r := range t.Rows {
		cells := []string{"`" + r.Schedule + "`", tbptt.K1String(r.K1), tbptt.K2String(r.K2), r.Truncation}
		cells = append(cells, t.tunedValues(r)...)
		cells = append(cells, strconv.Itoa(len(r.Seeds)))
		for c, col := range t.Columns {
			s := cell(r.Stats[c], col.Format)
			if r.Stats[c].Best {
				s = "**" + s + "**"
			}
			cells = append(cells, s)
		}
		// The difference to the best row and its interval, "best" in the
		// best row itself.
		versus := func(v *Comparison) string {
			switch {
			case i == t.Best:
				return "best"
			case v != nil:
				d := v.FER39
				return fmt.Sprintf("%s (%s to %s)", fmtPoints(d.Delta), fmtPoints(d.Lo), fmtPoints(d.Hi))
			}
			return "–"
		}
		if sig {
			cells = append(cells, versus(r.Versus))
		}
		if sigPER {
			cells = append(cells, versus(r.VersusPER))
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\nMean ± sample standard deviation over seeds; best value per column in bold (lowest; highest for frames/s; updates and best epoch not ranked). FER in percent; frames counted with re-runs.")
	if sig {
		unit := Utterances
		for _, r := range t.Rows {
			if r.Versus != nil {
				unit = r.Versus.BootstrapUnit
			}
		}
		fmt.Fprintf(&b, " Δ: difference in test FER-39 from the best schedule, in points, each utterance's errors averaged over seeds; 95 %% interval from a paired bootstrap over test %s (%d replicates).", unit, DefaultReplicates)
		if sigPER {
			b.WriteString(" Δ test PER-39: the same for the phone error rate, against the same schedule (reference phones in place of frames, edits in place of frame errors).")
		}
	}
	b.WriteString("\n")
	for _, n := range t.Notes {
		b.WriteString("\n" + n + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes the table with full-precision numbers: for every column
// KEY the fields KEY_mean, KEY_sd (empty for fewer than two seeds) and
// KEY_best ("*" for the best value, else empty). Seeds are listed
// separated by spaces. Rates are fractions, not percentages.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"schedule", "k1", "k2", "truncation", "seeds"}
	for _, c := range t.Columns {
		head = append(head, c.Key+"_mean", c.Key+"_sd", c.Key+"_best")
	}
	head = append(head, "delta_fer61", "delta_fer61_lo", "delta_fer61_hi", "poi_fer61",
		"delta_fer39", "delta_fer39_lo", "delta_fer39_hi", "poi_fer39")
	per := t.ColumnIndex("test_per39") >= 0
	if per {
		head = append(head, "delta_per39", "delta_per39_lo", "delta_per39_hi", "poi_per39")
	}
	head = append(head, t.Keys...)
	if err := cw.Write(head); err != nil {
		return err
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for _, r := range t.Rows {
		seeds := make([]string, len(r.Seeds))
		for i, s := range r.Seeds {
			seeds[i] = strconv.FormatUint(s, 10)
		}
		rec := []string{r.Schedule, strconv.Itoa(r.K1), strconv.Itoa(r.K2), r.Truncation, strings.Join(seeds, " ")}
		for _, s := range r.Stats {
			sd, best := "", ""
			if s.N > 1 {
				sd = num(s.SD)
			}
			if s.Best {
				best = "*"
			}
			rec = append(rec, num(s.Mean), sd, best)
		}
		if v := r.Versus; v != nil {
			// Fractions, as the FER columns: the bootstrap works in points.
			for _, d := range []Difference{v.FER61, v.FER39} {
				rec = append(rec, num(d.Delta/100), num(d.Lo/100), num(d.Hi/100), num(d.PImprove))
			}
		} else {
			rec = append(rec, "", "", "", "", "", "", "", "")
		}
		if per {
			if d := r.VersusPER; d != nil {
				rec = append(rec, num(d.FER39.Delta/100), num(d.FER39.Lo/100), num(d.FER39.Hi/100), num(d.FER39.PImprove))
			} else {
				rec = append(rec, "", "", "", "")
			}
		}
		rec = append(rec, t.tunedValues(r)...)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteText writes the table aligned for a terminal, best values followed
// by "*".
func (t *Table) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"schedule", "k1", "k2", "trunc", "seeds"}
	for _, c := range t.Columns {
		head = append(head, c.Title)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range t.Rows {
		cells := []string{r.Schedule, tbptt.K1String(r.K1), tbptt.K2String(r.K2), r.Truncation, strconv.Itoa(len(r.Seeds))}
		for c, col := range t.Columns {
			s := cell(r.Stats[c], col.Format)
			if r.Stats[c].Best {
				s += "*"
			} else {
				s += " "
			}
			cells = append(cells, s)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "mean ± sd over seeds; * best in column")
	return err
}

// WriteFiles writes results.md and results.csv into dir.
func (t *Table) WriteFiles(dir string) error {
	if err := atomicfile.WriteFile(filepath.Join(dir, "results.md"), t.WriteMarkdown); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "results.csv"), t.WriteCSV)
}

// tunedValues returns the row's chosen value of every tuned key.
func (t *Table) tunedValues(r Row) []string {
	out := make([]string, len(t.Keys))
	for i, k := range t.Keys {
		for _, set := range r.Tuned {
			if set.Key == k {
				out[i] = set.Value
			}
		}
	}
	return out
}

// Compare marks the row with the lowest mean test FER-39 as the best and
// compares every other row with it by a paired bootstrap over the test set
// (see PairedBootstrap), each utterance's counts averaged over the seeds;
// tests gives each row's per-seed test scores (schedule → seeds). It adds
// the significance sentences to Notes.
func (t *Table) Compare(tests map[string][][]UttCounts, unit BootstrapUnit) error {
	c := t.ColumnIndex("test_fer39")
	best := -1
	for i, r := range t.Rows {
		if s := r.Stats[c]; s.N > 0 && (best < 0 || s.Mean < t.Rows[best].Stats[c].Mean) && len(tests[r.Schedule]) > 0 {
			best = i
		}
	}
	if best < 0 || len(t.Rows) < 2 {
		return nil
	}
	t.Best = best
	bestCounts, err := AverageSeeds(tests[t.Rows[best].Schedule]...)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", t.Rows[best].Schedule, err)
	}
	for i := range t.Rows {
		r := &t.Rows[i]
		if i == best || len(tests[r.Schedule]) == 0 {
			continue
		}
		counts, err := AverageSeeds(tests[r.Schedule]...)
		if err != nil {
			return fmt.Errorf("schedule %s: %w", r.Schedule, err)
		}
		cmp, err := PairedBootstrap(counts, bestCounts, unit, DefaultReplicates, BootstrapRand())
		if err != nil {
			return fmt.Errorf("schedule %s against %s: %w", r.Schedule, t.Rows[best].Schedule, err)
		}
		r.Versus = &cmp
		t.Notes = append(t.Notes, cmp.Sentences(r.Schedule, t.Rows[best].Schedule))
	}
	return nil
}
