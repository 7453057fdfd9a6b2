// Package features turns 16-bit speech samples into the acoustic feature vectors the
// networks are trained on: Kaldi-compatible MFCCs, their deltas and delta-deltas, and
// global mean/variance normalisation statistics.
//
// The pieces fit together as follows. A Config holds the options of Kaldi's
// compute-mfcc-feats and add-deltas (DefaultConfig: 25 ms frames every 10 ms, 23 mel
// bins, 13 cepstra with C0 replaced by the raw log energy, deltas of order 2 — 39
// dimensions), and is recorded with every feature archive. Its methods answer the
// framing questions other packages ask: FrameLength and FrameShift in samples,
// NumFrames for a signal, and FrameCentre, the sample at which a frame's phone label is
// taken. An Extractor, built once per goroutine by NewExtractor, precomputes the window,
// the mel filterbank, the DCT matrix, the lifter and an FFT plan (its own radix-2 power
// spectrum for power-of-two lengths, about 5× faster than gonum's real FFT, which it
// keeps for other lengths: see powerFFT), and Compute
// turns one utterance into a Matrix of frames × Config.Dim() float32 values, allocating
// nothing per frame. Stats accumulates the count, sum and sum of squares of features over
// a training split (in parallel workers, combined with Merge); MeanStd turns them into
// the mean and standard deviation that Normalize applies to every split when features
// are read. Archives keep raw features, as Kaldi does.
//
// Compute follows Kaldi step by step, in float64: frames are cut with or without
// snip-edges (reflecting the signal at its ends), the DC offset is removed, the raw log
// energy is taken, the frame is pre-emphasised (the first sample against itself) and
// windowed, zero-padded to a power of two and transformed; the power spectrum goes
// through triangular filters equally spaced on the mel scale 1127 ln(1 + f/700), the
// filter outputs are floored at FLT_EPSILON and logged, an orthonormal type-II DCT and
// the cepstral lifter give the cepstra, and C0 is replaced by the log energy. Deltas
// apply Kaldi's add-deltas filters to the static cepstra, repeating the first and last
// frames at the edges. The tests compare every coefficient with
// torchaudio.compliance.kaldi.mfcc on committed reference values (testdata/kaldi_ref.py
// regenerates them); the agreement is within 1e-5.
//
// StreamExtractor computes the same rows from a signal that arrives in
// pieces, each as soon as no later sample can change it. Resampler (and
// Resample) converts between sample rates with a Kaiser-windowed sinc,
// pass-band to 95 % of the lower Nyquist frequency, stop-band 120 dB down.
//
// Dither is not implemented (Validate rejects a nonzero value), so features are
// deterministic; nor are VTLN, HTK compatibility and per-utterance mean subtraction.
package features
