package features

import (
	"fmt"
	"math"
)

// MinStd is the floor MeanStd puts under every nonzero standard deviation, so that a
// nearly constant dimension (one that varies only by rounding noise) does not blow up to
// huge normalised values. MFCCs and their deltas have standard deviations of order 0.1
// to 10, far above it.
const MinStd = 1e-5

// Stats accumulates global mean and variance statistics of features (count, per-dimension
// sum and sum of squares, all in float64), for cepstral mean and variance normalisation
// over a whole training split. Stats from separate workers combine with Merge.
type Stats struct {
	dim   int
	count int64
	sum   []float64
	sumSq []float64
}

// NewStats returns empty statistics for dim-dimensional features.
func NewStats(dim int) *Stats {
	return &Stats{dim: dim, sum: make([]float64, dim), sumSq: make([]float64, dim)}
}

// Add accumulates every row of m. It panics if m.Cols differs from the Stats dimension,
// which is a programming error.
func (s *Stats) Add(m *Matrix) {
	if m.Cols != s.dim {
		panic(fmt.Sprintf("features: Stats.Add of %d-column matrix to %d-dimensional stats", m.Cols, s.dim))
	}
	for i := 0; i < m.Rows; i++ {
		for j, x := range m.Row(i) {
			v := float64(x)
			s.sum[j] += v
			s.sumSq[j] += v * v
		}
	}
	s.count += int64(m.Rows)
}

// Merge adds o's statistics to s. It panics if the dimensions differ.
func (s *Stats) Merge(o *Stats) {
	if o.dim != s.dim {
		panic(fmt.Sprintf("features: Stats.Merge of %d-dimensional into %d-dimensional stats", o.dim, s.dim))
	}
	for j := range s.sum {
		s.sum[j] += o.sum[j]
		s.sumSq[j] += o.sumSq[j]
	}
	s.count += o.count
}

// Count is the number of frames accumulated.
func (s *Stats) Count() int64 { return s.count }

// MeanStd returns the per-dimension mean and (population) standard deviation, each
// standard deviation floored at MinStd. It is an error when no frames were added, when
// a dimension is exactly constant (standard deviation 0) or when a statistic is not
// finite: normalising with such values would silently produce garbage.
func (s *Stats) MeanStd() (mean, std []float32, err error) {
	if s.count == 0 {
		return nil, nil, fmt.Errorf("features: normalisation statistics of zero frames")
	}
	mean = make([]float32, s.dim)
	std = make([]float32, s.dim)
	n := float64(s.count)
	for j := range mean {
		mu := s.sum[j] / n
		v := s.sumSq[j]/n - mu*mu
		v = max(v, 0) // rounding can make a tiny variance negative
		sd := math.Sqrt(v)
		if math.IsNaN(mu) || math.IsInf(mu, 0) || math.IsNaN(sd) || math.IsInf(sd, 0) {
			return nil, nil, fmt.Errorf("features: dimension %d has mean %g, standard deviation %g over %d frames", j, mu, sd, s.count)
		}
		if sd == 0 {
			return nil, nil, fmt.Errorf("features: dimension %d is constant (standard deviation 0 over %d frames)", j, s.count)
		}
		sd = max(sd, MinStd)
		mean[j], std[j] = float32(mu), float32(sd)
	}
	return mean, std, nil
}

// Normalize replaces every row x of m by (x − mean)/std in place. It panics if the
// lengths of mean or std differ from m.Cols.
func Normalize(m *Matrix, mean, std []float32) {
	if len(mean) != m.Cols || len(std) != m.Cols {
		panic(fmt.Sprintf("features: Normalize %d-column matrix with %d means and %d deviations", m.Cols, len(mean), len(std)))
	}
	inv := make([]float32, len(std))
	for j, sd := range std {
		inv[j] = 1 / sd
	}
	for i := 0; i < m.Rows; i++ {
		row := m.Row(i)
		for j := range row {
			row[j] = (row[j] - mean[j]) * inv[j]
		}
	}
}
