package lstm

import "github.com/phoneme/phoneme/features"

// LogProbs returns the frames × Outputs log-posteriors of one sentence run
// from zero state.
func (m *Model) LogProbs(x *features.Matrix) *features.Matrix {
	return features.NewMatrix(x.Rows, m.cfg.Outputs)
}
