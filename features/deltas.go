package features

// deltaScales returns Kaldi's DeltaFeatures filters for orders 1..order. The order-1
// filter is j/Σj² for j in [-window, window]; each higher order convolves the previous
// filter with it again, so the delta-delta filter spans 2·2·window+1 frames and is
// applied to the static features directly (not to the clipped deltas).
func deltaScales(order, window int) [][]float64 {
	scales := [][]float64{{1}}
	for i := 1; i <= order; i++ {
		prev := scales[i-1]
		prevOff := (len(prev) - 1) / 2
		curOff := prevOff + window
		cur := make([]float64, len(prev)+2*window)
		var norm float64
		for j := -window; j <= window; j++ {
			norm += float64(j * j)
			for k := -prevOff; k <= prevOff; k++ {
				cur[j+k+curOff] += float64(j) * prev[k+prevOff]
			}
		}
		for k := range cur {
			cur[k] /= norm
		}
		scales = append(scales, cur)
	}
	return scales[1:]
}

// addDeltas fills columns NumCeps… of m from its static columns 0…NumCeps-1 as Kaldi's
// add-deltas does: frames before the start or past the end repeat the first or last frame.
func (e *Extractor) addDeltas(m *Matrix) {
	nc := e.cfg.NumCeps
	last := m.Rows - 1
	for t := 0; t < m.Rows; t++ {
		out := m.Row(t)
		for o, sc := range e.scales {
			acc := e.acc[:nc]
			clear(acc)
			off := (len(sc) - 1) / 2
			for j, w := range sc {
				if w == 0 {
					continue
				}
				s := t + j - off
				s = max(0, min(s, last))
				in := m.Data[s*m.Cols : s*m.Cols+nc]
				for k, x := range in {
					acc[k] += w * float64(x)
				}
			}
			dst := out[(o+1)*nc : (o+2)*nc]
			for k, v := range acc {
				dst[k] = float32(v)
			}
		}
	}
}
