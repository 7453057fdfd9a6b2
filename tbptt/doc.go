// Package tbptt turns weight-update schedules — per frame, per sentence, or
// truncated back-propagation through time — into exact gradients of the LSTM
// of package lstm: Schedule says when to update and how far back each error
// reaches, and Engine streams sentences through the network and hands every
// update's gradient to a step function. Nothing else lives here: the
// training loop and optimisers are in tbptt/train, the comparison of
// schedules in tbptt/compare and the gradient-horizon diagnostic in
// tbptt/horizon, each importing this package.
//
// # Notation
//
// Following Williams & Peng (1990), TBPTT(k1, k2) performs a weight update
// every k1 frames, back-propagating each error through at most k2 frames.
// Frames of a sentence are numbered 0 … n−1. L_τ is the cross-entropy
// (natural log) of the output at frame τ against the label of frame τ−D,
// D being the target delay; frames τ < D and frames whose label is
// labels.Excluded have no target and are not scored (nor are the labels
// of a sentence's last D frames: no output is scored against them). s(τ) is the first
// frame that error L_τ reaches. All (0) as k1 means one update at the
// sentence's end, as k2 "back to the sentence start".
//
// # Rules
//
//  1. Every sentence starts from zero state (h = c = 0). Updates happen
//     after every k1 frames of a sentence and at its last frame.
//  2. An update at frame t, the previous one being at p (−1 at the sentence
//     start), scores the frames p < τ ≤ t, error L_τ reaching back to the
//     window start s(τ) that the truncation mode gives (below).
//  3. The update's gradient is exactly Σ_τ ∂L_τ/∂θ at the current weights,
//     L_τ being computed by running frames s(τ) … τ with the current weights
//     from the state stored when frame s(τ)−1 was first processed (zero at
//     the sentence start), held constant. The activations of frames after
//     p were computed with the current weights, so a window with s > p is
//     back-propagated as stored; a window with s ≤ p is re-run from its
//     stored state first. Re-runs serve the gradient only: the state carried
//     to later frames is always the streaming one, each frame processed
//     once with the weights current at that moment.
//  4. k2 is a number ≥ 1 or All. k1 and k2 may be in any order.
//  5. Named schedules: "sentence" = TBPTT(n, n) (one update per sentence,
//     full BPTT); "frame" = TBPTT(1, k2), k2 = All unless given; "tbptt" is
//     the general case.
//  6. An update's loss is the sum (not the mean) of its scored frames'
//     cross-entropies. With plain SGD this makes a learning rate mean the
//     same under every schedule: an epoch's updates add up to about lr
//     times the sum of every frame's gradient, however they are grouped.
//     It does not with Adam, whose step is about lr per update whatever the
//     gradient's scale: a schedule with more updates per epoch moves the
//     weights further per epoch, so Adam's learning rate has to be chosen
//     per schedule (tbptt/compare tunes it).
//
// # Truncation modes
//
//   - Window (default; Williams & Peng's BPTT(h; h')): with
//     w = max(t−k2+1, 0), s(τ) = w if τ ≥ w, else s(τ) = τ: with k2 < k1,
//     errors before the window reach only their own frame. All errors share
//     one window: one forward and one backward pass.
//   - PerError: s(τ) = max(τ−k2+1, 0): every error reaches back exactly k2
//     frames (r2rt's "true" truncation).
//   - Chunk: as Window with w = max(t−k2+1, p+1, 0): the state is detached
//     at every update, as PyTorch, Keras and Lightning users do; nothing is
//     ever re-run.
//
// Window and PerError agree when k1 = 1 or k2 = All; Window equals Chunk
// except at a sentence's last, shorter update and when k2 > k1.
//
// # Worked example: TBPTT(3, 5) on a sentence of 8 frames
//
// Updates come after frames 2, 5 and 7 (the last, shorter one). Each entry
// lists the frames error L_τ back-propagates through; "re-run" marks
// windows recomputed with the current weights from a stored state.
//
//	update at t   τ   window        per-error     chunk
//	2 (p = −1)    0   0             0             0
//	              1   0–1           0–1           0–1
//	              2   0–2           0–2           0–2
//	5 (p = 2)     3   1–3 re-run    0–3 re-run    3
//	              4   1–4 re-run    0–4 re-run    3–4
//	              5   1–5 re-run    1–5 re-run    3–5
//	7 (p = 5)     6   3–6 re-run    2–6 re-run    6
//	              7   3–7 re-run    3–7 re-run    6–7
//
// In window mode the update at 5 re-runs frames 1–5 once (from the state
// stored after frame 0) and back-propagates all three errors through that
// one window; at 7 the window still reaches k2 = 5 frames back, across the
// update at 5. Per-error re-runs one window per error (errors whose windows
// reach the sentence start share one). Chunk never reaches before the
// previous update. With k2 < k1, e.g. TBPTT(5, 2) window, the update at 4
// back-propagates L_3 through 3 and L_4 through 3–4, while L_0, L_1 and L_2
// reach only their own frame.
//
// # Batches
//
// With batch B > 1 the Engine takes the sentences in consecutive groups of
// B and runs each group's sentences side by side as independent streams,
// all starting together from zero state. Updates come after every k1
// frames of the group and at its longest sentence's last frame (for
// "sentence": one update per group). A stream whose sentence ends between
// two update points contributes its remaining errors at the next one —
// exactly the gradient it would have had at its own last frame, since the
// weights do not change in between — with its last window placed as rule 2
// places it for an update at its own last frame. The update's gradient is
// the mean over the streams that processed at least one frame since the
// previous update of each stream's summed gradient. Streams do not wait
// for each other otherwise, so with B = 1 these are exactly rules 1–6.
//
// How a batch is computed does not change what it computes. Without
// peepholes, the streams run in lockstep through lstm.Batch, each frame's
// products over the streams being matrix–matrix products: a whole group
// for one update per group; otherwise, at every update, each stream's
// frames since the previous one from its streaming state, and the
// windows that reach further back re-run side by side from their stored
// states (window and chunk truncation with k2 ≥ k1, and per-error
// truncation where it equals the window rule). Other schedules, and
// peepholes, go stream by stream on a pool of goroutines. Either way the
// gradient does not depend on the number of cores.
//
// # Work done
//
// Stats counts every forward frame, re-runs included, and every frame of
// every backward pass; TBPTT(1, 20) costs about 20 forward and backward
// frames per frame, sentence-level BPTT one of each. The streaming loss and
// frame errors in Stats are those of the outputs computed once per frame.
//
// # Around the engine
//
//   - tbptt/train runs epochs of a Config: optimizers, clipping, the k2
//     curriculum, dev scoring, logs, checkpoints and bit-identical resume.
//   - tbptt/compare trains one run per schedule and seed on equal terms and
//     writes the results table and plots.
//   - tbptt/horizon measures how far back the error signal reaches.
package tbptt
