package f32

import "math"

// Sigmoid replaces every x[i] by σ(x[i]) = 1/(1+e^(−x[i])).
//
// The fast versions use a polynomial exponential (Cephes expf); their
// absolute error against float64 math is below 1e-6 everywhere (measured
// at most 9e-8, see TestActivationAccuracy), and NaN stays NaN.
func Sigmoid(x []float32) {
	n := 0
	if impl != implPortable {
		n = len(x) &^ 7
		if n > 0 {
			sigmoidAvx2(&x[0], n)
		}
	}
	for i := n; i < len(x); i++ {
		x[i] = sigmoid(x[i])
	}
}

// Tanh sets dst[i] = tanh(src[i]) for every i < len(dst); dst may be
// src. The accuracy is that stated for Sigmoid (absolute error;
// tanh(x) = 1 − 2/(1+e^(2x)) loses relative accuracy near 0, where its
// absolute error is about 1e-7).
func Tanh(dst, src []float32) {
	checkLen("Tanh", "src", src, len(dst))
	n := 0
	if impl != implPortable {
		n = len(dst) &^ 7
		if n > 0 {
			tanhAvx2(&dst[0], &src[0], n)
		}
	}
	for i := n; i < len(dst); i++ {
		dst[i] = tanh(src[i])
	}
}

// LSTMCell applies the non-linearities of one LSTM step for hidden cells,
// with PyTorch's gate order. gates (4·hidden) holds the pre-activations of
// the input, forget, cell and output gates; they are replaced by their
// activations i = σ, f = σ, g = tanh, o = σ. Then
//
//	c = f⊙cPrev + i⊙g,  h = o⊙tanh(c).
//
// The accuracy of σ and tanh is that of Sigmoid and Tanh.
func LSTMCell(gates, cPrev, c, h []float32, hidden int) {
	checkLen("LSTMCell", "gates", gates, 4*hidden)
	checkLen("LSTMCell", "cPrev", cPrev, hidden)
	checkLen("LSTMCell", "c", c, hidden)
	checkLen("LSTMCell", "h", h, hidden)
	n := 0
	if impl != implPortable {
		n = hidden &^ 7
		if n > 0 {
			lstmCellAvx2(&gates[0], &cPrev[0], &c[0], &h[0], hidden, n)
		}
	}
	for j := n; j < hidden; j++ {
		i := sigmoid(gates[j])
		f := sigmoid(gates[hidden+j])
		g := tanh(gates[2*hidden+j])
		o := sigmoid(gates[3*hidden+j])
		gates[j], gates[hidden+j], gates[2*hidden+j], gates[3*hidden+j] = i, f, g, o
		cj := f*cPrev[j] + i*g
		c[j] = cj
		h[j] = o * tanh(cj)
	}
}

// LSTMCellBackward is the gradient of LSTMCell. gates holds the
// activations LSTMCell left, cPrev and c the cell states before and after
// the step, dh the gradient of the loss with respect to h, and dc its
// gradient with respect to c through later steps. It writes the gradient
// with respect to the 4·hidden gate pre-activations into dgates and with
// respect to cPrev into dcPrev (which may be dc itself):
//
//	dc' = dc + dh⊙o⊙(1−tanh²c)
//	di = dc'⊙g⊙i(1−i)   df = dc'⊙cPrev⊙f(1−f)
//	dg = dc'⊙i⊙(1−g²)   do = dh⊙tanh(c)⊙o(1−o)
//	dcPrev = dc'⊙f
func LSTMCellBackward(dgates, dcPrev, gates, cPrev, c, dh, dc []float32, hidden int) {
	lstmCellBackward("LSTMCellBackward", dgates, nil, dcPrev, gates, cPrev, c, dh, dc, hidden)
}

// LSTMCellBackwardDC is LSTMCellBackward that also writes dc', the total
// gradient with respect to c (through h and through later steps), into
// dcTotal: training code keeps it for diagnostics. dcTotal must not
// overlap the other arguments.
func LSTMCellBackwardDC(dgates, dcTotal, dcPrev, gates, cPrev, c, dh, dc []float32, hidden int) {
	checkLen("LSTMCellBackwardDC", "dcTotal", dcTotal, hidden)
	lstmCellBackward("LSTMCellBackwardDC", dgates, dcTotal, dcPrev, gates, cPrev, c, dh, dc, hidden)
}

func lstmCellBackward(fn string, dgates, dcTotal, dcPrev, gates, cPrev, c, dh, dc []float32, hidden int) {
	checkLen(fn, "dgates", dgates, 4*hidden)
	checkLen(fn, "dcPrev", dcPrev, hidden)
	checkLen(fn, "gates", gates, 4*hidden)
	checkLen(fn, "cPrev", cPrev, hidden)
	checkLen(fn, "c", c, hidden)
	checkLen(fn, "dh", dh, hidden)
	checkLen(fn, "dc", dc, hidden)
	n := 0
	if impl != implPortable {
		n = hidden &^ 7
		if n > 0 {
			var dct *float32
			if dcTotal != nil {
				dct = &dcTotal[0]
			}
			lstmCellBackwardAvx2(&dgates[0], &dcPrev[0], &gates[0], &cPrev[0], &c[0], &dh[0], &dc[0], dct, hidden, n)
		}
	}
	for j := n; j < hidden; j++ {
		i, f, g, o := gates[j], gates[hidden+j], gates[2*hidden+j], gates[3*hidden+j]
		tc := tanh(c[j])
		// x(1−x) and (1−x)(1+x) rather than x−x² and 1−x²: no
		// cancellation when x is near 1 (the assembly uses a fused
		// multiply-subtract, which is accurate too).
		dcj := dc[j] + dh[j]*o*((1-tc)*(1+tc))
		if dcTotal != nil {
			dcTotal[j] = dcj
		}
		dgates[3*hidden+j] = dh[j] * tc * (o * (1 - o))
		dgates[j] = dcj * g * (i * (1 - i))
		dgates[2*hidden+j] = dcj * i * ((1 - g) * (1 + g))
		dgates[hidden+j] = dcj * cPrev[j] * (f * (1 - f))
		dcPrev[j] = dcj * f
	}
}

// The portable activations: float64 math, rounded once.

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

func tanh(x float32) float32 { return float32(math.Tanh(float64(x))) }
