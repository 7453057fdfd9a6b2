package lstm

import (
	"errors"
	"fmt"
)

// Config is the shape of a network.
type Config struct {
	Inputs    int  `json:"inputs"`    // feature dimension I
	Hidden    int  `json:"hidden"`    // cells per layer H
	Layers    int  `json:"layers"`    // stacked LSTM layers
	Outputs   int  `json:"outputs"`   // classes O
	Peepholes bool `json:"peepholes"` // Graves's diagonal peephole weights
}

// Validate reports whether c describes a network that can be built.
func (c Config) Validate() error {
	switch {
	case c.Inputs < 1:
		return fmt.Errorf("lstm: inputs %d < 1", c.Inputs)
	case c.Hidden < 1:
		return fmt.Errorf("lstm: hidden %d < 1", c.Hidden)
	case c.Layers < 1:
		return fmt.Errorf("lstm: layers %d < 1", c.Layers)
	case c.Outputs < 1:
		return fmt.Errorf("lstm: outputs %d < 1", c.Outputs)
	}
	// Keep every offset far inside int32-safe territory for the
	// safetensors header and the kernels.
	const maxParams = 1 << 30
	n := c.Layers*(4*c.Hidden*(c.Inputs+c.Hidden+2)+3*c.Hidden) + c.Outputs*(c.Hidden+1)
	if c.Inputs > maxParams || c.Hidden > 1<<15 || c.Layers > 1024 || c.Outputs > maxParams || n > maxParams || n < 0 {
		return errors.New("lstm: network too large")
	}
	return nil
}

// Tensor names one parameter tensor inside the flat parameter vector:
// Data()[Offset : Offset+Size()] holds it, row-major with the given shape
// (PyTorch's shapes: weight_ih [4H, I], weight_hh [4H, H], biases [4H],
// peephole [3H], output.weight [O, H], output.bias [O]).
type Tensor struct {
	Name   string
	Shape  []int
	Offset int
}

// Size is the number of elements of t.
func (t Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Layout lists the parameter tensors in the order they occupy the flat
// parameter vector, with their checkpoint names. Per layer k the order is
// lstm.weight_ih_l{k}, lstm.weight_hh_l{k}, lstm.bias_ih_l{k},
// lstm.bias_hh_l{k} and, with peepholes, lstm.peephole_l{k} (i, f, o);
// then output.weight and output.bias.
func (c Config) Layout() []Tensor {
	var ts []Tensor
	off := 0
	add := func(name string, shape ...int) {
		t := Tensor{Name: name, Shape: shape, Offset: off}
		off += t.Size()
		ts = append(ts, t)
	}
	H := c.Hidden
	for k := range c.Layers {
		in := c.Inputs
		if k > 0 {
			in = H
		}
		add(fmt.Sprintf("lstm.weight_ih_l%d", k), 4*H, in)
		add(fmt.Sprintf("lstm.weight_hh_l%d", k), 4*H, H)
		add(fmt.Sprintf("lstm.bias_ih_l%d", k), 4*H)
		add(fmt.Sprintf("lstm.bias_hh_l%d", k), 4*H)
		if c.Peepholes {
			add(fmt.Sprintf("lstm.peephole_l%d", k), 3*H)
		}
	}
	add("output.weight", c.Outputs, H)
	add("output.bias", c.Outputs)
	return ts
}

// NumParams is the length of the flat parameter vector.
func (c Config) NumParams() int {
	ts := c.Layout()
	last := ts[len(ts)-1]
	return last.Offset + last.Size()
}

// layerIn is the input width of layer k.
func (c Config) layerIn(k int) int {
	if k == 0 {
		return c.Inputs
	}
	return c.Hidden
}
