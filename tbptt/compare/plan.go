package compare

// The plan file: what every task of a distributed comparison agrees on.
// A task reads the data and the command line it was given and plans the
// comparison itself; the plan file lets it check that it plans the same
// comparison as the tasks before it, so that a task started with other
// options or other data never writes into this output.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/phoneme/phoneme/tbptt/train"
)

// PlanFile is the output folder's plan of a distributed comparison.
const PlanFile = "plan.json"

// ErrPlanDiffers is returned (wrapped) when a command plans another
// comparison than the one its output folder holds.
var ErrPlanDiffers = errors.New("another comparison is planned in this output folder")

// planFile is the content of PlanFile. Paths are recorded for the reader
// but not compared: nodes may mount the shared storage at other paths,
// and the data are compared by content.
type planFile struct {
	Format    int          `json:"format"`
	DataDir   string       `json:"data_dir,omitempty"`
	Data      dataIdentity `json:"data"`
	Schedules []string     `json:"schedules"`
	Seeds     []uint64     `json:"seeds"`
	Tune      []TuneKey    `json:"tune,omitempty"` // keys sorted by name: their order is presentation
	Shared    train.Config `json:"shared"`         // schedule and seed cleared; lr 0: each optimizer's default
	Bootstrap string       `json:"bootstrap"`
	Tasks     []planTask   `json:"tasks"`
}

type planTask struct {
	Index int    `json:"index"`
	Run   string `json:"run"` // folder under runs/
	ID    string `json:"id"`
}

func newPlanFile(cfg Config, tasks []Task, dataID dataIdentity) planFile {
	p := planFile{Format: 1, DataDir: cfg.Data, Data: dataID, Seeds: cfg.Seeds, Shared: sharedConfig(cfg.Base),
		Bootstrap: cfg.Bootstrap.String(), Tune: sortedTune(cfg.Tune)}
	for _, s := range cfg.Schedules {
		p.Schedules = append(p.Schedules, s.Text)
	}
	for _, t := range tasks {
		p.Tasks = append(p.Tasks, planTask{t.Index, filepath.Base(t.Run.Dir), t.Run.ID})
	}
	return p
}

// sharedConfig is base without the fields each run sets itself.
func sharedConfig(base train.Config) train.Config {
	base.Schedule, base.K1, base.K2, base.Truncation, base.Seed, base.Resume = "", 0, "", "", 0, false
	return base
}

func sortedTune(keys []TuneKey) []TuneKey {
	s := slices.Clone(keys)
	slices.SortStableFunc(s, func(a, b TuneKey) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// checkPlan compares this command's plan with the output folder's plan
// file. With create, a missing plan file is written (atomically, and only
// if no other process wrote one first: that one is then compared);
// without, a missing plan file is no fault.
func checkPlan(cfg Config, tasks []Task, dataID dataIdentity, create bool) error {
	path := filepath.Join(cfg.Out, PlanFile)
	mine := newPlanFile(cfg, tasks, dataID)
	if create {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return err
		}
		b, err := json.MarshalIndent(mine, "", "  ")
		if err != nil {
			return err
		}
		f, err := os.CreateTemp(cfg.Out, "."+PlanFile+".tmp*")
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		_, err = f.Write(append(b, '\n'))
		if serr := f.Sync(); err == nil {
			err = serr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(f.Name(), 0o644)
		}
		if err == nil {
			// A hard link publishes the complete file, and fails if
			// another task published its plan first.
			err = os.Link(f.Name(), path)
		}
		os.Remove(f.Name())
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !create {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var theirs planFile
	if err := json.Unmarshal(b, &theirs); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	diffs := planDifferences(theirs, mine)
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w: %s; give this command its own --out", path, ErrPlanDiffers, strings.Join(diffs, "; "))
}

// planDifferences names what differs between the plan in the folder
// (theirs) and this command's (mine), in the user's terms.
func planDifferences(theirs, mine planFile) []string {
	var d []string
	for _, s := range []struct {
		name   string
		th, my splitID
	}{{"train", theirs.Data.Train, mine.Data.Train}, {"dev", theirs.Data.Dev, mine.Data.Dev}, {"test", theirs.Data.Test, mine.Data.Test}} {
		if s.th != s.my {
			d = append(d, fmt.Sprintf("the %s data differ (%d sentences, %d frames, sha256 %.12s in the plan; %d, %d, %.12s here, from %s)",
				s.name, s.th.Sentences, s.th.Frames, s.th.SHA256, s.my.Sentences, s.my.Frames, s.my.SHA256, mine.DataDir))
		}
	}
	if !slices.Equal(theirs.Schedules, mine.Schedules) {
		d = append(d, fmt.Sprintf("schedules %q in the plan, %q here", strings.Join(theirs.Schedules, ","), strings.Join(mine.Schedules, ",")))
	}
	if !slices.Equal(theirs.Seeds, mine.Seeds) {
		d = append(d, fmt.Sprintf("seeds %s in the plan, %s here", seedList(theirs.Seeds), seedList(mine.Seeds)))
	}
	if tj, mj := jsonText(theirs.Tune), jsonText(mine.Tune); tj != mj {
		d = append(d, fmt.Sprintf("tune %s in the plan, %s here", tuneText(theirs.Tune), tuneText(mine.Tune)))
	}
	var tm, mm map[string]any
	json.Unmarshal([]byte(jsonText(theirs.Shared)), &tm)
	json.Unmarshal([]byte(jsonText(mine.Shared)), &mm)
	var keys []string
	for k := range tm {
		keys = append(keys, k)
	}
	for k := range mm {
		if _, ok := tm[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if jsonText(tm[k]) != jsonText(mm[k]) {
			d = append(d, fmt.Sprintf("%s %s in the plan, %s here", k, optionText(tm[k]), optionText(mm[k])))
		}
	}
	if theirs.Bootstrap != mine.Bootstrap {
		d = append(d, fmt.Sprintf("bootstrap %s in the plan, %s here", theirs.Bootstrap, mine.Bootstrap))
	}
	if len(d) == 0 && jsonText(theirs.Tasks) != jsonText(mine.Tasks) {
		d = append(d, "the runs differ (a plan of another version of phoneme?)")
	}
	return d
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func optionText(v any) string {
	if v == nil {
		return "(unset)"
	}
	return jsonText(v)
}

func seedList(s []uint64) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ",")
}

func tuneText(keys []TuneKey) string {
	if len(keys) == 0 {
		return "(none)"
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.Name + "=" + strings.Join(k.Values, ",")
	}
	return strings.Join(parts, " ")
}
