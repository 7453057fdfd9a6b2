package lstm

import (
	"fmt"

	"github.com/phoneme/phoneme/internal/f32"
)

// Batch runs whole sentences of several streams side by side, from zero
// state, for one update per group of sentences (the sentence schedule with
// batch > 1), or windows of them from stored states (ForwardBatchFrom:
// truncated schedules' updates). Each frame's recurrent product is then one matrix–matrix
// product over the streams, which reuses W_hh from cache B times instead of
// streaming it B times, and so are the backward pass's products.
//
// Rows are packed frame-major: frame t holds one row per stream still
// running at t, longest sentence first, so the streams running at t are
// always a prefix of those running at t−1 and no row is wasted on a
// finished sentence. The result is the gradient of the per-stream traces
// up to float32 rounding (the sums run in another order), and it does not
// depend on the number of cores.
//
// Peepholes are not supported (NewBatch panics); a Batch belongs to one
// Model shape and one goroutine and reuses its buffers.
type Batch struct {
	cfg       Config
	nb        int       // streams in the current run
	tb        int       // frames per block (blockRows)
	order     []int     // order[r]: the stream of row rank r (longest first)
	rank      []int     // rank[k]: the row rank of stream k
	lens      []int     // frames per stream
	act       []int     // act[t]: streams with more than t frames
	off       []int     // off[t]: first row of frame t; off[T] = rows
	x         []float32 // rows×I layer-0 inputs
	layers    []batchLayer
	logp      []float32 // rows×O
	dy        []float32 // rows×O
	dh, db    []float32 // rows×H: ∂/∂h of the current layer and of the one below
	da        []float32 // ∂gates of two blocks of frames (daRow)
	dcy       []float32 // streams×H
	ones      []float32 // rows ones: column sums as products
	dbias     []float32 // 4H: a layer's bias gradient before it is added
	wt        []float32 // W_ihᵀ of the layer being run forward
	wt2       []float32 // its W_hhᵀ
	tw        *Transposes
	gview     *Model
	blockRows int // tests: rows per block instead of the constant, if > 0
}

// batchLayer holds one layer's activations. h and c have act[0] rows of
// initial state (zero or ForwardBatchFrom's h0, c0) before the rows of
// the frames: a row's previous state is then the row of the same stream
// one frame earlier (or in the prefix), in place, with nothing copied,
// because the streams running at t are a prefix of those at t−1.
type batchLayer struct {
	gates []float32 // rows×4H activated gates
	h     []float32 // (act[0]+rows)×H: initial states, then h_t of each row
	c     []float32 // (act[0]+rows)×H: initial states, then c_t of each row
}

// prev returns the first row (in h and c) of the state before frame t:
// the initial states for t = 0, frame t−1's rows otherwise.
func (bt *Batch) prev(t int) int {
	if t == 0 {
		return 0
	}
	return bt.act[0] + bt.off[t-1]
}

// cur returns the first row (in h and c) of frame t's state.
func (bt *Batch) cur(t int) int { return bt.act[0] + bt.off[t] }

// NewBatch returns an empty Batch for m's shape, which must have no
// peepholes.
func (m *Model) NewBatch() *Batch {
	if m.cfg.Peepholes {
		panic("lstm: Batch does not support peepholes")
	}
	return &Batch{cfg: m.cfg, layers: make([]batchLayer, m.cfg.Layers)}
}

func growInts(s []int, n int) []int {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]int, n, n+n/4)
}

// Frames returns the number of frames of stream k in the last run.
func (bt *Batch) Frames(k int) int { return bt.lens[k] }

// LogProbs returns the log-posteriors of stream k's frame t from the last
// ForwardBatch.
func (bt *Batch) LogProbs(k, t int) []float32 {
	if t < 0 || t >= bt.lens[k] {
		panic(fmt.Sprintf("lstm: frame %d of a sentence of %d", t, bt.lens[k]))
	}
	O := bt.cfg.Outputs
	r := bt.off[t] + bt.rank[k]
	return bt.logp[r*O : (r+1)*O]
}

// ForwardBatch runs the sentences whose layer-0 inputs are xs[k] (each a
// multiple of Inputs long, used without copying only during the call) side
// by side from zero state with m's current weights, and computes every
// frame's log-posteriors.
func (m *Model) ForwardBatch(bt *Batch, xs [][]float32) { m.ForwardBatchFrom(bt, xs, nil, nil) }

// ForwardBatchFrom is ForwardBatch with each stream k starting from the
// state h0[k], c0[k] (Layers×Hidden each, layer by layer, as StateAt
// gives them) instead of zero; nil slices (or nil h0 and c0) mean zero.
// The state is a constant of the run: BackwardBatch holds it fixed (no
// gradient flows into it), as a truncated window's stored state is.
func (m *Model) ForwardBatchFrom(bt *Batch, xs, h0, c0 [][]float32) {
	c := m.cfg
	I, H, O, G := c.Inputs, c.Hidden, c.Outputs, 4*c.Hidden
	B := len(xs)
	bt.nb = B
	bt.order, bt.rank, bt.lens = growInts(bt.order, B), growInts(bt.rank, B), growInts(bt.lens, B)
	T := 0
	for k, x := range xs {
		if len(x)%I != 0 {
			panic(fmt.Sprintf("lstm: input of length %d is not a multiple of %d", len(x), I))
		}
		bt.lens[k] = len(x) / I
		T = max(T, bt.lens[k])
		// Insertion sort, longest first, ties in stream order: the row
		// layout, and so the summation order, depends on the lengths only.
		r := k
		for r > 0 && bt.lens[bt.order[r-1]] < bt.lens[k] {
			bt.order[r] = bt.order[r-1]
			r--
		}
		bt.order[r] = k
	}
	for r, k := range bt.order {
		bt.rank[k] = r
	}
	bt.act, bt.off = growInts(bt.act, T), growInts(bt.off, T+1)
	rows := 0
	for t := range T {
		a := 0
		for a < B && bt.lens[bt.order[a]] > t {
			a++
		}
		bt.act[t], bt.off[t] = a, rows
		rows += a
	}
	bt.off[T] = rows
	bt.x = grow(bt.x, rows*I)
	for t := range T {
		for r := range bt.act[t] {
			row := bt.off[t] + r
			copy(bt.x[row*I:(row+1)*I], xs[bt.order[r]][t*I:(t+1)*I])
		}
	}
	bt.logp = grow(bt.logp, rows*O)
	a0 := 0
	if T > 0 {
		a0 = bt.act[0]
	}
	br := blockRows
	if bt.blockRows > 0 {
		br = bt.blockRows
	}
	bt.tb = max(1, br/max(a0, 1))
	for l := range m.layers {
		p, L := &m.layers[l], &bt.layers[l]
		L.gates = grow(L.gates, rows*G)
		L.h, L.c = grow(L.h, (a0+rows)*H), grow(L.c, (a0+rows)*H)
		if rows == 0 {
			continue
		}
		in := bt.x
		if l > 0 {
			in = bt.layers[l-1].h[a0*H:]
		}
		// Many rows: multiply by the transposed weights with the
		// register-blocked MatMul; few (a window of a frame or two): the
		// transposes would cost more than they save, unless shared.
		var wihT, whhT, whhP []float32 // whhP: W_hhᵀ in panels (one stream)
		switch {
		case bt.tw != nil:
			wihT = bt.tw.wih[l]
			if bt.tw.recurrent {
				whhT = bt.tw.whh[l]
			}
		default:
			if rows >= minRowsTransposed {
				bt.wt = transpose(bt.wt, p.wih, G, p.in)
				wihT = bt.wt
			}
			switch {
			case rows-a0 >= minRowsTransposed && a0 == 1:
				bt.wt2 = transposePanels(bt.wt2, p.whh, G, H)
				whhP = bt.wt2
			case rows-a0 >= minRowsTransposed:
				bt.wt2 = transpose(bt.wt2, p.whh, G, H)
				whhT = bt.wt2
			}
		}
		clear(L.h[:a0*H])
		clear(L.c[:a0*H])
		started := false // some stream starts from a non-zero state
		for r := range a0 {
			k := bt.order[r]
			if k < len(h0) && h0[k] != nil {
				copy(L.h[r*H:(r+1)*H], h0[k][l*H:(l+1)*H])
				started = true
			}
			if k < len(c0) && c0[k] != nil {
				copy(L.c[r*H:(r+1)*H], c0[k][l*H:(l+1)*H])
			}
		}
		for t := range T {
			a, o, pr, cr := bt.act[t], bt.off[t], bt.prev(t), bt.cur(t)
			if t%bt.tb == 0 {
				// The input projections of the next block of frames, just
				// before the recurrence needs them: their gates are then
				// still in cache (all of a group's gates at once went
				// through memory, and their bias fill cost twice the
				// product).
				lo, hi := o, bt.off[min(t+bt.tb, T)]
				p.fillBias(L.gates[lo*G:hi*G], hi-lo)
				if wihT != nil {
					f32.MatMul(L.gates[lo*G:hi*G], in[lo*p.in:hi*p.in], wihT, hi-lo, G, p.in)
				} else {
					f32.MatMulT(L.gates[lo*G:hi*G], in[lo*p.in:hi*p.in], p.wih, hi-lo, G, p.in)
				}
			}
			if t > 0 || started {
				switch {
				case whhP != nil:
					for j := 0; j < G; j += panel {
						w := min(panel, G-j)
						f32.MatMul(L.gates[o*G+j:o*G+j+w], L.h[pr*H:(pr+1)*H], whhP[j*H:(j+w)*H], 1, w, H)
					}
				case whhT != nil:
					f32.MatMul(L.gates[o*G:(o+a)*G], L.h[pr*H:(pr+a)*H], whhT, a, G, H)
				default:
					f32.MatMulT(L.gates[o*G:(o+a)*G], L.h[pr*H:(pr+a)*H], p.whh, a, G, H)
				}
			}
			f32.LSTMCellRows(L.gates[o*G:(o+a)*G], L.c[pr*H:(pr+a)*H], L.c[cr*H:(cr+a)*H], L.h[cr*H:(cr+a)*H], H, a)
		}
	}
	if rows == 0 {
		return
	}
	m.outputs(bt.logp, bt.layers[c.Layers-1].h[a0*H:], rows)
}

// blockRows is about how many of a Batch's rows the input projection and
// the weight gradients take at a time (bt.tb frames: 8 for 16 streams, 128
// for one): 128 rows of gates (4H floats each, 256 KB for H = 128) stay
// in L2 between the product that makes them and the recurrence that
// reads them, and a block's weight-gradient products sweep the gradient
// once per 128 rows rather than per frame.
const blockRows = 128

// StateAt copies the state of stream k after its frame t of the last run
// into h and c (Layers×Hidden each, layer by layer): what ForwardBatchFrom
// takes to continue from there.
func (bt *Batch) StateAt(k, t int, h, c []float32) {
	if t < 0 || t >= bt.lens[k] {
		panic(fmt.Sprintf("lstm: state after frame %d of a sentence of %d", t, bt.lens[k]))
	}
	H := bt.cfg.Hidden
	r := bt.cur(t) + bt.rank[k]
	for l := range bt.layers {
		L := &bt.layers[l]
		copy(h[l*H:(l+1)*H], L.h[r*H:(r+1)*H])
		copy(c[l*H:(l+1)*H], L.c[r*H:(r+1)*H])
	}
}

// blockGrads adds frames t0 ≤ t < t1's share of a layer's weight and bias
// gradients (into gp, or the bias into bt.dbias when g is not fresh),
// from the rows of ∂gates bt.da, the layer's inputs in (rows×nin) and its
// states h; with set, its products overwrite gp instead.
func (bt *Batch) blockGrads(set, fresh bool, gp *layerParams, nin int, in, h []float32, t0, t1 int) {
	G, H := 4*bt.cfg.Hidden, bt.cfg.Hidden
	lo, hi := bt.off[t0], bt.off[t1]
	d := bt.daRow(t0) - lo // frame t's ∂gates are rows off[t]+d… of bt.da
	da := bt.da[(lo+d)*G : (hi+d)*G]
	gradProduct(set)(gp.wih, da, in[lo*nin:hi*nin], G, nin, hi-lo)
	// ∂W_hh pairs frame t's rows of ∂gates with frame t−1's state rows:
	// one product per run of frames whose previous states lie end to end
	// (the state rows break where a stream's sentence has ended).
	for t := t0; t < t1; {
		u, end := t+1, bt.prev(t)+bt.act[t]
		for u < t1 && bt.prev(u) == end {
			end += bt.act[u]
			u++
		}
		a, b, pr := bt.off[t], bt.off[u], bt.prev(t)
		gradProduct(set && t == t0)(gp.whh, bt.da[(a+d)*G:(b+d)*G], h[pr*H:(pr+b-a)*H], G, H, b-a)
		t = u
	}
	// A bias's gradient is the column sum of ∂gates: a product with a row
	// of ones keeps the sums in registers over the rows.
	if fresh {
		gradProduct(set)(gp.bih, bt.ones, da, 1, G, hi-lo)
	} else {
		f32.MatTMul(bt.dbias, bt.ones, da, 1, G, hi-lo)
	}
}

// daRow returns the row of bt.da holding frame t's first ∂gates: the
// backward pass keeps two blocks of bt.tb frames of them (the block
// being computed and the one after it, whose first frame the recurrence
// still reads), not a whole group's: they are used only within a block,
// and the 4H floats a row would make the group's footprint half as large
// again (9.8 MB per 16 streams of 300 frames), out of L3.
func (bt *Batch) daRow(t int) int {
	k := t / bt.tb
	return k%2*bt.tb*bt.nb + bt.off[t] - bt.off[k*bt.tb]
}

// transpose returns the cols×rows transpose of the row-major rows×cols
// matrix a in dst (grown). Eight rows at a time: each column of the block
// is one contiguous store of eight, read from eight row streams that the
// hardware prefetches (0.33 ns per element against 1 ns for 8×8 tiles
// indexed element by element, BenchmarkTranspose on Zen 5).
func transpose(dst, a []float32, rows, cols int) []float32 {
	dst = grow(dst, rows*cols)
	i0 := 0
	for ; i0+8 <= rows; i0 += 8 {
		r0 := a[i0*cols : (i0+1)*cols]
		r1 := a[(i0+1)*cols : (i0+2)*cols]
		r2 := a[(i0+2)*cols : (i0+3)*cols]
		r3 := a[(i0+3)*cols : (i0+4)*cols]
		r4 := a[(i0+4)*cols : (i0+5)*cols]
		r5 := a[(i0+5)*cols : (i0+6)*cols]
		r6 := a[(i0+6)*cols : (i0+7)*cols]
		r7 := a[(i0+7)*cols : (i0+8)*cols]
		for j := range cols {
			d := (*[8]float32)(dst[j*rows+i0 : j*rows+i0+8])
			d[0], d[1], d[2], d[3] = r0[j], r1[j], r2[j], r3[j]
			d[4], d[5], d[6], d[7] = r4[j], r5[j], r6[j], r7[j]
		}
	}
	for i := i0; i < rows; i++ {
		for j := range cols {
			dst[j*rows+i] = a[i*cols+j]
		}
	}
	return dst
}

// transposePanels returns the cols×rows transpose of the row-major
// rows×cols matrix a in dst (grown), stored as panels of panel columns
// (the last one narrower), each panel cols×w row-major and contiguous.
// One stream's recurrent product h·W_hhᵀ is a row times a matrix, bound by
// reading W_hh from L2: panel by panel, each 128-wide block of the
// product reads its 64 KB sequentially instead of 512 bytes every 2 KB,
// 72 against 51 GFLOP/s on Zen 5 for 128×512.
func transposePanels(dst, a []float32, rows, cols int) []float32 {
	dst = grow(dst, rows*cols)
	for j := 0; j < rows; j += panel {
		w := min(panel, rows-j)
		transpose(dst[j*cols:(j+w)*cols], a[j*cols:(j+w)*cols], w, cols)
	}
	return dst
}

// panel is the width of transposePanels' panels: eight AVX-512 vectors,
// the block f32.MatMul keeps in registers for a single row.
const panel = 128

// Transposes holds the transposed input (and optionally recurrent)
// weight matrices of every layer of a model, made once (Model.Transpose)
// and shared by the batches run with those weights (Batch.UseTransposes):
// several lockstep sub-batches of one update then transpose nothing.
type Transposes struct {
	wih, whh  [][]float32
	recurrent bool // whh is set
}

// Transpose sets tw to the transposes of m's current weights. Without
// recurrent, only the input weights are transposed and the recurrent
// products use the stored W_hh (f32.MatMulT): over 128-long rows its dot
// products run nearly as fast as MatMul (154 against 161 GFLOP/s for
// 16×128 by 128×512 on Zen 5), while the input projection's 39-long ones
// run at a third of MatMul's speed; so an update of few rows transposes
// only the small W_ih.
func (m *Model) Transpose(tw *Transposes, recurrent bool) {
	for len(tw.wih) < len(m.layers) {
		tw.wih, tw.whh = append(tw.wih, nil), append(tw.whh, nil)
	}
	tw.recurrent = recurrent
	G := 4 * m.cfg.Hidden
	for l := range m.layers {
		p := &m.layers[l]
		tw.wih[l] = transpose(tw.wih[l], p.wih, G, p.in)
		if recurrent {
			tw.whh[l] = transpose(tw.whh[l], p.whh, G, m.cfg.Hidden)
		}
	}
}

// UseTransposes makes ForwardBatchFrom multiply by tw's transposes (which
// must be those of the model's current weights) instead of its own; nil
// goes back to making its own when there are rows enough.
func (bt *Batch) UseTransposes(tw *Transposes) { bt.tw = tw }

// minRowsTransposed is the fewest rows for which ForwardBatchFrom
// transposes a weight matrix to multiply by it with f32.MatMul (register
// blocked: 180 GFLOP/s for 16×128 by 128×512 on Zen 5, against 85 for
// MatMulT's dot products); transposing the 512×128 recurrent matrix
// costs about as much as 40 rows of products, and a window of a frame
// (frame, k2 = 1) has only the streams' rows.
const minRowsTransposed = 64

// BackwardBatch accumulates into g the gradient of scale·Σ_k Σ_τ L_kτ over
// the frames τ of the last ForwardBatch's streams k with targets[k][τ] ≥ 0,
// back-propagated to each sentence's start: for each stream, what Backward
// over its whole trace computes. It returns the number of frames
// back-propagated, summed over the streams with a scored frame. After
// g.ZeroDeferred it overwrites g instead (the same bits as clearing it
// first, without the pass that clears it).
func (m *Model) BackwardBatch(g *Grads, bt *Batch, targets [][]int32, scale float32) int {
	if len(targets) != bt.nb {
		panic(fmt.Sprintf("lstm: %d target lists for %d streams", len(targets), bt.nb))
	}
	fresh := g.deferred
	g.deferred = false
	gv := bt.gview
	if gv == nil || len(g.Data) == 0 || &gv.params[0] != &g.Data[0] {
		gv = m.gradViews(g)
		bt.gview = gv
	}
	c := m.cfg
	H, O, G := c.Hidden, c.Outputs, 4*c.Hidden
	T := len(bt.act)
	rows := bt.off[T]
	bt.dy = grow(bt.dy, rows*O)
	// ∂L/∂z = scale·(softmax − onehot): every row's exponentials at once,
	// then the unscored rows cleared and the targets subtracted.
	f32.ExpScale(bt.dy[:rows*O], bt.logp[:rows*O], scale)
	back := 0
	for r := range bt.nb {
		k := bt.order[r]
		scored := false
		for t := range bt.lens[k] {
			row := bt.off[t] + r
			dy := bt.dy[row*O : (row+1)*O]
			y := targets[k][t]
			if y < 0 {
				clear(dy)
				continue
			}
			if int(y) >= O {
				panic(fmt.Sprintf("lstm: target %d of frame %d ≥ %d outputs", y, t, O))
			}
			scored = true
			dy[y] -= scale
		}
		if scored {
			back += bt.lens[k]
		}
	}
	if back == 0 {
		if fresh {
			clear(g.Data)
		}
		return 0
	}
	a0 := bt.act[0]
	top := bt.layers[c.Layers-1].h[a0*H:]
	// Each tensor's first product overwrites it when g is fresh.
	gradProduct(fresh)(gv.outW, bt.dy, top, O, H, rows)
	// A bias's gradient is the column sum of its layer's errors: a product
	// with a row of ones keeps the sums in registers over all rows, the
	// same additions in the same order as adding row after row.
	bt.ones = grow(bt.ones, rows)
	if bt.ones[rows-1] != 1 {
		for i := range bt.ones {
			bt.ones[i] = 1
		}
	}
	gradProduct(fresh)(gv.outB, bt.ones, bt.dy, 1, O, rows)
	bt.dh, bt.db = grow(bt.dh, rows*H), grow(bt.db, rows*H)
	bt.da = grow(bt.da, 2*bt.tb*bt.nb*G)
	bt.dcy = grow(bt.dcy, bt.nb*H)
	// The backward products multiply by the weights as stored: ∂h =
	// ∂y·W_out, ∂h_{t−1} = ∂gates_t·W_hh, ∂x = ∂gates·W_ih.
	f32.MatMulSet(bt.dh, bt.dy, m.outW, rows, H, O)
	for l := c.Layers - 1; l >= 0; l-- {
		p, gp, L := &m.layers[l], &gv.layers[l], &bt.layers[l]
		clear(bt.dcy)
		in := bt.x
		if l > 0 {
			in = bt.layers[l-1].h[a0*H:]
		}
		if !fresh {
			bt.dbias = grow(bt.dbias, G)
			clear(bt.dbias)
		}
		first := true // the first block's products overwrite a fresh g
		for t := T - 1; t >= 0; t-- {
			a, o, pr, cr := bt.act[t], bt.off[t], bt.prev(t), bt.cur(t)
			if t+1 < T {
				a1, d1 := bt.act[t+1], bt.daRow(t+1)
				f32.MatMul(bt.dh[o*H:(o+a1)*H], bt.da[d1*G:(d1+a1)*G], p.whh, a1, H, G)
			}
			// A stream's dcy is zero until its last frame: no gradient
			// comes from beyond its sentence.
			d := bt.daRow(t)
			f32.LSTMCellBackwardRows(bt.da[d*G:(d+a)*G], bt.dcy[:a*H], L.gates[o*G:(o+a)*G],
				L.c[pr*H:(pr+a)*H], L.c[cr*H:(cr+a)*H], bt.dh[o*H:(o+a)*H], bt.dcy[:a*H], H, a)
			if t%bt.tb == 0 {
				// The weight gradients of the block of frames just
				// finished, while its ∂gates are in cache.
				t1 := min(t+bt.tb, T)
				bt.blockGrads(fresh && first, fresh, gp, p.in, in, L.h, t, t1)
				first = false
				if l > 0 {
					// ∂/∂h of the layer below, for this block's rows.
					lo, hi := o, bt.off[t1]
					f32.MatMulSet(bt.db[lo*H:hi*H], bt.da[d*G:(d+hi-lo)*G], p.wih, hi-lo, H, G)
				}
			}
		}
		// The two biases of a gate receive the same gradient.
		if fresh {
			copy(gp.bhh, gp.bih)
		} else {
			f32.Axpy(gp.bih, 1, bt.dbias)
			f32.Axpy(gp.bhh, 1, bt.dbias)
		}
		if l > 0 {
			bt.dh, bt.db = bt.db, bt.dh
		}
	}
	return back
}
