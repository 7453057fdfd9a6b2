package eval

import "github.com/phoneme/phoneme/labels"

// UtteranceScore is how one sentence of a split was scored: the raw counts
// behind paired significance tests between two systems. Frames61 and
// Errors61 count the frames scored over the 61 TIMIT phones (Evaluate's
// target delay and excluded labels apply) and the wrong ones among them;
// Frames39 and Errors39 count them over the 39 Lee & Hon classes as the
// folded confusion matrix does: a frame whose reference is q is not scored,
// a hypothesis q (no class) is an error. Summed over a report's
// Utterances, Frames61 is Report.Frames, Errors61 is
// Report.Confusion61.Errors(), Frames39 is Report.Frames39 and Errors39 is
// Report.Confusion39.Errors().
type UtteranceScore struct {
	ID, Speaker        string
	Frames61, Errors61 int64
	Frames39, Errors39 int64
}

// add counts one scored frame with 61-phone reference r and hypothesis h,
// folded with f as Fold folds it.
func (u *UtteranceScore) add(f *labels.Folding, r, h int) {
	u.Frames61++
	if h != r {
		u.Errors61++
	}
	if fr, fh, scored := foldFrame(f, r, h); scored {
		u.Frames39++
		if fh != fr {
			u.Errors39++
		}
	}
}

// FER61 returns Errors61/Frames61, or 0 when no frame was scored.
func (u UtteranceScore) FER61() float64 { return rate(u.Errors61, u.Frames61) }

// FER39 returns Errors39/Frames39, or 0 when no frame was scored.
func (u UtteranceScore) FER39() float64 { return rate(u.Errors39, u.Frames39) }

func rate(errors, frames int64) float64 {
	if frames == 0 {
		return 0
	}
	return float64(errors) / float64(frames)
}
