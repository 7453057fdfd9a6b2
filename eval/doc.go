// Package eval scores framewise phone classifiers and presents the results.
//
// Scoring. A Confusion counts scored frames by reference (rows) and
// hypothesis (columns). Confusion.AddSentence adds one sentence given the
// decoded outputs (Decode takes the arg-max of each row of log-posteriors)
// and the frame labels: frames labelled labels.Excluded are not scored, and
// with a target delay D output t is scored against label t−D (outputs t < D
// and the last D labels are not scored). The frame error rate (FER) is
// errors over scored frames.
//
// Folding to 39 classes (Lee & Hon) is done on the 61×61 matrix with
// Confusion.Fold: both reference and hypothesis are folded; frames whose
// reference is q are dropped (not scored), and frames whose hypothesis is q
// — which has no class — count as errors (Confusion.Unmapped). The network
// always chooses among all 61 phones; folding never changes its decision.
//
// Evaluate runs a model over a split (sentences in parallel) and returns a
// Report: FER-61, FER-39, frame counts, per-phone tables and both
// confusion matrices, writable as JSON, CSV and a heat map. Evaluate expects
// features already normalised as in training; EvaluateModel takes raw
// features, checks the checkpoint against the split (CheckCompatible) and
// applies the CMVN stored in the checkpoint.
//
// Comparison. A Run records one training run (schedule, seed, cost, best
// epoch, dev and test FER, learning curve); NewTable groups runs by schedule
// and summarises every column as mean ± sample standard deviation over
// seeds, marking the best value per column; it renders as Markdown, CSV and
// plain text. The plot helpers draw learning curves (one line per schedule,
// band over seeds), confusion heat maps and generic line plots with
// optional log axes, saved as PNG or SVG.
package eval
