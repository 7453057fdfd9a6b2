package train

import (
	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/features"
)

// prefetchGroups is how many sentence groups a streamed training split
// holds in memory: the one being trained and two read ahead of it.
// Memory for features is then about 3 × Batch sentences, whatever the
// corpus size.
const prefetchGroups = 3

// groupBuf is one group of normalised sentences read from the archives,
// with its own storage, reused from group to group.
type groupBuf struct {
	sents  []*data.Sentence
	frames int64
	err    error
	store  []data.Sentence
	mats   []features.Matrix
	labels [][]int32
}

// prefetcher reads the groups of an epoch's order from a streamed split
// (data.OpenSplit) on its own goroutine, ahead of the trainer, normalising
// each sentence as it is read exactly as the in-memory path does
// (features.Normalize on the raw matrix, with the same CMVN): the trainer
// sees the same sentences, bit for bit, in the same order.
type prefetcher struct {
	out  chan *groupBuf
	free chan *groupBuf
	stop chan struct{}
	done chan struct{}
}

// startPrefetch reads the groups order[pos:pos+batch], order[pos+batch:…],
// … of the split's sentences (shapes only: sents[i] is sentence i of the
// split whose features and labels ar reads).
func startPrefetch(ar *data.Archives, sents []*data.Sentence, mean, std []float32, order []int, pos, batch int) *prefetcher {
	p := &prefetcher{
		out:  make(chan *groupBuf, prefetchGroups-1),
		free: make(chan *groupBuf, prefetchGroups),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range prefetchGroups {
		p.free <- &groupBuf{store: make([]data.Sentence, batch), mats: make([]features.Matrix, batch), labels: make([][]int32, batch)}
	}
	go func() {
		defer close(p.done)
		for ; pos < len(order); pos += batch {
			var g *groupBuf
			select {
			case g = <-p.free:
			case <-p.stop:
				return
			}
			g.sents, g.frames, g.err = g.sents[:0], 0, nil
			for k, i := range order[pos:min(pos+batch, len(order))] {
				m := &g.mats[k]
				if g.err = ar.Read(i, m); g.err != nil {
					break
				}
				features.Normalize(m, mean, std)
				g.labels[k] = ar.Labels(i, g.labels[k])
				g.store[k] = *sents[i]
				g.store[k].Feats, g.store[k].Labels = m, g.labels[k]
				g.sents = append(g.sents, &g.store[k])
				g.frames += int64(m.Rows)
			}
			select {
			case p.out <- g:
			case <-p.stop:
				return
			}
			if g.err != nil {
				return
			}
		}
	}()
	return p
}

// next returns the next group; release it when the engine is done with it.
func (p *prefetcher) next() *groupBuf { return <-p.out }

func (p *prefetcher) release(g *groupBuf) { p.free <- g }

// close stops the reader and waits for it.
func (p *prefetcher) close() {
	close(p.stop)
	<-p.done
}

// loadSentences reads and normalises sentences idx of a streamed split
// into memory of their own (a few sentences that must stay: the horizon
// log's).
func loadSentences(ar *data.Archives, sents []*data.Sentence, mean, std []float32, idx []int) ([]*data.Sentence, error) {
	out := make([]*data.Sentence, len(idx))
	for k, i := range idx {
		m := new(features.Matrix)
		if err := ar.Read(i, m); err != nil {
			return nil, err
		}
		features.Normalize(m, mean, std)
		s := *sents[i]
		s.Feats, s.Labels = m, ar.Labels(i, nil)
		out[k] = &s
	}
	return out, nil
}
