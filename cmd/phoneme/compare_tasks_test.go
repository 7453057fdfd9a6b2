package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/phoneme/phoneme/tbptt/compare"
)

// csvWithoutWall reads a results.csv without the columns that measure
// time.
func csvWithoutWall(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, r := range recs {
		var row []string
		for i, h := range recs[0] {
			if !strings.HasPrefix(h, "wall_seconds") && !strings.HasPrefix(h, "frames_per_second") {
				row = append(row, r[i])
			}
		}
		out = append(out, row)
	}
	return out
}

// TestCompareTasksCommand: --list-tasks numbers the runs the same way
// whatever the order of the flags; --task trains one (again: already
// finished); --collect writes the table of a local compare; another
// command refuses the folder; --task auto without an array job is a
// usage error.
func TestCompareTasksCommand(t *testing.T) {
	for _, v := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SGE_TASK_ID", "LSB_JOBINDEX"} {
		t.Setenv(v, "")
	}
	dir := extracted(t)
	root := t.TempDir()
	out, local := filepath.Join(root, "dist"), filepath.Join(root, "local")
	common := []string{"--epochs", "1", "--hidden", "4"}
	args := func(out string, extra ...string) []string {
		a := append([]string{"compare", "--data", dir, "--out", out, "--schedules", "sentence,tbptt:k1=5",
			"--seeds", "1,2", "--tune", "lr=0.01,0.02", "--tune", "momentum=0,0.5", "--optimizer", "sgd"}, common...)
		return append(a, extra...)
	}
	list, stderr, code := run(args(out, "--list-tasks")...)
	if code != 0 {
		t.Fatalf("--list-tasks: exit %d: %s", code, stderr)
	}
	// The same comparison with its flags (and --tune keys) in another order.
	reordered := []string{"compare", "--optimizer", "sgd", "--hidden", "4", "--list-tasks", "--tune", "momentum=0,0.5",
		"--seeds", "1,2", "--out", out, "--epochs", "1", "--tune", "lr=0.01,0.02", "--schedules", "sentence,tbptt:k1=5", "--data", dir}
	list2, stderr, code := run(reordered...)
	if code != 0 || list2 != list {
		t.Errorf("flag order renumbers the tasks (exit %d, %s):\n%s\n%s", code, stderr, list, list2)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 18 || lines[0] != "task  status   run" || !strings.HasPrefix(lines[1], "0     pending  sentence-seed1-") ||
		!strings.HasSuffix(lines[1], " at lr=0.01:momentum=0") || !strings.HasSuffix(lines[2], " at lr=0.01:momentum=0") ||
		!strings.HasSuffix(lines[3], " at lr=0.01:momentum=0.5") || !strings.HasPrefix(lines[9], "8     pending  tbptt_k1-5-seed1-") ||
		lines[17] != "16 tasks: 0 done, 0 running, 16 pending, 0 failed" {
		t.Fatalf("--list-tasks:\n%s", list)
	}

	if _, stderr, code := run(args(out, "--task", "auto")...); code != 2 || !strings.Contains(stderr, "--task auto: no array-job task index in the environment: none of SLURM_ARRAY_TASK_ID,") {
		t.Errorf("--task auto outside an array job: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run(args(out, "--task", "16")...); code != 1 || !strings.Contains(stderr, "task 16: the comparison has tasks 0 to 15") {
		t.Errorf("--task 16: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run(args(out, "--task", "1", "--collect")...); code != 2 || !strings.Contains(stderr, "give one of --task, --collect") {
		t.Errorf("two modes: exit %d: %s", code, stderr)
	}
	for i := range 16 {
		idx := []string{"--task", strings.TrimSpace(strings.Fields(lines[i+1])[0])}
		if i == 3 {
			t.Setenv("SLURM_ARRAY_TASK_ID", "3")
			idx = []string{"--task", "auto"}
		}
		stdout, stderr, code := run(args(out, idx...)...)
		t.Setenv("SLURM_ARRAY_TASK_ID", "")
		if code != 0 || !strings.Contains(stdout, ": finished in ") {
			t.Fatalf("task %d: exit %d\n%s\n%s", i, code, stdout, stderr)
		}
		if i == 3 && !strings.HasPrefix(stdout, "task 3 (from SLURM_ARRAY_TASK_ID) on ") {
			t.Errorf("task auto:\n%s", stdout)
		}
	}
	stdout, stderr, code := run(args(out, "--task", "5")...)
	if code != 0 || !strings.Contains(stdout, "task 5: already finished: sentence seed 2 at lr=0.02:momentum=0: ") {
		t.Errorf("a finished task again: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if list, _, _ := run(args(out, "--list-tasks")...); !strings.HasSuffix(list, "16 tasks: 16 done, 0 running, 0 pending, 0 failed\n") {
		t.Errorf("after the tasks:\n%s", list)
	}
	stdout, stderr, code = run(args(out, "--collect")...)
	if code != 0 || !strings.Contains(stdout, "wrote "+filepath.Join(out, "results.csv")) {
		t.Fatalf("--collect: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, stderr, code := run(args(local)...); code != 0 {
		t.Fatalf("local compare: exit %d: %s", code, stderr)
	}
	a, b := csvWithoutWall(t, filepath.Join(local, "results.csv")), csvWithoutWall(t, filepath.Join(out, "results.csv"))
	if !slices.EqualFunc(a, b, slices.Equal) || len(a) != 3 {
		t.Errorf("collected results.csv differs from the local one:\n%v\n%v", a, b)
	}

	// Another budget: refused, naming it.
	common = []string{"--epochs", "2", "--hidden", "4"}
	if _, stderr, code := run(args(out, "--task", "0")...); code != 1 || !strings.Contains(stderr, "another comparison is planned in this output folder: epochs 1 in the plan, 2 here") {
		t.Errorf("changed command: exit %d: %s", code, stderr)
	}
}

// TestCompareLaunchers: --slurm-dry-run writes the two scripts, --slurm
// without sbatch fails clearly, --emit-k8s writes an indexed Job.
func TestCompareLaunchers(t *testing.T) {
	dir := extracted(t)
	root := t.TempDir()
	out := filepath.Join(root, "cmp")
	args := func(extra ...string) []string {
		return append([]string{"compare", "--data", dir, "--out", out, "--schedules", "sentence,tbptt:k1=5", "--seeds", "1,2",
			"--epochs", "1", "--hidden", "4", "--jobs", "3", "--bootstrap", "speakers", "--peepholes=false"}, extra...)
	}
	stdout, stderr, code := run(args("--slurm", "-p debug --time 0:10:00 --comment 'a b'", "--slurm-dry-run")...)
	if code != 0 {
		t.Fatalf("--slurm-dry-run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	arr, err := os.ReadFile(filepath.Join(out, "slurm", "array.sbatch"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#SBATCH --array=0-3%3\n", "#SBATCH --output=" + out + "/slurm/logs/task-%a-%A.out\n",
		"#SBATCH -p debug\n#SBATCH --time 0:10:00\n#SBATCH --comment 'a b'\n", " compare --data " + dir + " ", " --out " + out + " ",
		" --bootstrap speakers ", " --peepholes=false ", " --task auto\n"} {
		if !strings.Contains(string(arr), want) {
			t.Errorf("array.sbatch lacks %q:\n%s", want, arr)
		}
	}
	if _, exec, _ := strings.Cut(string(arr), "\nexec "); strings.Contains(exec, "--slurm") {
		t.Errorf("array.sbatch passes --slurm on:\n%s", arr)
	}
	coll, err := os.ReadFile(filepath.Join(out, "slurm", "collect.sbatch"))
	if err != nil || !strings.Contains(string(coll), " --collect\n") || strings.Contains(string(coll), "#SBATCH --dependency") {
		t.Errorf("collect.sbatch (%v):\n%s", err, coll)
	}
	if _, err := os.Stat(filepath.Join(out, compare.PlanFile)); err != nil {
		t.Errorf("no plan written: %v", err)
	}
	if _, stderr, code := run(args("--slurm", "--array=1")...); code != 2 || !strings.Contains(stderr, "--slurm: sbatch options: --array is set by phoneme") {
		t.Errorf("--slurm --array: exit %d: %s", code, stderr)
	}

	t.Setenv("PATH", t.TempDir())
	if _, stderr, code := run(args("--slurm", "")...); code != 1 || !strings.Contains(stderr, "sbatch not found on the PATH") {
		t.Errorf("--slurm without sbatch: exit %d: %s", code, stderr)
	}

	// Kubernetes: the volume is mounted at root, which holds data and output.
	if _, stderr, code := run(args("--emit-k8s", "registry.example/phoneme:1", "--k8s-pvc", "sweep", "--k8s-mount", "/nowhere")...); code != 2 || !strings.Contains(stderr, "is not under the volume's mount path /nowhere") {
		t.Errorf("--k8s-mount elsewhere: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run(args("--emit-k8s", "img")...); code != 2 || !strings.Contains(stderr, "needs --k8s-pvc") {
		t.Errorf("--emit-k8s without a claim: exit %d: %s", code, stderr)
	}
	mount := filepath.Dir(root)
	stdout, stderr, code = run(args("--emit-k8s", "registry.example/phoneme:1", "--k8s-pvc", "sweep", "--k8s-mount", mount)...)
	if code != 0 {
		t.Fatalf("--emit-k8s: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "k8s", "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string
		Spec       struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Parallelism    int
			Template       struct {
				Spec struct {
					RestartPolicy string `yaml:"restartPolicy"`
					Containers    []struct {
						Image        string
						WorkingDir   string `yaml:"workingDir"`
						Command      []string
						VolumeMounts []struct {
							Name      string
							MountPath string `yaml:"mountPath"`
						} `yaml:"volumeMounts"`
					}
					Volumes []struct {
						Name string
						PVC  struct {
							ClaimName string `yaml:"claimName"`
						} `yaml:"persistentVolumeClaim"`
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatalf("job.yaml: %v\n%s", err, b)
	}
	s := job.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || s.CompletionMode != "Indexed" || s.Completions != 4 || s.Parallelism != 3 ||
		s.Template.Spec.RestartPolicy != "Never" || len(s.Template.Spec.Containers) != 1 || len(s.Template.Spec.Volumes) != 1 {
		t.Fatalf("job.yaml structure:\n%s", b)
	}
	c, v := s.Template.Spec.Containers[0], s.Template.Spec.Volumes[0]
	if c.Image != "registry.example/phoneme:1" || v.PVC.ClaimName != "sweep" || len(c.VolumeMounts) != 1 ||
		c.VolumeMounts[0].Name != v.Name || c.VolumeMounts[0].MountPath != mount || c.WorkingDir != out {
		t.Errorf("job.yaml container or volume:\n%s", b)
	}
	cmdline := strings.Join(c.Command, " ")
	if !strings.HasPrefix(cmdline, "phoneme compare --data "+dir+" ") || !strings.Contains(cmdline, " --out "+out+" ") || !strings.HasSuffix(cmdline, " --task auto") ||
		strings.Contains(cmdline, "k8s") || !slices.Contains(c.Command, "--jobs") {
		t.Errorf("job.yaml command: %q", c.Command)
	}
}
