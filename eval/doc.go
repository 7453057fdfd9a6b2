// Package eval scores framewise phone classifiers: it checks a checkpoint
// against data, runs it, decodes its outputs and counts its errors.
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
// Report: FER-61, FER-39, frame counts, per-phone statistics (PhoneStat)
// and both confusion matrices, writable as text, JSON and CSV. Evaluate
// expects features already normalised as in training; EvaluateModel takes
// raw features, checks the checkpoint against the split and applies the
// CMVN stored in the checkpoint.
//
// The report also scores each sentence (Report.Utterances, UtteranceScore,
// in the split's order): frames and errors over 61 phones and over 39
// classes, counted frame by frame with the rule Fold applies to the matrix,
// so that they sum exactly to the report's totals. They are the raw data of
// paired significance tests and are left out of the JSON report.
//
// Phone error rates. A decoder turns an utterance's log-posteriors into a
// phone string: GreedyPhones (arg-max per frame, repeats merged) or a
// ViterbiDecoder over a PhoneLoop, a phone-loop hybrid graph (per-phone
// minimum-duration chains with self-loops, a smoothed phone bigram, a
// prior scale, an LM weight and an insertion penalty) built by
// NewPhoneLoop from DecoderStats counted on the training split
// (ComputeDecoderStats) and DecoderWeights tuned on dev (TuneDecoder). The
// search is exact Viterbi with no allocation per frame. EditDistance
// aligns the string with the reference (data.Sentence.Phones, from the
// split's text file) and counts substitutions, deletions and insertions;
// ScorePhones does it over 61 phones and over 39 classes (FoldPhones:
// Lee & Hon, q removed, neighbours not merged, as Kaldi's TIMIT recipe);
// SummarizePER totals them per split and speaker. EvaluateModelPER adds
// the phone error rates to a Report. A DecoderFile holds a tuned decoder
// (statistics and weights) for one checkpoint.
//
// Compatibility. CheckModel is the one check of a checkpoint (lstm.Model
// and lstm.Metadata, as lstm.Load returns them) against a split: input
// dimension, outputs and phone list, feature configuration (a metadata
// that does not parse is an error), CMVN statistics, target delay and every
// sentence's width and labels. Its errors are *CheckError values wrapping
// ErrIncompatible, with a Kind saying what differs. With no split it checks
// the checkpoint alone.
//
// Classification. Classify labels new audio: features with the
// checkpoint's configuration (computed as data's extraction computes them),
// the checkpoint's CMVN, the network's log-posteriors, their arg-max per
// frame and, shifted by the target delay, phone segments (Segments) that
// WritePHN writes in TIMIT's .PHN format; WriteLabels writes them as a
// Praat TextGrid, an Audacity label track, CTM or JSON, with each segment's
// confidence (SegmentConfidence). Stream does the same on audio as it
// arrives, closing each segment as soon as the frame after it is decided,
// with exactly Classify's result.
package eval
