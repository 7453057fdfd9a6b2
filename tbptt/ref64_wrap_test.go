package tbptt

import (
	"github.com/phoneme/phoneme/internal/ref64"
	"github.com/phoneme/phoneme/lstm"
)

// newRef64 returns the float64 reference (internal/ref64) of a network of
// shape c, with c's parameter layout.
func newRef64(c lstm.Config) *ref64.Net {
	off := map[string]int{}
	for _, t := range c.Layout() {
		off[t.Name] = t.Offset
	}
	return ref64.New(ref64.Config{Inputs: c.Inputs, Hidden: c.Hidden, Layers: c.Layers, Outputs: c.Outputs, Peepholes: c.Peepholes}, off)
}
