package compare

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A K8sJob is a Kubernetes indexed Job that runs a comparison's tasks:
// completion index i runs task i (JOB_COMPLETION_INDEX, read by --task
// auto). The shared volume claim is mounted at Mount, under which the
// data and the output folder must lie.
type K8sJob struct {
	Launch
	Image string // container image holding phoneme (Launch.Exe on its PATH)
	PVC   string // name of the PersistentVolumeClaim with data and output
	Mount string // where the claim is mounted in the container
	Tasks int    // completions: the comparison's task count
	// Parallelism caps the pods running at once (0: all tasks).
	Parallelism int
}

// k8s manifest types: only the fields phoneme writes, in the API's names.
type (
	k8sJob struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   k8sMeta    `yaml:"metadata"`
		Spec       k8sJobSpec `yaml:"spec"`
	}
	k8sMeta struct {
		Name   string            `yaml:"name,omitempty"`
		Labels map[string]string `yaml:"labels,omitempty"`
	}
	k8sJobSpec struct {
		CompletionMode       string      `yaml:"completionMode"`
		Completions          int         `yaml:"completions"`
		Parallelism          int         `yaml:"parallelism"`
		BackoffLimitPerIndex int         `yaml:"backoffLimitPerIndex"`
		Template             k8sTemplate `yaml:"template"`
	}
	k8sTemplate struct {
		Metadata k8sMeta `yaml:"metadata"`
		Spec     k8sPod  `yaml:"spec"`
	}
	k8sPod struct {
		RestartPolicy string         `yaml:"restartPolicy"`
		Containers    []k8sContainer `yaml:"containers"`
		Volumes       []k8sVolume    `yaml:"volumes"`
	}
	k8sContainer struct {
		Name         string     `yaml:"name"`
		Image        string     `yaml:"image"`
		WorkingDir   string     `yaml:"workingDir"`
		Command      []string   `yaml:"command"`
		VolumeMounts []k8sMount `yaml:"volumeMounts"`
	}
	k8sMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	}
	k8sVolume struct {
		Name string `yaml:"name"`
		PVC  struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	}
)

// Manifest returns the Job as YAML. The Job's name is derived from the
// output folder, so that jobs of different comparisons do not collide.
func (j K8sJob) Manifest() ([]byte, error) {
	switch {
	case j.Image == "":
		return nil, errors.New("k8s: no image")
	case j.PVC == "":
		return nil, errors.New("k8s: no persistent volume claim (--k8s-pvc)")
	case !filepath.IsAbs(j.Mount):
		return nil, fmt.Errorf("k8s: mount path %q is not absolute", j.Mount)
	case j.Tasks < 1:
		return nil, errors.New("k8s: no tasks")
	}
	for _, p := range []struct{ what, path string }{{"working folder", j.Dir}, {"output folder", j.Out}} {
		if !within(p.path, j.Mount) {
			return nil, fmt.Errorf("k8s: the %s %s is not under the volume's mount path %s (where the pods see the shared volume)", p.what, p.path, j.Mount)
		}
	}
	par := j.Parallelism
	if par <= 0 || par > j.Tasks {
		par = j.Tasks
	}
	sum := sha256.Sum256([]byte(j.Out))
	name := "phoneme-compare-" + hex.EncodeToString(sum[:4])
	labels := map[string]string{"app.kubernetes.io/name": "phoneme", "app.kubernetes.io/component": "compare"}
	job := k8sJob{APIVersion: "batch/v1", Kind: "Job", Metadata: k8sMeta{Name: name, Labels: labels},
		Spec: k8sJobSpec{CompletionMode: "Indexed", Completions: j.Tasks, Parallelism: par,
			// A failed pod is retried (a node died; the task resumes the run)
			// twice per index, not at the cost of the other indices.
			BackoffLimitPerIndex: 2,
			Template: k8sTemplate{Metadata: k8sMeta{Labels: labels}, Spec: k8sPod{
				RestartPolicy: "Never",
				Containers: []k8sContainer{{Name: "task", Image: j.Image, WorkingDir: j.Dir,
					Command:      append(append([]string{j.Exe, "compare"}, j.Args...), "--task", "auto"),
					VolumeMounts: []k8sMount{{Name: "shared", MountPath: j.Mount}}}},
			}}}}
	vol := k8sVolume{Name: "shared"}
	vol.PVC.ClaimName = j.PVC
	job.Spec.Template.Spec.Volumes = []k8sVolume{vol}
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2) // as kubectl writes manifests
	if err := enc.Encode(job); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	head := fmt.Sprintf("# Written by phoneme compare --emit-k8s: an indexed Job, one pod per task of\n"+
		"# the comparison in %s; pod i runs task i.\n# kubectl apply -f this file, then, when it has completed:\n#   %s\n",
		j.Out, j.Command("--collect"))
	return append([]byte(head), body.Bytes()...), nil
}

// within reports whether path is dir or lies under it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}
