package train

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// BucketOrder rearranges order (sentence indices, already shuffled) for
// Config.Bucket: within each run of bucket×batch consecutive entries it
// sorts the sentences by length (longest first, ties in their shuffled
// order), cuts the run into groups of batch, and shuffles those groups
// among themselves with rng (nil: they stay longest first). A group then
// holds sentences of similar length, so its streams idle less while the
// longest one finishes (see IdleShare); the runs keep the epoch's order
// random at the scale of bucket groups.
func BucketOrder(order []int, length func(i int) int, batch, bucket int, rng *rand.Rand) {
	run := batch * bucket
	var groups [][]int
	var tmp []int
	for lo := 0; lo < len(order); lo += run {
		w := order[lo:min(lo+run, len(order))]
		slices.SortStableFunc(w, func(a, b int) int { return cmp.Compare(length(b), length(a)) })
		if rng == nil {
			continue
		}
		groups = groups[:0]
		for g := 0; g < len(w); g += batch {
			groups = append(groups, w[g:min(g+batch, len(w))])
		}
		// The last, shorter group stays last: only full groups move, so
		// every group keeps batch sentences but the epoch's last.
		full := len(w) / batch
		rng.Shuffle(full, func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
		tmp = tmp[:0]
		for _, g := range groups {
			tmp = append(tmp, g...)
		}
		copy(w, tmp)
	}
}

// IdleShare is the share of stream slots that idle when the sentences of
// the given lengths, in this order, are trained in consecutive groups of
// batch side by side: each group occupies batch slots for as many frames
// as its longest sentence, and a slot idles once its sentence has ended
// (or when the last group is short). 0 with batch 1.
func IdleShare(lengths []int, batch int) float64 {
	var idle, slots int64
	for lo := 0; lo < len(lengths); lo += batch {
		g := lengths[lo:min(lo+batch, len(lengths))]
		T := int64(slices.Max(g))
		slots += int64(batch) * T
		for _, n := range g {
			idle += T - int64(n)
		}
		idle += int64(batch-len(g)) * T
	}
	if slots == 0 {
		return 0
	}
	return float64(idle) / float64(slots)
}
