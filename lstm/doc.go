// Package lstm is the network: a stacked unidirectional LSTM with a linear
// soft-max output per frame, in float32, with exactly PyTorch nn.LSTM's
// equations and parameter layout, optional peepholes, truncated
// back-propagation through time, and safetensors checkpoints.
//
// For layer input x_t (the features, or the layer below's h_t), with gates
// in the order i, f, g, o in the 4H rows of W_ih [4H×I] and W_hh [4H×H]:
//
//	i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi + p_i ⊙ c_{t−1})
//	f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf + p_f ⊙ c_{t−1})
//	g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)
//	c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
//	o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho + p_o ⊙ c_t)
//	h_t = o_t ⊙ tanh(c_t)
//
// The peephole weights p_i, p_f, p_o (Graves & Schmidhuber 2005; diagonal,
// stored as one [3H] tensor) exist only with Config.Peepholes. The top
// layer's h_t feeds log softmax(W_out h_t + b_out); the loss of a frame is
// the cross-entropy −log p(y_t) in nats.
//
// All parameters live in one []float32 (Model.Params) in the order of
// Config.Layout, so optimisers and clipping work on flat slices; Grads has
// the same layout. Model.Tensor and Config.Views give named views.
//
// Training code (package tbptt) drives the network through a Trace: Start
// it from a state (zero, or one stored in another trace), Forward any
// number of frames (each layer's input projection for all of them is one
// matrix product), Outputs for the frames to be scored, then Backward over
// any range, the state before the range held constant: that is the
// truncation. Backward leaves ∂/∂h and ∂/∂c of every frame in the trace
// (StateGrad), for horizon diagnostics. Traces reuse their buffers, so
// steady-state training allocates nothing; Trace.Retain(r) makes a trace
// keep only its last r frames in a ring, so that truncated schedules need
// memory for k1+k2 frames, not for the sentence.
//
// Batch runs whole sentences of several streams side by side (ForwardBatch,
// BackwardBatch): one update per group of sentences, where each frame's
// recurrent products over the streams become matrix–matrix products that
// load every weight once per frame instead of once per stream. Its result
// is the per-stream traces' up to float32 rounding.
//
// The gate non-linearities and their gradient are internal/f32's LSTMCell
// and LSTMCellBackwardDC (without peepholes; with them, f32.Sigmoid and
// f32.Tanh inside a Go loop).
//
// Checkpoints (Save, Load, Encode, Decode) are safetensors files whose LSTM
// tensors carry nn.LSTM's names and shapes (lstm.weight_ih_l0 …), with
// output.weight, output.bias, optional cmvn.mean and cmvn.std, and the
// phone list, feature and training configuration, target delay and network
// shape as JSON strings in __metadata__. testdata/load_pytorch.py loads one
// into torch.nn.LSTM.
//
// Stream runs a network over a sequence that arrives in pieces (live
// audio), keeping only the state between pieces; its outputs are LogProbs's
// bit for bit.
package lstm
