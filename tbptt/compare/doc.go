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
//
// A comparison may also run as independent, indexed tasks on machines that
// share the output folder (job arrays): Config.Tasks numbers the runs,
// RunTask trains one, claiming its run folder (claim.json, an exclusive
// create kept fresh by a heartbeat and taken over once stale) after
// checking the folder's plan file, and Collect writes the tables and plots
// from the finished runs. SlurmArray and K8sJob write the jobs that run
// the tasks on Slurm and on Kubernetes.
package compare
