package compare

// Job scripts for engines that run a comparison's tasks: Slurm job arrays
// (array.sbatch, collect.sbatch) and Kubernetes indexed Jobs (k8s.go).
// Every task runs "phoneme compare <the same options> --task auto" on a
// machine that sees the data and the output folder at the same paths.

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// A Launch is how an engine runs a comparison's tasks.
type Launch struct {
	// Exe is the phoneme program (an absolute path for Slurm: every node
	// must find it there; a name on the image's PATH for Kubernetes).
	Exe string
	// Args are compare's arguments without the options that choose a
	// mode (--task, --collect, --slurm, …): "--data", DIR, "--out", …
	Args []string
	// Dir is the folder the tasks run in (absolute), where relative paths
	// of Args resolve.
	Dir string
	// Out is the comparison's output folder (absolute).
	Out string
}

// Command returns the task's shell command with mode appended.
func (l Launch) Command(mode ...string) string {
	return quoteArgs(append(append([]string{l.Exe, "compare"}, l.Args...), mode...))
}

// A SlurmArray is the Slurm side of a Launch.
type SlurmArray struct {
	Launch
	// Options are extra sbatch options ("--partition=gpu --time=2:00:00"),
	// written as #SBATCH lines after phoneme's own, so they win.
	Options string
	// Tasks are the task indices the array runs: the array index is the
	// task index.
	Tasks []int
	// Limit caps the tasks running at once (the array's %); 0: none.
	Limit int
}

// ArraySpec renders indices as sbatch --array wants them: ascending
// ranges, "0-3,5,7-9", then "%limit" if limit > 0.
func ArraySpec(tasks []int, limit int) string {
	var parts []string
	for i := 0; i < len(tasks); {
		j := i
		for j+1 < len(tasks) && tasks[j+1] == tasks[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(tasks[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", tasks[i], tasks[j]))
		}
		i = j + 1
	}
	s := strings.Join(parts, ",")
	if limit > 0 {
		s += "%" + strconv.Itoa(limit)
	}
	return s
}

// SplitOptions splits sbatch options as a POSIX shell would (single and
// double quotes, backslashes) and groups them into one #SBATCH line per
// option, a value given as a separate word staying with its option:
// "-p gpu --time 2:00:00 --mem=4G" → ["-p gpu", "--time 2:00:00", "--mem=4G"].
func SplitOptions(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("sbatch options %q: unterminated '", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("sbatch options %q: unterminated \"", s)
			}
			inWord = true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	var lines []string
	for _, w := range words {
		if strings.HasPrefix(w, "-") || len(lines) == 0 {
			if !strings.HasPrefix(w, "-") {
				return nil, fmt.Errorf("sbatch options %q: %q is not an option (options start with -)", s, w)
			}
			for _, bad := range []string{"--array", "-a", "--output", "-o", "--error", "-e", "--parsable", "--dependency", "-d", "--wrap"} {
				if w == bad || strings.HasPrefix(w, bad+"=") || len(bad) == 2 && strings.HasPrefix(w, bad) && !strings.HasPrefix(w, "--") {
					return nil, fmt.Errorf("sbatch options: %s is set by phoneme (the tasks, their logs and the collect job's dependency)", bad)
				}
			}
			lines = append(lines, quoteArgs([]string{w}))
			continue
		}
		lines[len(lines)-1] += " " + quoteArgs([]string{w})
	}
	return lines, nil
}

// ArrayScript returns array.sbatch: an array job over the tasks, each
// logging to Out/slurm/logs/task-<index>-<array job id>.out.
func (a SlurmArray) ArrayScript() (string, error) {
	if len(a.Tasks) == 0 {
		return "", errors.New("slurm: no tasks to run")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# Written by phoneme compare --slurm: one array task per unfinished run of\n")
	fmt.Fprintf(&b, "# the comparison in %s (the array index is the task index of\n", a.Out)
	fmt.Fprintf(&b, "# phoneme compare --list-tasks). A task that finds its run finished exits\n")
	fmt.Fprintf(&b, "# at once, so the array may be submitted again.\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=phoneme-compare\n")
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", ArraySpec(a.Tasks, a.Limit))
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", quoteArgs([]string{a.Out + "/slurm/logs/task-%a-%A.out"}))
	if err := a.userLines(&b); err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "set -eu\ncd %s\n", quoteArgs([]string{a.Dir}))
	fmt.Fprintf(&b, "exec %s\n", a.Command("--task", "auto"))
	return b.String(), nil
}

// CollectScript returns collect.sbatch: phoneme compare --collect, after
// the array job afterArray has ended however it ended ("" leaves the
// dependency to the sbatch command line).
func (a SlurmArray) CollectScript(afterArray string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# Written by phoneme compare --slurm: writes the results, tuning and plot\n")
	fmt.Fprintf(&b, "# files of %s once the array job has ended; fails, naming\n", a.Out)
	fmt.Fprintf(&b, "# them, if some tasks did not finish.\n")
	if afterArray == "" {
		fmt.Fprintf(&b, "# Submit with: sbatch --dependency=afterany:ARRAY_JOB_ID collect.sbatch\n")
	}
	fmt.Fprintf(&b, "#SBATCH --job-name=phoneme-collect\n")
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", quoteArgs([]string{a.Out + "/slurm/logs/collect-%j.out"}))
	if afterArray != "" {
		fmt.Fprintf(&b, "#SBATCH --dependency=afterany:%s\n", afterArray)
	}
	if err := a.userLines(&b); err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "set -eu\ncd %s\n", quoteArgs([]string{a.Dir}))
	fmt.Fprintf(&b, "exec %s\n", a.Command("--collect"))
	return b.String(), nil
}

func (a SlurmArray) userLines(b *strings.Builder) error {
	lines, err := SplitOptions(a.Options)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintf(b, "#SBATCH %s\n", l)
	}
	return nil
}

// ErrNoSbatch is returned (wrapped) by Sbatch when sbatch is not on the
// PATH.
var ErrNoSbatch = errors.New("sbatch not found on the PATH")

// Sbatch submits script (a path) with sbatch --parsable and returns the
// job id.
func Sbatch(ctx context.Context, script string) (string, error) {
	exe, err := exec.LookPath("sbatch")
	if err != nil {
		return "", fmt.Errorf("%w (is this a Slurm login node? --slurm-dry-run writes the scripts only)", ErrNoSbatch)
	}
	cmd := exec.CommandContext(ctx, exe, "--parsable", script)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %w: %s", script, err, strings.TrimSpace(stderr.String()))
	}
	// --parsable prints "jobid" or "jobid;cluster".
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", fmt.Errorf("sbatch %s: unexpected output %q", script, out)
	}
	return id, nil
}
