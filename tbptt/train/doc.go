// Package train trains the LSTM of package lstm under a schedule of package
// tbptt: Run takes a Config and the training and dev splits and writes the
// best-dev and last checkpoints, the epoch logs and a resumable state.
//
// The pieces:
//
//   - Config is everything that determines a run; two runs with equal
//     configurations on the same data reach bit-identical weights. Options
//     describes each option once (name, kind, default, validation, help):
//     the command-line flags, a comparison's per-entry overrides and the
//     README's option table are made from it.
//   - Optimizers (NewSGD, NewAdam; PyTorch's update rules, DefaultLR) and
//     ClipGradNorm work on the model's flat parameter slice; their state
//     marshals exactly.
//   - Run shuffles with a seeded PCG, feeds tbptt.Engine in groups of
//     Config.Batch (read ahead from feats.ark when the training split was
//     opened with data.OpenSplit, in memory otherwise), scores dev (eval) after every epoch, stops at the limits
//     (epochs, updates, frames, seconds, patience: StopReason), and saves a
//     resumable state at every epoch end and on cancellation, from which a
//     resumed Run reaches the same weights as an uninterrupted one, bit for
//     bit. K2Schedule changes k2 with the epoch (a curriculum); LogHorizon
//     records tbptt/horizon's summary as training goes.
//   - Errors: ErrInterrupted (state saved), ErrDiverged (no non-finite
//     checkpoint written), *OptionError (a bad option value). They name no
//     command-line flags; the CLI adds those hints.
//   - Bench times training under each schedule on synthetic sentences, for
//     phoneme bench.
package train
