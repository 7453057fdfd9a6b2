package features

// Matrix is a dense row-major matrix of float32, one row per frame.
type Matrix struct {
	Rows, Cols int
	Data       []float32 // len Rows*Cols; row i is Data[i*Cols : (i+1)*Cols]
}

// NewMatrix returns a zeroed rows × cols matrix.
func NewMatrix(rows, cols int) *Matrix {
	return &Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// Row returns row i as a slice sharing the matrix's storage.
func (m *Matrix) Row(i int) []float32 {
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}
