package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareCommand runs a tiny comparison on the extracted tone corpus
// and checks the printed table and the files it names.
func TestCompareCommand(t *testing.T) {
	dir := extracted(t)
	out := filepath.Join(t.TempDir(), "cmp")
	args := []string{"compare", "--data", dir, "--out", out, "--schedules", "sentence,tbptt:k1=5:per-error",
		"--seeds", "1,2", "--epochs", "1", "--hidden", "4", "--lr", "0.01", "--jobs", "2"}
	stdout, stderr, code := run(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "4 runs (0 done, 0 to resume, 4 new)") {
		t.Errorf("no plan line:\n%s", stdout)
	}
	// The table: a heading and one row per schedule, in list order.
	rows := tableRows(stdout)
	if len(rows) != 3 || rows[0][0] != "schedule" || rows[1][0] != "sentence" || rows[2][0] != "tbptt:k1=5:per-error" {
		t.Errorf("no results table:\n%s", stdout)
	}
	for _, f := range []string{"results.md", "results.csv", "dev_fer_epoch.png", "dev_fer_time.svg", "loss_updates.png", "command.txt", "environment.json"} {
		p := filepath.Join(out, f)
		if !strings.Contains(stdout, "wrote "+p+"\n") {
			t.Errorf("%s not listed", p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	runs, _ := filepath.Glob(filepath.Join(out, "runs", "*", "result.json"))
	if len(runs) != 4 {
		t.Errorf("%d finished run folders, want 4", len(runs))
	}

	// Again: nothing to train, the same table.
	again, stderr, code := run(args...)
	if code != 0 || !strings.Contains(again, "4 runs (4 done, 0 to resume, 0 new)") {
		t.Fatalf("second run: exit %d\n%s\n%s", code, again, stderr)
	}
	// Wall time and frames/s are measured; every other column must agree.
	a, b := tableRows(stdout), tableRows(again)
	if len(a) != len(b) {
		t.Fatalf("tables differ:\n%s\n%s", stdout, again)
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			t.Fatalf("tables differ:\n%s\n%s", stdout, again)
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] && !strings.Contains(a[0][j], "wall") && !strings.Contains(a[0][j], "frames/s") {
				t.Errorf("column %q differs: %s, then %s", a[0][j], a[i][j], b[i][j])
			}
		}
	}
}

// tableRows splits the printed results table into rows of cells (two or
// more spaces apart), heading first.
func tableRows(out string) [][]string {
	var rows [][]string
	in := false
	for _, l := range strings.Split(out, "\n") {
		cells := splitCells(l)
		if len(cells) > 0 && cells[0] == "schedule" {
			in = true
		}
		if !in || len(cells) < 2 {
			if in {
				break
			}
			continue
		}
		rows = append(rows, cells)
	}
	return rows
}

func splitCells(l string) []string {
	var cells []string
	for _, c := range strings.Split(strings.TrimSpace(l), "  ") {
		if c = strings.TrimSpace(c); c != "" {
			cells = append(cells, c)
		}
	}
	return cells
}

func TestCompareCommandErrors(t *testing.T) {
	dir := extracted(t)
	out := t.TempDir()
	noTest := t.TempDir()
	for _, s := range []string{"train", "dev"} {
		os.Symlink(filepath.Join(dir, s), filepath.Join(noTest, s))
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad list", []string{"--schedules", "sentence,tbptt"}, 2, "needs k1"},
		{"bad option", []string{"--schedules", "sentence:seed=2"}, 2, "--seeds"},
		{"bad seeds", []string{"--seeds", "1,x"}, 2, `"x" is not a seed`},
		{"seed twice", []string{"--seeds", "1,1"}, 2, "seed 1 given twice"},
		{"two budgets", []string{"--epochs", "2", "--time-budget", "1m"}, 2, "one budget"},
		{"bad frames budget", []string{"--frames-budget", "lots"}, 2, "--frames-budget"},
		{"no test split", []string{"--data", noTest}, 2, "no test/"},
		{"same run twice", []string{"--schedules", "frame,frame:k2=all"}, 1, "are the same run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"compare", "--data", dir, "--out", out, "--schedules", "sentence", "--hidden", "4"}, tc.args...)
			_, stderr, code := run(args...)
			if code != tc.code || strings.Count(stderr, "phoneme: ") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

func TestParseCount(t *testing.T) {
	for s, want := range map[string]int64{"5000000": 5e6, "5e6": 5e6, "5M": 5e6, "2.5k": 2500, "1G": 1e9} {
		if got, err := parseCount(s); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "-5", "1.5", "x", "1e30", "NaN", "5MM"} {
		if _, err := parseCount(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
