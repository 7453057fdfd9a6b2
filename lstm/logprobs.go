package lstm

import (
	"fmt"

	"github.com/phoneme/phoneme/features"
)

// LogProbs returns the frames × Outputs log-posteriors of one sentence run
// from zero state. Scorers apply the target delay: output t is scored
// against label t − D. It does not modify m, so several goroutines may
// score with one model at once.
func (m *Model) LogProbs(x *features.Matrix) *features.Matrix {
	if x.Cols != m.cfg.Inputs {
		panic(fmt.Sprintf("lstm: LogProbs input has %d columns, the network %d inputs", x.Cols, m.cfg.Inputs))
	}
	out := features.NewMatrix(x.Rows, m.cfg.Outputs)
	if x.Rows == 0 {
		return out
	}
	tr := m.NewTrace()
	tr.Start(x.Data[:x.Rows*x.Cols], nil, -1)
	m.Forward(tr, x.Rows)
	m.Outputs(tr, 0, x.Rows)
	copy(out.Data, tr.logp[:x.Rows*m.cfg.Outputs])
	return out
}
