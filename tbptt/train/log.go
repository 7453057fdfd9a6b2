package train

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// The epoch log is appended one line per epoch, so a run that is killed
// keeps every finished epoch; a resumed run first cuts the files back to
// the sizes recorded with its saved state.

// epochLogJSON is EpochLog with the rates that may be undefined (no dev
// data, no scored frames) as pointers: JSON has no NaN, so they are null.
type epochLogJSON struct {
	Epoch           int      `json:"epoch"`
	Updates         int64    `json:"updates"`
	FramesForward   int64    `json:"frames_forward"`
	FramesBackward  int64    `json:"frames_backward"`
	Loss            *float64 `json:"loss"`
	TrainFER        *float64 `json:"train_fer"`
	DevFER61        *float64 `json:"dev_fer61"`
	DevFER39        *float64 `json:"dev_fer39"`
	Seconds         float64  `json:"seconds"`
	WallSeconds     float64  `json:"wall_seconds"`
	FramesPerSecond float64  `json:"frames_per_second"`
	LR              float64  `json:"lr"`
	K2              string   `json:"k2,omitempty"`
	Best            bool     `json:"best"`
	Partial         bool     `json:"partial,omitempty"`
}

func ptr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes undefined rates as null.
func (e EpochLog) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochLogJSON{e.Epoch, e.Updates, e.FramesForward, e.FramesBackward,
		ptr(e.Loss), ptr(e.TrainFER), ptr(e.DevFER61), ptr(e.DevFER39),
		e.Seconds, e.WallSeconds, e.FramesPerSecond, e.LR, e.K2, e.Best, e.Partial})
}

// UnmarshalJSON reads null rates as NaN.
func (e *EpochLog) UnmarshalJSON(b []byte) error {
	var j epochLogJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = EpochLog{j.Epoch, j.Updates, j.FramesForward, j.FramesBackward,
		val(j.Loss), val(j.TrainFER), val(j.DevFER61), val(j.DevFER39),
		j.Seconds, j.WallSeconds, j.FramesPerSecond, j.LR, j.K2, j.Best, j.Partial}
	return nil
}

// csvHeader names the CSV columns, in EpochLog order.
const csvHeader = "epoch,updates,frames_forward,frames_backward,loss,train_fer,dev_fer61,dev_fer39,seconds,wall_seconds,frames_per_second,lr,k2,best,partial\n"

func (e EpochLog) csvLine() string {
	f := func(x float64) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join([]string{
		strconv.Itoa(e.Epoch), strconv.FormatInt(e.Updates, 10),
		strconv.FormatInt(e.FramesForward, 10), strconv.FormatInt(e.FramesBackward, 10),
		f(e.Loss), f(e.TrainFER), f(e.DevFER61), f(e.DevFER39),
		f(e.Seconds), f(e.WallSeconds), f(e.FramesPerSecond), f(e.LR), e.K2,
		strconv.FormatBool(e.Best), strconv.FormatBool(e.Partial),
	}, ",") + "\n"
}

// ReadLog reads a run's JSON-lines epoch log (LogPaths).
func ReadLog(path string) ([]EpochLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []EpochLog
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e EpochLog
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// epochLogger appends to the two log files.
type epochLogger struct {
	jsonlPath, csvPath string
	jsonl, csv         *os.File // nil until the first Append of a new run
	jsonlSize, csvSize int64
}

// openLogs opens both logs for appending after cutting them to the given
// sizes. A new run (sizes 0) opens them only at its first epoch's end, so
// the logs of a run it replaces survive until it has something to write.
func openLogs(jsonlPath, csvPath string, jsonlSize, csvSize int64) (*epochLogger, error) {
	l := &epochLogger{jsonlPath: jsonlPath, csvPath: csvPath}
	if jsonlSize == 0 && csvSize == 0 {
		return l, nil
	}
	return l, l.open(jsonlSize, csvSize)
}

func (l *epochLogger) open(jsonlSize, csvSize int64) error {
	var err error
	if l.jsonl, l.jsonlSize, err = openLog(l.jsonlPath, jsonlSize); err != nil {
		return err
	}
	if l.csv, l.csvSize, err = openLog(l.csvPath, csvSize); err != nil {
		l.jsonl.Close()
		l.jsonl = nil
		return err
	}
	return nil
}

func openLog(path string, size int64) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() < size {
		err = fmt.Errorf("%s is shorter than the saved run's log (%d < %d bytes)", path, fi.Size(), size)
	}
	if err == nil {
		err = f.Truncate(size)
	}
	if err == nil {
		_, err = f.Seek(size, 0)
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("log: %w", err)
	}
	return f, size, nil
}

// Append writes one epoch to both logs.
func (l *epochLogger) Append(e EpochLog) error {
	j, err := json.Marshal(e)
	if err != nil {
		return err
	}
	j = append(j, '\n')
	if l.jsonl == nil {
		if err := l.open(0, 0); err != nil {
			return err
		}
	}
	c := e.csvLine()
	if l.csvSize == 0 {
		c = csvHeader + c
	}
	if _, err := l.jsonl.Write(j); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	if _, err := l.csv.WriteString(c); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	l.jsonlSize += int64(len(j))
	l.csvSize += int64(len(c))
	return nil
}

// Sizes returns the byte lengths written so far.
func (l *epochLogger) Sizes() (jsonl, csv int64) { return l.jsonlSize, l.csvSize }

// Close closes both files (nothing was opened, or written, before the
// first epoch's end).
func (l *epochLogger) Close() error {
	if l == nil || l.jsonl == nil {
		return nil
	}
	return errors.Join(l.jsonl.Close(), l.csv.Close())
}
