package labels

import "sort"

// Align labels numFrames frames from a segmentation: frame t gets the phone of
// the segment that contains sample centre(t), or Excluded when no segment
// does (a gap between segments, before the first or after the last). Segments
// are half-open, so a centre exactly on a boundary belongs to the later
// segment. It returns the labels and the number of Excluded frames.
//
// segs must be sorted and non-overlapping, as ParsePHN returns them. When the
// centres do not decrease (the usual case) the search is a linear merge,
// O(frames + segments); a centre that goes backwards falls back to a binary
// search, so any centre function gives the right answer.
func Align(segs []Segment, numFrames int, centre func(t int) int) (ali []int32, excluded int) {
	if numFrames <= 0 {
		return []int32{}, 0
	}
	ali = make([]int32, numFrames)
	j := 0 // first segment whose End is after the previous centre
	prev := 0
	for t := range ali {
		c := centre(t)
		if t > 0 && c < prev {
			j = sort.Search(len(segs), func(i int) bool { return segs[i].End > c })
		}
		prev = c
		for j < len(segs) && segs[j].End <= c {
			j++
		}
		if j < len(segs) && segs[j].Start <= c {
			ali[t] = int32(segs[j].Phone)
			continue
		}
		ali[t] = Excluded
		excluded++
	}
	return ali, excluded
}
