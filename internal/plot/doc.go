// Package plot draws the project's pictures with gonum/plot: line plots
// with bands and log axes (Lines), confusion-matrix heat maps (Confusion),
// saved as PNG, SVG, PDF or EPS through a temporary file (Save). It takes
// plain slices, so the packages that only score (eval) do not link it; the
// rooms that draw (tbptt/compare, tbptt/horizon, the eval verb) do.
package plot
