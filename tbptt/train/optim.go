package train

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/phoneme/phoneme/internal/f32"
)

// An Optimizer updates a flat parameter vector from a gradient of the same
// length (lstm.Model.Params and lstm.Grads.Data). Its state (momentum, Adam
// moments, step count) round-trips exactly through MarshalBinary and
// UnmarshalBinary, so an interrupted run resumes bit for bit.
type Optimizer interface {
	// Step applies one update: params -= f(grads, state).
	Step(params, grads []float32)
	// LearningRate reports the current learning rate (for logs).
	LearningRate() float64
	MarshalBinary() ([]byte, error)
	UnmarshalBinary(data []byte) error
}

// An OptimizerKind names an optimizer. Its value is the name, so that
// configurations and resume files keep the words they always had; the zero
// value is unset.
type OptimizerKind string

// The optimizers NewOptimizer makes.
const (
	OptSGD  OptimizerKind = "sgd"  // SGD with momentum
	OptAdam OptimizerKind = "adam" // Adam
)

// ParseOptimizer returns the optimizer kind called name.
func ParseOptimizer(name string) (OptimizerKind, error) {
	switch k := OptimizerKind(name); k {
	case OptSGD, OptAdam:
		return k, nil
	}
	return "", fmt.Errorf("unknown optimizer %q (want sgd or adam)", name)
}

// NewOptimizer returns the optimizer called name for n parameters. momentum
// is used by SGD only.
func NewOptimizer(name OptimizerKind, n int, lr, momentum float64) (Optimizer, error) {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("learning rate must be a positive number, not %v", lr)
	}
	switch name {
	case OptSGD:
		if momentum < 0 || momentum >= 1 || math.IsNaN(momentum) {
			return nil, fmt.Errorf("momentum must be in [0, 1), not %v", momentum)
		}
		return NewSGD(n, lr, momentum), nil
	case OptAdam:
		return NewAdam(n, lr), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want sgd or adam)", name)
}

// SGD is stochastic gradient descent with momentum, with PyTorch's
// torch.optim.SGD semantics (dampening 0, no Nesterov, no weight decay):
//
//	v ← μ·v + g;  p ← p − lr·v
//
// With v starting at zero the first step is v = g, as in PyTorch.
type SGD struct {
	LR, Momentum float64
	v            []float32 // velocity; nil when Momentum is 0
}

// NewSGD returns SGD with momentum for n parameters.
func NewSGD(n int, lr, momentum float64) *SGD {
	s := &SGD{LR: lr, Momentum: momentum}
	if momentum != 0 {
		s.v = make([]float32, n)
	}
	return s
}

// LearningRate returns s.LR.
func (s *SGD) LearningRate() float64 { return s.LR }

// Step applies one SGD update. It panics if the lengths differ: that is a
// programming error, not a user one.
func (s *SGD) Step(params, grads []float32) {
	checkLen(len(params), len(grads))
	lr := float32(s.LR)
	if s.v == nil {
		for i, g := range grads {
			params[i] -= lr * g
		}
		return
	}
	checkLen(len(params), len(s.v))
	// f32.Momentum rounds each product as PyTorch's separate mul_/add_
	// kernels do (no FMA fusion), identically in every implementation.
	f32.Momentum(params, grads, s.v[:len(params)], lr, float32(s.Momentum))
}

// Adam is the Adam optimizer with PyTorch's torch.optim.Adam semantics
// (β1 0.9, β2 0.999, ε 1e-8 added after the bias-corrected square root, no
// weight decay, no AMSGrad):
//
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	// Split, if set, runs a step over ranges that cover the parameters
	// (tbptt.Engine.ParallelRange: the batch's goroutines, awake between
	// updates). The update is element-wise, so the result is the same
	// bits however the ranges fall; with batches on several cores the
	// step would otherwise run on one while the others wait.
	Split func(n int, f func(lo, hi int))
	step  int64
	m, v  []float32

	// The step being run in ranges (stepRange, made once so that a step
	// allocates nothing).
	params, grads []float32
	st            f32.AdamStep
	stepRange     func(lo, hi int)
}

// NewAdam returns Adam with PyTorch's default betas and epsilon.
func NewAdam(n int, lr float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		m: make([]float32, n), v: make([]float32, n)}
}

// LearningRate returns a.LR.
func (a *Adam) LearningRate() float64 { return a.LR }

// Steps returns the number of updates applied so far.
func (a *Adam) Steps() int64 { return a.step }

// Step applies one Adam update.
func (a *Adam) Step(params, grads []float32) {
	checkLen(len(params), len(grads))
	checkLen(len(params), len(a.m))
	a.step++
	// f32.Adam performs PyTorch's separately rounded float32 operations
	// (√v divided by √(1−β2ᵗ), no FMA), identically in every
	// implementation, at about 8× (AVX2) or 15× (AVX-512) the speed of
	// a Go loop: with the frame schedule this step runs after every frame.
	st := f32.NewAdamStep(a.LR, a.Beta1, a.Beta2, a.Eps, a.step)
	if a.Split == nil {
		f32.Adam(params, grads, a.m, a.v, st)
		return
	}
	if a.stepRange == nil {
		a.stepRange = a.rangeStep
	}
	a.params, a.grads, a.st = params, grads, st
	a.Split(len(params), a.stepRange)
	a.params, a.grads = nil, nil
}

// rangeStep is the step of Step over the parameters lo ≤ i < hi.
func (a *Adam) rangeStep(lo, hi int) {
	f32.Adam(a.params[lo:hi], a.grads[lo:hi], a.m[lo:hi], a.v[lo:hi], a.st)
}

func checkLen(n, m int) {
	if n != m {
		panic(fmt.Sprintf("tbptt: optimizer length mismatch: %d parameters, %d values", n, m))
	}
}

// ClipGradNorm scales grads in place so that their global L2 norm is at
// most maxNorm, with PyTorch's clip_grad_norm_ semantics: the scale is
// maxNorm/(norm+1e-6), applied only when it is below 1. It returns the norm
// before clipping (computed in float64). maxNorm ≤ 0 only measures.
func ClipGradNorm(grads []float32, maxNorm float64) float64 {
	// f32.SumSquares sums in float64 (16 interleaved partial sums, the
	// same in every implementation) at about 6× the speed of a Go loop:
	// with the frame schedule and --clip this runs after every frame.
	norm := math.Sqrt(f32.SumSquares(grads))
	if maxNorm > 0 {
		if c := maxNorm / (norm + 1e-6); c < 1 {
			f32.Scale(grads, float32(c))
		}
	}
	return norm
}

// Binary state layout: a kind tag, the hyper-parameters as float64 bits,
// the step count, then the float32 state vectors, all little-endian.
const (
	sgdTag  = "phoneme.sgd.v1"
	adamTag = "phoneme.adam.v1"
)

// MarshalBinary encodes the hyper-parameters and velocity exactly.
func (s *SGD) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	writeTag(&b, sgdTag)
	writeF64(&b, s.LR, s.Momentum)
	writeVec(&b, s.v)
	return b.Bytes(), nil
}

// UnmarshalBinary restores a state written by MarshalBinary. The vector
// length must match the one s was created with.
func (s *SGD) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	if err := readTag(r, sgdTag); err != nil {
		return err
	}
	hp, err := readF64(r, 2)
	if err != nil {
		return err
	}
	v, err := readVec(r)
	if err != nil {
		return err
	}
	switch {
	case hp[1] == 0 && len(v) != 0:
		return errors.New("sgd state: velocity without momentum")
	case hp[1] != 0 && s.v != nil && len(v) != len(s.v):
		return fmt.Errorf("sgd state: %d values, optimizer has %d", len(v), len(s.v))
	}
	if r.Len() != 0 {
		return errors.New("sgd state: trailing bytes")
	}
	s.LR, s.Momentum = hp[0], hp[1]
	if s.Momentum == 0 {
		v = nil
	}
	s.v = v
	return nil
}

// MarshalBinary encodes the hyper-parameters, step count and moments
// exactly.
func (a *Adam) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	writeTag(&b, adamTag)
	writeF64(&b, a.LR, a.Beta1, a.Beta2, a.Eps)
	binary.Write(&b, binary.LittleEndian, a.step)
	writeVec(&b, a.m)
	writeVec(&b, a.v)
	return b.Bytes(), nil
}

// UnmarshalBinary restores a state written by MarshalBinary. The vector
// lengths must match the ones a was created with.
func (a *Adam) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	if err := readTag(r, adamTag); err != nil {
		return err
	}
	hp, err := readF64(r, 4)
	if err != nil {
		return err
	}
	var step int64
	if err := binary.Read(r, binary.LittleEndian, &step); err != nil || step < 0 {
		return errors.New("adam state: bad step count")
	}
	m, err := readVec(r)
	if err != nil {
		return err
	}
	v, err := readVec(r)
	if err != nil {
		return err
	}
	if len(m) != len(a.m) || len(v) != len(a.m) {
		return fmt.Errorf("adam state: %d/%d values, optimizer has %d", len(m), len(v), len(a.m))
	}
	if r.Len() != 0 {
		return errors.New("adam state: trailing bytes")
	}
	a.LR, a.Beta1, a.Beta2, a.Eps = hp[0], hp[1], hp[2], hp[3]
	a.step, a.m, a.v = step, m, v
	return nil
}

func writeTag(b *bytes.Buffer, tag string) {
	b.WriteByte(byte(len(tag)))
	b.WriteString(tag)
}

func readTag(r *bytes.Reader, want string) error {
	n, err := r.ReadByte()
	if err != nil {
		return errors.New("optimizer state: empty")
	}
	got := make([]byte, n)
	if _, err := r.Read(got); err != nil || string(got) != want {
		return fmt.Errorf("optimizer state: kind %q, want %q", got, want)
	}
	return nil
}

func writeF64(b *bytes.Buffer, xs ...float64) {
	for _, x := range xs {
		binary.Write(b, binary.LittleEndian, math.Float64bits(x))
	}
}

func readF64(r *bytes.Reader, n int) ([]float64, error) {
	out := make([]float64, n)
	for i := range out {
		var u uint64
		if err := binary.Read(r, binary.LittleEndian, &u); err != nil {
			return nil, errors.New("optimizer state: truncated")
		}
		out[i] = math.Float64frombits(u)
	}
	return out, nil
}

func writeVec(b *bytes.Buffer, v []float32) {
	binary.Write(b, binary.LittleEndian, uint64(len(v)))
	var buf [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(x))
		b.Write(buf[:])
	}
}

func readVec(r *bytes.Reader) ([]float32, error) {
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, errors.New("optimizer state: truncated")
	}
	if n > uint64(r.Len())/4 {
		return nil, errors.New("optimizer state: truncated vector")
	}
	v := make([]float32, n)
	var buf [4]byte
	for i := range v {
		r.Read(buf[:])
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[:]))
	}
	return v, nil
}
