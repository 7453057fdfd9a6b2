package lstm

import (
	"fmt"

	"github.com/phoneme/phoneme/internal/f32"
)

// Trace holds the activations of consecutive frames of one stream, run from
// an initial state: what a backward pass needs, and after it the gradients
// with respect to every frame's state (StateGrad). Frame j of a trace is the
// j-th frame it ran; its buffers are sized by Start and reused, so a trace
// kept across sentences stops allocating once it has seen the longest.
//
// By default a trace keeps every frame's activations. After Retain(r) it
// keeps only the last r frames' (and the state before them) in a ring, so
// its memory grows with r, not with the sentence: what truncated schedules
// need, whose updates never reach further back.
//
// A Trace belongs to one Model shape and one goroutine.
type Trace struct {
	cfg    Config
	n      int       // frames run
	cap    int       // frames Start reserved
	ring   int       // frames kept (0: all); set by Retain, in force from Start
	keep   int       // Retain's request
	rows   int       // per-frame rows: cap, or ring if smaller
	x      []float32 // layer-0 inputs, cap×I
	layers []traceLayer
	logp   []float32 // rows×O log-posteriors (Outputs)
	da     []float32 // rows×4H scratch: gate pre-activation gradients of one layer
	dcy    []float32 // H scratch: gradient reaching c_{t−1} through c_t
	dY     []float32 // n×O scratch: output gradients of a Backward
	gview  *Model    // views of the last gradient Backward accumulated into
}

// Per-frame rows hold frame j at row slot(j); state rows hold the state
// after frame j (j = −1: the initial state) at row sslot(j). Without a ring
// these are j and j+1.
type traceLayer struct {
	gates  []float32 // rows×4H: activated gates i, f, g, o
	h, c   []float32 // (rows+1)×H: states
	tc     []float32 // rows×H: tanh(c), with peepholes only
	dh, dc []float32 // rows×H: ∂(loss)/∂h_j and ∂(loss)/∂c_j from the last Backward
}

// NewTrace returns an empty trace for m's shape.
func (m *Model) NewTrace() *Trace {
	return &Trace{cfg: m.cfg, layers: make([]traceLayer, m.cfg.Layers),
		dcy: make([]float32, m.cfg.Hidden)}
}

// grow returns s resized to n, reallocating only when it must.
func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n, n+n/4)
}

// Start empties tr for a run over the frames whose layer-0 inputs are the
// rows of x (len(x) a multiple of Inputs; x is used, not copied, and must
// not change until the trace is done with). The initial state is the state
// of from after its frame `after` (−1: from's own initial state), or zero
// if from is nil.
func (tr *Trace) Start(x []float32, from *Trace, after int) {
	c := tr.cfg
	if len(x)%c.Inputs != 0 {
		panic(fmt.Sprintf("lstm: input of length %d is not a multiple of %d", len(x), c.Inputs))
	}
	n := len(x) / c.Inputs
	tr.n, tr.cap, tr.x = 0, n, x
	tr.ring, tr.rows = 0, n
	if tr.keep > 0 && tr.keep < n {
		tr.ring, tr.rows = tr.keep, tr.keep
	}
	H, R := c.Hidden, tr.rows
	tr.logp = grow(tr.logp, R*c.Outputs)
	tr.da = grow(tr.da, R*4*H)
	for l := range tr.layers {
		L := &tr.layers[l]
		L.gates = grow(L.gates, R*4*H)
		L.h = grow(L.h, (R+1)*H)
		L.c = grow(L.c, (R+1)*H)
		if c.Peepholes {
			L.tc = grow(L.tc, R*H) // LSTMCellBackward recomputes it otherwise
		}
		L.dh = grow(L.dh, R*H)
		L.dc = grow(L.dc, R*H)
		if from == nil {
			clear(L.h[:H])
			clear(L.c[:H])
		} else {
			h, c := from.State(l, after)
			copy(L.h[:H], h)
			copy(L.c[:H], c)
		}
	}
}

// Retain makes the trace keep, from the next Start on, only the
// activations of its last frames frames (and the state before them);
// frames ≤ 0 keeps all. Older frames can then no longer be read, back-
// propagated or used as a starting state (that panics).
func (tr *Trace) Retain(frames int) { tr.keep = max(frames, 0) }

// slot is frame j's row in the per-frame buffers.
func (tr *Trace) slot(j int) int {
	if tr.ring > 0 {
		return j % tr.ring
	}
	return j
}

// sslot is the row of the state after frame j (j ≥ −1) in h and c.
func (tr *Trace) sslot(j int) int {
	if tr.ring > 0 {
		return (j + 1) % (tr.ring + 1)
	}
	return j + 1
}

// span returns how many of the frames j, j+1, … (at most n) have
// consecutive per-frame rows and consecutive rows for the states before
// and after each of them, so that one matrix product can serve them.
func (tr *Trace) span(j, n int) int {
	if tr.ring == 0 {
		return n
	}
	return max(1, min(n, tr.ring-j%tr.ring, tr.ring-j%(tr.ring+1)))
}

// kept panics unless frames lo … n−1 are still held.
func (tr *Trace) kept(what string, lo int) {
	if tr.ring > 0 && lo < tr.n-tr.ring {
		panic(fmt.Sprintf("lstm: %s from frame %d of a trace of %d that keeps the last %d", what, lo, tr.n, tr.ring))
	}
}

// Len is the number of frames run since Start.
func (tr *Trace) Len() int { return tr.n }

// State returns layer l's h and c after frame j (j = −1: the initial
// state), as views.
func (tr *Trace) State(l, j int) (h, c []float32) {
	H := tr.cfg.Hidden
	if j < -1 || j >= tr.n {
		panic(fmt.Sprintf("lstm: state after frame %d of a trace of %d", j, tr.n))
	}
	tr.kept("state", j+1)
	L := &tr.layers[l]
	r := tr.sslot(j)
	return L.h[r*H : (r+1)*H], L.c[r*H : (r+1)*H]
}

// StateGrad returns layer l's ∂E/∂h_j and ∂E/∂c_j as computed by the last
// Backward over a range containing frame j, where E is that call's scaled
// loss (all paths: through the layer above or the output, and through later
// frames within the range).
func (tr *Trace) StateGrad(l, j int) (dh, dc []float32) {
	H := tr.cfg.Hidden
	tr.kept("state gradient", j)
	L := &tr.layers[l]
	r := tr.slot(j)
	return L.dh[r*H : (r+1)*H], L.dc[r*H : (r+1)*H]
}

// LogProbs returns the log-posteriors of frame j as computed by the last
// Outputs covering it.
func (tr *Trace) LogProbs(j int) []float32 {
	O := tr.cfg.Outputs
	tr.kept("log-posteriors", j)
	r := tr.slot(j)
	return tr.logp[r*O : (r+1)*O]
}

// Forward runs the next frames frames of tr with m's current weights, layer
// by layer: each layer's input projection for all of them is one matrix
// product, then the recurrence runs frame by frame.
func (m *Model) Forward(tr *Trace, frames int) {
	j0, j1 := tr.n, tr.n+frames
	if frames < 0 || j1 > tr.cap {
		panic(fmt.Sprintf("lstm: forward to frame %d of a trace started for %d", j1, tr.cap))
	}
	H := m.cfg.Hidden
	G := 4 * H
	// Frames go in spans whose rows are consecutive (all of them, without
	// a ring), each through every layer: within a span, each layer's input
	// projection is one matrix product.
	for a := j0; a < j1; {
		b := a + tr.span(a, j1-a)
		for l := range m.layers {
			p := &m.layers[l]
			L := &tr.layers[l]
			var in []float32
			if l == 0 {
				in = tr.x[a*p.in : b*p.in]
			} else {
				r := tr.sslot(a)
				in = tr.layers[l-1].h[r*H : (r+b-a)*H]
			}
			r := tr.slot(a)
			gates := L.gates[r*G : (r+b-a)*G]
			p.fillBias(gates, b-a)
			f32.MatMulT(gates, in, p.wih, b-a, G, p.in)
			for j := a; j < b; j++ {
				r, sp, sn := tr.slot(j), tr.sslot(j-1), tr.sslot(j)
				row := L.gates[r*G : (r+1)*G]
				hp, cp := L.h[sp*H:(sp+1)*H], L.c[sp*H:(sp+1)*H]
				hn, cn := L.h[sn*H:(sn+1)*H], L.c[sn*H:(sn+1)*H]
				f32.MatVec(row, p.whh, G, H, hp)
				if p.peep == nil {
					f32.LSTMCell(row, cp, cn, hn, H)
					continue
				}
				cellForward(row, cp, cn, L.tc[r*H:(r+1)*H], hn, p.peep, H)
			}
		}
		a = b
	}
	tr.n = j1
}

// cellForward turns the gate pre-activations a (4H: i, f, g, o) into
// activations in place and computes the new cell state cn, tanh(cn) and the
// output h from the previous cell state cp.
func cellForward(a, cp, cn, tc, h, peep []float32, H int) {
	ai, af, ag, ao := a[:H], a[H:2*H], a[2*H:3*H], a[3*H:4*H]
	cp, cn, tc, h = cp[:H], cn[:H], tc[:H], h[:H]
	if peep != nil {
		pi, pf := peep[:H], peep[H:2*H]
		for k := range H {
			ai[k] += pi[k] * cp[k]
			af[k] += pf[k] * cp[k]
		}
	}
	f32.Sigmoid(a[:2*H])
	f32.Tanh(ag, ag)
	for k := range H {
		cn[k] = af[k]*cp[k] + ai[k]*ag[k]
	}
	if peep != nil {
		po := peep[2*H : 3*H]
		for k := range H {
			ao[k] += po[k] * cn[k]
		}
	}
	f32.Sigmoid(ao)
	f32.Tanh(tc, cn)
	for k := range H {
		h[k] = ao[k] * tc[k]
	}
}

// Outputs computes the log-posteriors of frames lo ≤ j < hi of tr.
func (m *Model) Outputs(tr *Trace, lo, hi int) {
	if lo < 0 || hi > tr.n || lo > hi {
		panic(fmt.Sprintf("lstm: outputs of frames [%d, %d) of a trace of %d", lo, hi, tr.n))
	}
	tr.kept("outputs", lo)
	O, H := m.cfg.Outputs, m.cfg.Hidden
	top := tr.layers[m.cfg.Layers-1].h
	for a := lo; a < hi; {
		b := a + tr.span(a, hi-a)
		r, sr := tr.slot(a), tr.sslot(a)
		m.outputs(tr.logp[r*O:(r+b-a)*O], top[sr*H:(sr+b-a)*H], b-a)
		a = b
	}
}

// Backward accumulates into g the gradient of scale·Σ_τ L_τ over the frames
// τ of tr with max(lo, firstScored) ≤ τ < hi and targets[τ] ≥ 0, where L_τ
// = −log p(targets[τ] | frame τ), back-propagating through frames lo … hi−1
// only: the state before frame lo is held constant (the truncation). The
// scored frames' Outputs must be current. It leaves ∂/∂h_j and ∂/∂c_j of
// every frame in [lo, hi) in StateGrad and returns the number of frames
// back-propagated (hi − lo, or 0 when nothing is scored).
func (m *Model) Backward(g *Grads, tr *Trace, lo, hi int, targets []int32, firstScored int, scale float32) int {
	if lo < 0 || hi > tr.n || lo > hi {
		panic(fmt.Sprintf("lstm: backward over frames [%d, %d) of a trace of %d", lo, hi, tr.n))
	}
	gv := tr.gview
	if gv == nil || len(g.Data) == 0 || &gv.params[0] != &g.Data[0] {
		gv = m.gradViews(g)
		tr.gview = gv
	}
	tr.kept("backward", lo)
	// After g.ZeroDeferred (fresh), each tensor of g is overwritten by, or
	// cleared just before, its first contribution below (every tensor gets
	// one), or all of g is cleared when nothing is scored: the same bits
	// as clearing g up front.
	fresh := g.deferred
	g.deferred = false
	reset := func(t []float32) {
		if fresh {
			clear(t)
		}
	}
	c := m.cfg
	H, O, G := c.Hidden, c.Outputs, 4*c.Hidden
	n := hi - lo
	top := &tr.layers[c.Layers-1]
	// Output layer: dY (n×O, zero for unscored frames) gives the output
	// weights' gradient as one product per span, and ∂/∂h of the top layer.
	tr.dY = grow(tr.dY, n*O)
	reset(gv.outB)
	scored := 0
	for τ := lo; τ < hi; τ++ {
		r := tr.slot(τ)
		dh, dy := top.dh[r*H:(r+1)*H], tr.dY[(τ-lo)*O:(τ-lo+1)*O]
		clear(dh)
		y := int32(-1)
		if τ >= firstScored {
			y = targets[τ]
		}
		if y < 0 {
			clear(dy)
			continue
		}
		if int(y) >= O {
			panic(fmt.Sprintf("lstm: target %d of frame %d ≥ %d outputs", y, τ, O))
		}
		scored++
		f32.ExpScale(dy, tr.logp[r*O:(r+1)*O], scale)
		dy[y] -= scale
		f32.Axpy(gv.outB, 1, dy)
		f32.MatTVec(dh, m.outW, O, H, dy)
	}
	if scored == 0 {
		reset(g.Data)
		return 0
	}
	// The weight gradients' first span overwrites them when fresh.
	for a := lo; a < hi; {
		b := a + tr.span(a, hi-a)
		sr := tr.sslot(a)
		gradProduct(fresh && a == lo)(gv.outW, tr.dY[(a-lo)*O:(b-lo)*O], top.h[sr*H:(sr+b-a)*H], O, H, b-a)
		a = b
	}
	for l := c.Layers - 1; l >= 0; l-- {
		p, gp := &m.layers[l], &gv.layers[l]
		L := &tr.layers[l]
		da := tr.da[:n*G]
		clear(tr.dcy)
		if gp.peep != nil {
			reset(gp.peep)
		}
		for t := hi - 1; t >= lo; t-- {
			r, sp, sn := tr.slot(t), tr.sslot(t-1), tr.sslot(t)
			dh := L.dh[r*H : (r+1)*H]
			if t+1 < hi {
				f32.MatTVec(dh, p.whh, G, H, da[(t+1-lo)*G:(t+2-lo)*G])
			}
			if p.peep == nil {
				// dcy is both the gradient arriving through c_{t+1} and,
				// afterwards, the one leaving through c_{t−1}.
				f32.LSTMCellBackwardDC(da[(t-lo)*G:(t+1-lo)*G], L.dc[r*H:(r+1)*H], tr.dcy,
					L.gates[r*G:(r+1)*G], L.c[sp*H:(sp+1)*H], L.c[sn*H:(sn+1)*H], dh, tr.dcy, H)
				continue
			}
			cellBackward(da[(t-lo)*G:(t+1-lo)*G], L.dc[r*H:(r+1)*H], tr.dcy, dh,
				L.gates[r*G:(r+1)*G], L.c[sp*H:(sp+1)*H], L.c[sn*H:(sn+1)*H], L.tc[r*H:(r+1)*H], p.peep, gp.peep, H)
		}
		reset(gp.bih)
		reset(gp.bhh)
		for a := lo; a < hi; {
			b := a + tr.span(a, hi-a)
			d := da[(a-lo)*G : (b-lo)*G]
			var in []float32
			if l == 0 {
				in = tr.x[a*p.in : b*p.in]
			} else {
				sr := tr.sslot(a)
				in = tr.layers[l-1].h[sr*H : (sr+b-a)*H]
			}
			gradProduct(fresh && a == lo)(gp.wih, d, in, G, p.in, b-a)
			sp := tr.sslot(a - 1)
			gradProduct(fresh && a == lo)(gp.whh, d, L.h[sp*H:(sp+b-a)*H], G, H, b-a)
			a = b
		}
		for t := range n {
			f32.Axpy(gp.bih, 1, da[t*G:(t+1)*G])
			f32.Axpy(gp.bhh, 1, da[t*G:(t+1)*G])
		}
		if l > 0 {
			below := &tr.layers[l-1]
			for t := lo; t < hi; t++ {
				r := tr.slot(t)
				dh := below.dh[r*H : (r+1)*H]
				clear(dh)
				f32.MatTVec(dh, p.wih, G, H, da[(t-lo)*G:(t-lo+1)*G])
			}
		}
	}
	return n
}

// cellBackward computes one frame's gate pre-activation gradients da (4H)
// and ∂/∂c_t (dc) from ∂/∂h_t (dh) and dcy, the gradient reaching c_t
// through c_{t+1}; it leaves in dcy the gradient reaching c_{t−1} through
// c_t. act are the activated gates, cp and cn the cell states before and
// after the frame, tc = tanh(cn). Peephole gradients accumulate into gpeep.
func cellBackward(da, dc, dcy, dh, act, cp, cn, tc, peep, gpeep []float32, H int) {
	ai, af, ag, ao := act[:H], act[H:2*H], act[2*H:3*H], act[3*H:4*H]
	di, df, dg, do := da[:H], da[H:2*H], da[2*H:3*H], da[3*H:4*H]
	dc, dcy, dh, cp, cn, tc = dc[:H], dcy[:H], dh[:H], cp[:H], cn[:H], tc[:H]
	var pi, pf, po, gi, gf, gO []float32
	if peep != nil {
		pi, pf, po = peep[:H], peep[H:2*H], peep[2*H:3*H]
		gi, gf, gO = gpeep[:H], gpeep[H:2*H], gpeep[2*H:3*H]
	}
	for k := range H {
		i, f, g, o, t := ai[k], af[k], ag[k], ao[k], tc[k]
		dao := dh[k] * t * o * (1 - o)
		d := dcy[k] + dh[k]*o*(1-t*t)
		if peep != nil {
			d += dao * po[k]
		}
		dai := d * g * i * (1 - i)
		daf := d * cp[k] * f * (1 - f)
		dag := d * i * (1 - g*g)
		carry := d * f
		if peep != nil {
			carry += dai*pi[k] + daf*pf[k]
			gi[k] += dai * cp[k]
			gf[k] += daf * cp[k]
			gO[k] += dao * cn[k]
		}
		di[k], df[k], dg[k], do[k] = dai, daf, dag, dao
		dc[k] = d
		dcy[k] = carry
	}
}
