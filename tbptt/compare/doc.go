// Package compare answers the project's question with measurements: it
// trains one network per schedule and seed (package train), all alike but
// for the schedule — same initial weights and data order per seed, same
// budget — scores each best-dev checkpoint on test (package eval) and writes
// the results table and learning-curve plots.
//
// ParseSpecs reads the schedule list ("sentence,frame:k2=1,tbptt:k1=20:k2=20",
// with per-entry option overrides); Config.Plan numbers the runs and says
// which are done, to resume or new (RunState), and the budget's unit
// (BudgetUnit); Run trains them, up to Config.Jobs at a time, skipping
// finished runs and resuming interrupted ones. A RunRecord is one run's
// outcome; NewTable summarises records per schedule as mean ± sample
// standard deviation over seeds and renders Markdown, CSV and text; the
// plots (DevFERByEpoch, DevFERByTime, LossByUpdates) draw through
// internal/plot.
package compare
