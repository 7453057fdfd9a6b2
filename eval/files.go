package eval

import (
	"io"
	"path/filepath"

	"github.com/phoneme/phoneme/internal/atomicfile"
)

// WriteFile writes path through write into a temporary file in the same
// directory and renames it into place once complete, so a reader never
// sees a half-written file.
func WriteFile(path string, write func(w io.Writer) error) error {
	return atomicfile.WriteFile(path, write)
}

// WriteFiles writes results.md and results.csv into dir.
func (t *Table) WriteFiles(dir string) error {
	if err := WriteFile(filepath.Join(dir, "results.md"), t.WriteMarkdown); err != nil {
		return err
	}
	return WriteFile(filepath.Join(dir, "results.csv"), t.WriteCSV)
}
