package features

import (
	"math"
	"strings"
	"testing"
)

func matrixOf(rows [][]float32) *Matrix {
	m := NewMatrix(len(rows), len(rows[0]))
	for i, r := range rows {
		copy(m.Row(i), r)
	}
	return m
}

// TestStats: mean and population standard deviation of known columns, the same whether
// accumulated in one Stats or merged from two. Tolerance 1e-6: float64 sums of a few
// small exact values, rounded to float32.
func TestStats(t *testing.T) {
	a := matrixOf([][]float32{{1, 10, -3}, {2, 10, -1}})
	b := matrixOf([][]float32{{3, 10, 1}, {4, 14, 3}})
	wantMean := []float64{2.5, 11, 0}
	wantStd := []float64{math.Sqrt(1.25), math.Sqrt(3), math.Sqrt(5)}

	one := NewStats(3)
	one.Add(a)
	one.Add(b)
	sa, sb := NewStats(3), NewStats(3)
	sa.Add(a)
	sb.Add(b)
	sa.Merge(sb)
	for name, s := range map[string]*Stats{"added": one, "merged": sa} {
		if s.Count() != 4 {
			t.Errorf("%s: Count = %d, want 4", name, s.Count())
		}
		mean, std, err := s.MeanStd()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for j := range wantMean {
			if math.Abs(float64(mean[j])-wantMean[j]) > 1e-6 || math.Abs(float64(std[j])-wantStd[j]) > 1e-6 {
				t.Errorf("%s: dim %d mean %g std %g, want %g %g", name, j, mean[j], std[j], wantMean[j], wantStd[j])
			}
		}
	}

	// Normalising the data with its own statistics gives mean 0 and deviation 1.
	mean, std, _ := one.MeanStd()
	Normalize(a, mean, std)
	Normalize(b, mean, std)
	check := NewStats(3)
	check.Add(a)
	check.Add(b)
	m2, s2, err := check.MeanStd()
	if err != nil {
		t.Fatal(err)
	}
	for j := range m2 {
		if math.Abs(float64(m2[j])) > 1e-6 || math.Abs(float64(s2[j])-1) > 1e-6 {
			t.Errorf("normalised dim %d: mean %g std %g, want 0 1", j, m2[j], s2[j])
		}
	}
	// (1 − 2.5)/√1.25 by hand.
	if got, want := float64(a.Row(0)[0]), -1.5/math.Sqrt(1.25); math.Abs(got-want) > 1e-6 {
		t.Errorf("normalised a[0][0] = %g, want %g", got, want)
	}
}

func TestStatsErrors(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name string
		rows [][]float32 // nil: no frames
		want string
	}{
		{"no frames", nil, "zero frames"},
		{"constant dimension", [][]float32{{1, 5}, {2, 5}, {3, 5}}, "dimension 1 is constant"},
		{"NaN", [][]float32{{1, 5}, {nan, 6}}, "dimension 0 has mean NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStats(2)
			if tc.rows != nil {
				s.Add(matrixOf(tc.rows))
			}
			_, _, err := s.MeanStd()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("MeanStd error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestStatsFloor: a dimension that varies only by 1e-7 gets the MinStd floor rather
// than a deviation that would multiply it by 10⁷.
func TestStatsFloor(t *testing.T) {
	s := NewStats(1)
	s.Add(matrixOf([][]float32{{1}, {1 + 2.4e-7}}))
	_, std, err := s.MeanStd()
	if err != nil {
		t.Fatal(err)
	}
	if std[0] != MinStd {
		t.Errorf("std = %g, want the floor %g", std[0], MinStd)
	}
}
