package main

// compare's task modes: a comparison as independent, indexed tasks for job
// arrays on machines that share the data and output folders (--list-tasks,
// --task, --collect), and the launchers that write and submit the jobs
// (--slurm, --emit-k8s).

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/phoneme/phoneme/internal/atomicfile"
	"github.com/phoneme/phoneme/tbptt/compare"
	"github.com/phoneme/phoneme/tbptt/train"
)

const compareTasksHelp = `

Cluster: every run is a task with a fixed index (schedules as listed, grid
points, seeds as listed). --list-tasks prints them with their status;
--task I trains run I only and exits 0 once it is finished (at once if it
already is; a run another process trains is waited for), so it may be
repeated; --task auto reads the index of an array job (SLURM_ARRAY_TASK_ID,
JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX; SGE_TASK_ID and LSB_JOBINDEX
count from 1). --collect then writes the results from the finished runs.
--data and --out must be on storage every machine sees; a task claims its
run with OUT/runs/*/claim.json (heartbeat every minute at most) and a claim
whose heartbeat is older than --stale-after is taken over, the run resuming
from its last saved epoch. --slurm 'SBATCH OPTIONS' writes and submits
OUT/slurm/array.sbatch (the unfinished tasks, at most --jobs at once) and
OUT/slurm/collect.sbatch; --emit-k8s IMAGE writes a Kubernetes indexed Job.`

// compareModeFlags are the flags that choose what compare does; the tasks
// a launcher starts get every other flag as given.
var compareModeFlags = []string{"list-tasks", "task", "collect", "slurm", "slurm-dry-run", "emit-k8s", "k8s-pvc", "k8s-mount"}

func compareTaskFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "list-tasks", Usage: "print the comparison's tasks (index, status, run) and exit"},
		&cli.StringFlag{Name: "task", Usage: "train only task `I` (see --list-tasks), or auto: the array job's index"},
		&cli.BoolFlag{Name: "collect", Usage: "write results, tuning and plots from the finished tasks; fail naming unfinished ones"},
		&cli.DurationFlag{Name: "stale-after", Value: compare.DefaultStaleAfter, Usage: "take over a run whose claim's heartbeat is older than this (its machine died)"},
		&cli.StringFlag{Name: "slurm", Usage: "submit the unfinished tasks as a Slurm array and a collect job; the value: extra sbatch `OPTIONS`, e.g. '-p cpu --time=4:00:00'"},
		&cli.BoolFlag{Name: "slurm-dry-run", Usage: "write OUT/slurm/array.sbatch and collect.sbatch, do not submit"},
		&cli.StringFlag{Name: "emit-k8s", Usage: "write OUT/k8s/job.yaml: a Kubernetes indexed Job running the tasks in container `IMAGE`"},
		&cli.StringFlag{Name: "k8s-pvc", Usage: "with --emit-k8s: the PersistentVolumeClaim that holds --data and --out"},
		&cli.StringFlag{Name: "k8s-mount", Value: "/shared", Usage: "with --emit-k8s: where pods mount the claim (--data and --out lie under it)"},
	}
}

// runCompareMode runs cfg in the mode the flags choose: locally (no mode
// flag) or as tasks.
func runCompareMode(ctx context.Context, cmd *cli.Command, cfg compare.Config) error {
	var modes []string
	for _, m := range []string{"list-tasks", "task", "collect", "slurm", "emit-k8s"} {
		if cmd.IsSet(m) {
			modes = append(modes, "--"+m)
		}
	}
	if cmd.IsSet("slurm-dry-run") && !cmd.IsSet("slurm") {
		modes = append(modes, "--slurm-dry-run")
	}
	if len(modes) > 1 {
		return usagef("give one of %s", strings.Join(modes, ", "))
	}
	if !cmd.IsSet("emit-k8s") && (cmd.IsSet("k8s-pvc") || cmd.IsSet("k8s-mount")) {
		return usagef("--k8s-pvc and --k8s-mount go with --emit-k8s")
	}
	cfg.StaleAfter = cmd.Duration("stale-after")
	if cfg.StaleAfter <= 0 {
		return usagef("--stale-after %v: must be positive", cfg.StaleAfter)
	}
	switch {
	case len(modes) == 0:
		return runComparison(ctx, cmd, cfg)
	case cmd.Bool("list-tasks"):
		return listTasks(cmd, cfg)
	case cmd.IsSet("task"):
		return runTask(ctx, cmd, cfg)
	case cmd.Bool("collect"):
		res, err := compare.Collect(ctx, cfg)
		if werr := printResult(cmd.Root().Writer, res); werr != nil {
			return werr
		}
		return err
	case cmd.IsSet("emit-k8s"):
		return emitK8s(cmd, cfg)
	default:
		return submitSlurm(ctx, cmd, cfg)
	}
}

func listTasks(cmd *cli.Command, cfg compare.Config) error {
	tasks, err := cfg.Tasks()
	if err != nil {
		return err
	}
	w := cmd.Root().Writer
	count := map[compare.TaskStatus]int{}
	fmt.Fprintf(w, "%-5s %-8s %s\n", "task", "status", "run")
	for _, t := range tasks {
		count[t.Status]++
		line := t.Name() + pointText(t.Run.Point)
		switch {
		case t.Status == compare.TaskRunning:
			line += " (" + t.Claim.String() + ")"
		case t.Status == compare.TaskFailed:
			line += " (" + t.Failure + ")"
		case t.Claim != nil:
			line += " (stale claim: " + t.Claim.String() + ")"
		}
		fmt.Fprintf(w, "%-5d %-8s %s\n", t.Index, t.Status, line)
	}
	fmt.Fprintf(w, "%d tasks: %d done, %d running, %d pending, %d failed\n", len(tasks),
		count[compare.TaskDone], count[compare.TaskRunning], count[compare.TaskPending], count[compare.TaskFailed])
	return nil
}

func runTask(ctx context.Context, cmd *cli.Command, cfg compare.Config) error {
	w, errw := cmd.Root().Writer, errWriter(cmd)
	arg := cmd.String("task")
	var index int
	from := ""
	if arg == "auto" {
		i, src, err := compare.TaskFromEnv(os.Getenv)
		if err != nil {
			return usagef("--task auto: %v", err)
		}
		index, from = i, " (from "+src+")"
	} else {
		i, err := strconv.Atoi(arg)
		if err != nil || i < 0 {
			return usagef("--task %q: want a task index (0, 1, …; see --list-tasks) or auto", arg)
		}
		index = i
	}
	host, _ := os.Hostname()
	fmt.Fprintf(w, "task %d%s on %s, pid %d: output in %s\n", index, from, host, os.Getpid(), cfg.Out)
	hooks := compare.TaskHooks{
		Hooks: compare.Hooks{
			RunStart: func(r compare.PlannedRun) {
				fmt.Fprintf(w, "task %d: training %s seed %d%s (%s, %s)\n", index, r.Spec, r.Seed, pointText(r.Point), filepath.Base(r.Dir), r.State)
			},
			EpochEnd: func(_ compare.PlannedRun, e train.EpochLog) {
				fmt.Fprintf(w, "task %d: epoch %d: loss %.4f, dev FER %s, %.1f s\n", index, e.Epoch, e.Loss, pct(e.DevFER61), e.Seconds)
			},
		},
		Waiting: func(c compare.Claim) {
			fmt.Fprintf(w, "task %d: the run is being trained by %s; waiting for it (a claim is taken over once its heartbeat is %v old)\n", index, c, cfg.StaleAfter)
		},
		TookOver: func(c compare.Claim) {
			fmt.Fprintf(w, "task %d: taking the run over from %s (stale claim); it resumes from its last saved state\n", index, c)
		},
		// Another process owns the run now: stop at once, without saving a
		// state over its files.
		Lost: func() {
			fmt.Fprintf(errw, "phoneme: task %d: %v; stopping without saving\n", index, compare.ErrClaimLost)
			os.Exit(1)
		},
	}
	start := time.Now()
	res, err := compare.RunTask(ctx, cfg, index, hooks)
	if err != nil {
		return err
	}
	r := res.Run
	state := fmt.Sprintf("finished in %s", time.Since(start).Round(time.Second))
	if res.AlreadyDone {
		state = "already finished"
	}
	fmt.Fprintf(w, "task %d: %s: %s seed %d%s: %d updates, best epoch %d, dev FER %s, test FER61 %s FER39 %s (%s)\n",
		index, state, res.Spec, res.Seed, pointText(res.Point), r.Updates, r.BestEpoch, pct(r.DevFER), pct(r.TestFER61), pct(r.TestFER39), filepath.Base(res.Dir))
	return nil
}

// pointText is " at lr=0.01:momentum=0.9": the keys in name order, as the
// tasks are numbered, whatever the order of the --tune flags.
func pointText(p compare.GridPoint) string {
	if len(p) == 0 {
		return ""
	}
	p = slices.Clone(p)
	slices.SortFunc(p, func(a, b compare.Setting) int { return strings.Compare(a.Key, b.Key) })
	return " at " + p.String()
}

// taskArgs returns compare's arguments for the tasks a launcher starts:
// every flag that is set, but the mode flags, with --data and --out made
// absolute.
func taskArgs(cmd *cli.Command) ([]string, error) {
	var args []string
	for _, f := range cmd.Flags {
		name := f.Names()[0]
		if !cmd.IsSet(name) || name == "help" || slices.Contains(compareModeFlags, name) {
			continue
		}
		switch f.(type) {
		case *cli.StringSliceFlag:
			for _, v := range cmd.StringSlice(name) {
				args = append(args, "--"+name, v)
			}
			continue
		case *cli.BoolFlag:
			args = append(args, fmt.Sprintf("--%s=%t", name, cmd.Bool(name)))
			continue
		case *cli.StringFlag:
			v := cmd.String(name)
			if name == "data" || name == "out" {
				abs, err := filepath.Abs(v)
				if err != nil {
					return nil, err
				}
				v = abs
			}
			args = append(args, "--"+name, v)
			continue
		}
		args = append(args, "--"+name, fmt.Sprint(cmd.Value(name)))
	}
	return args, nil
}

// launch prepares the plan and describes how tasks are started.
func launch(cmd *cli.Command, cfg compare.Config, exe, dir string) ([]compare.Task, compare.Launch, error) {
	args, err := taskArgs(cmd)
	if err != nil {
		return nil, compare.Launch{}, err
	}
	out, err := filepath.Abs(cfg.Out)
	if err != nil {
		return nil, compare.Launch{}, err
	}
	tasks, err := compare.Prepare(cfg)
	if err != nil {
		return nil, compare.Launch{}, err
	}
	return tasks, compare.Launch{Exe: exe, Args: args, Dir: dir, Out: out}, nil
}

func writeText(path, text string) error {
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	})
}

func submitSlurm(ctx context.Context, cmd *cli.Command, cfg compare.Config) error {
	w := cmd.Root().Writer
	dry := cmd.Bool("slurm-dry-run")
	if _, err := compare.SplitOptions(cmd.String("slurm")); err != nil {
		return usagef("--slurm: %v", err)
	}
	if !dry {
		if _, err := exec.LookPath("sbatch"); err != nil {
			return fmt.Errorf("--slurm: %w (on a Slurm login node it is; --slurm-dry-run writes the scripts only)", compare.ErrNoSbatch)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("--slurm: the path of this program: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return fmt.Errorf("--slurm: the path of this program: %w", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	tasks, l, err := launch(cmd, cfg, exe, wd)
	if err != nil {
		return err
	}
	var pending []int
	running := 0
	for _, t := range tasks {
		switch t.Status {
		case compare.TaskPending, compare.TaskFailed:
			pending = append(pending, t.Index)
		case compare.TaskRunning:
			running++
		}
	}
	if dry && len(pending) == 0 {
		for _, t := range tasks {
			pending = append(pending, t.Index) // the scripts as they would be for the whole array
		}
	}
	slurmDir := filepath.Join(l.Out, "slurm")
	if err := os.MkdirAll(filepath.Join(slurmDir, "logs"), 0o755); err != nil {
		return err
	}
	a := compare.SlurmArray{Launch: l, Options: cmd.String("slurm"), Tasks: pending, Limit: cfg.Jobs}
	if len(pending) == 0 {
		if running > 0 {
			fmt.Fprintf(w, "slurm: nothing to submit: %d of %d tasks done, %d running (see --list-tasks)\n", len(tasks)-running, len(tasks), running)
		} else {
			fmt.Fprintf(w, "slurm: all %d tasks are done; collect them with\n  %s\n", len(tasks), shellLine(l, "--collect"))
		}
		return nil
	}
	arrayPath, collectPath := filepath.Join(slurmDir, "array.sbatch"), filepath.Join(slurmDir, "collect.sbatch")
	script, err := a.ArrayScript()
	if err != nil {
		return usagef("--slurm: %v", err)
	}
	if err := writeText(arrayPath, script); err != nil {
		return err
	}
	if dry {
		cs, err := a.CollectScript("")
		if err != nil {
			return usagef("--slurm: %v", err)
		}
		if err := writeText(collectPath, cs); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s (%d tasks: %s)\nwrote %s\nsubmit with:\n  id=$(sbatch --parsable %s)\n  sbatch --dependency=afterany:$id %s\n",
			arrayPath, len(pending), compare.ArraySpec(pending, cfg.Jobs), collectPath, arrayPath, collectPath)
		return nil
	}
	arrayID, err := compare.Sbatch(ctx, arrayPath)
	if err != nil {
		return err
	}
	cs, err := a.CollectScript(arrayID)
	if err != nil {
		return usagef("--slurm: %v", err)
	}
	if err := writeText(collectPath, cs); err != nil {
		return err
	}
	collectID, err := compare.Sbatch(ctx, collectPath)
	if err != nil {
		return fmt.Errorf("array job %s submitted, but the collect job not: %w", arrayID, err)
	}
	limit := ""
	if cfg.Jobs > 0 {
		limit = fmt.Sprintf(", at most %d at once", cfg.Jobs)
	}
	fmt.Fprintf(w, "submitted array job %s: %d of %d tasks (%s%s)\n", arrayID, len(pending), len(tasks), compare.ArraySpec(pending, 0), limit)
	fmt.Fprintf(w, "submitted collect job %s: writes the results when the array has ended\n", collectID)
	fmt.Fprintf(w, "watch:  squeue -j %s,%s\n", arrayID, collectID)
	fmt.Fprintf(w, "        sacct -j %s,%s --format=JobID,JobName%%20,State,ExitCode,Elapsed,NodeList\n", arrayID, collectID)
	fmt.Fprintf(w, "logs:   %s\n", filepath.Join(slurmDir, "logs"))
	fmt.Fprintf(w, "status: %s\n", shellLine(l, "--list-tasks"))
	return nil
}

// shellLine is the command a user types for another mode of the same
// comparison.
func shellLine(l compare.Launch, mode string) string {
	return compare.Launch{Exe: "phoneme", Args: l.Args}.Command(mode)
}

func emitK8s(cmd *cli.Command, cfg compare.Config) error {
	if cmd.String("k8s-pvc") == "" {
		return usagef("--emit-k8s needs --k8s-pvc: the PersistentVolumeClaim that holds --data and --out")
	}
	out, err := filepath.Abs(cfg.Out)
	if err != nil {
		return err
	}
	tasks, l, err := launch(cmd, cfg, "phoneme", out)
	if err != nil {
		return err
	}
	job := compare.K8sJob{Launch: l, Image: cmd.String("emit-k8s"), PVC: cmd.String("k8s-pvc"),
		Mount: cmd.String("k8s-mount"), Tasks: len(tasks), Parallelism: cfg.Jobs}
	manifest, err := job.Manifest()
	if err != nil {
		return usagef("--emit-k8s: %v", err)
	}
	dir := filepath.Join(l.Out, "k8s")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "job.yaml")
	if err := writeText(path, string(manifest)); err != nil {
		return err
	}
	w := cmd.Root().Writer
	fmt.Fprintf(w, "wrote %s: an indexed Job of %d tasks\nstart:   kubectl apply -f %s\nthen:    %s\n", path, len(tasks), path, shellLine(l, "--collect"))
	return nil
}
