// Package horizon measures how far back the error signal of a trained (or
// untrained) network reaches: Measure runs each sentence once and reports,
// per layer and lag d, the norms of ∂L_τ/∂h_{τ−d} and ∂L_τ/∂c_{τ−d} (mean
// and quantiles), and, for each k2, how close the gradient truncated at k2
// comes to full BPTT's (relative error, cosine), with the smallest k2 that
// keeps a given cosine. A Report writes CSV, JSON and plots; its Summary is
// what tbptt/train logs during training.
package horizon
