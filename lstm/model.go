package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/phoneme/phoneme/internal/f32"
)

// Model is a stacked unidirectional LSTM with a linear soft-max output
// layer, computing PyTorch nn.LSTM's equations in float32. All parameters
// live in one contiguous slice (Params); the per-tensor slices below are
// views into it.
type Model struct {
	cfg    Config
	params []float32
	layers []layerParams
	outW   []float32 // O×H
	outB   []float32 // O
}

// layerParams are views of one layer's tensors.
type layerParams struct {
	in       int       // input width
	wih      []float32 // 4H×in
	whh      []float32 // 4H×H
	bih, bhh []float32 // 4H
	peep     []float32 // 3H (i, f, o) or nil
}

// New returns a network with PyTorch's initialisation: every LSTM weight
// and bias, and the output layer's weight and bias, drawn from
// U(−1/√H, 1/√H) using rng. Peephole weights are drawn the same way.
func New(c Config, rng *rand.Rand) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("lstm: nil random source")
	}
	m := newModel(c, make([]float32, c.NumParams()))
	bound := 1 / math.Sqrt(float64(c.Hidden))
	for i := range m.params {
		m.params[i] = float32((2*rng.Float64() - 1) * bound)
	}
	return m, nil
}

// newModel wraps params (of length c.NumParams()) without copying.
func newModel(c Config, params []float32) *Model {
	m := &Model{cfg: c, params: params}
	views := c.Views(params)
	i := 0
	next := func() []float32 { v := views[i]; i++; return v }
	for k := range c.Layers {
		lp := layerParams{in: c.layerIn(k)}
		lp.wih, lp.whh, lp.bih, lp.bhh = next(), next(), next(), next()
		if c.Peepholes {
			lp.peep = next()
		}
		m.layers = append(m.layers, lp)
	}
	m.outW, m.outB = next(), next()
	return m
}

// Views cuts flat (a parameter or gradient vector of length NumParams) into
// the tensors of Layout, in the same order.
func (c Config) Views(flat []float32) [][]float32 {
	ts := c.Layout()
	v := make([][]float32, len(ts))
	for i, t := range ts {
		v[i] = flat[t.Offset : t.Offset+t.Size() : t.Offset+t.Size()]
	}
	return v
}

// Config returns the network's shape.
func (m *Model) Config() Config { return m.cfg }

// Params returns the flat parameter vector (not a copy): optimisers update
// it in place.
func (m *Model) Params() []float32 { return m.params }

// Tensor returns the view of the named parameter tensor (a Layout name such
// as "lstm.weight_hh_l0"), or nil if there is none.
func (m *Model) Tensor(name string) []float32 {
	for _, t := range m.cfg.Layout() {
		if t.Name == name {
			return m.params[t.Offset : t.Offset+t.Size()]
		}
	}
	return nil
}

// Clone returns a deep copy of m.
func (m *Model) Clone() *Model {
	return newModel(m.cfg, append([]float32(nil), m.params...))
}

// Grads is a gradient with the layout of Model.Params.
type Grads struct {
	Data []float32
	// deferred: Data counts as zero, but is cleared or overwritten only
	// by the next Backward (tensor by tensor) or by Settle.
	deferred bool
}

// NewGrads returns a zero gradient for m.
func (m *Model) NewGrads() *Grads {
	return &Grads{Data: make([]float32, len(m.params))}
}

// Zero clears g.
func (g *Grads) Zero() { clear(g.Data); g.deferred = false }

// ZeroDeferred makes g zero for the next Backward into it without clearing
// it now: that Backward writes each weight matrix's first contribution
// over it (f32.MatTMulSet) and clears the small tensors just before adding
// to them. With an update per frame, a separate pass clearing the whole
// gradient costs about a seventh of the update. The result is the same as
// Zero followed by the Backward, bit for bit. Until that Backward or
// Settle, Data must not be read or written.
func (g *Grads) ZeroDeferred() { g.deferred = true }

// Settle completes a pending ZeroDeferred (clears g if no Backward has run
// since), so that Data can be read.
func (g *Grads) Settle() {
	if g.deferred {
		g.Zero()
	}
}

// gradModel gives g the per-tensor views of a Model so that backward passes
// can address it like the parameters.
func (m *Model) gradViews(g *Grads) *Model {
	if len(g.Data) != len(m.params) {
		panic(fmt.Sprintf("lstm: gradient of length %d for %d parameters", len(g.Data), len(m.params)))
	}
	return newModel(m.cfg, g.Data)
}

// outputs sets the rows×O log-posteriors logp of the rows×H top-layer
// states h: log softmax(W_out h + b_out), row by row.
func (m *Model) outputs(logp, h []float32, rows int) {
	O, H := m.cfg.Outputs, m.cfg.Hidden
	for r := range rows {
		copy(logp[r*O:(r+1)*O], m.outB)
	}
	f32.MatMulT(logp, h, m.outW, rows, O, H)
	f32.LogSoftmaxRows(logp[:rows*O], rows, O)
}

// gradProduct is the weight-gradient product C += Aᵀ·B of a backward
// pass, or C = Aᵀ·B (f32.MatTMulSet, the bits of clearing C first) when
// set: the tensor's first contribution after Grads.ZeroDeferred.
func gradProduct(set bool) func(c, a, b []float32, m, n, k int) {
	if set {
		return f32.MatTMulSet
	}
	return f32.MatTMul
}

// fillBias sets each of the rows rows of gates (rows×4H) to b_ih + b_hh,
// the gate pre-activations before the products add to them: the sum once
// (the same rounding as adding b_hh to each copy of b_ih), then copies.
func (p *layerParams) fillBias(gates []float32, rows int) {
	if rows == 0 {
		return
	}
	G := len(p.bih)
	copy(gates[:G], p.bih)
	f32.Axpy(gates[:G], 1, p.bhh)
	for r := 1; r < rows; r++ {
		copy(gates[r*G:(r+1)*G], gates[:G])
	}
}
