// Command phoneme extracts features from phone-labelled speech, trains
// unidirectional LSTM frame classifiers under different weight-update
// schedules (per frame, per sentence, truncated BPTT) and compares them.
//
// Each verb lives in its own file; this file only assembles them and maps
// errors to exit codes: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/phoneme/phoneme/tbptt/compare"
	"github.com/phoneme/phoneme/tbptt/train"
	"github.com/urfave/cli/v3"
)

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// errWriter is where progress and notes go: the command's error writer,
// standard error unless a test set another.
func errWriter(cmd *cli.Command) io.Writer {
	if w := cmd.Root().ErrWriter; w != nil {
		return w
	}
	return os.Stderr
}

// usagef returns a usage error (exit code 2).
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// verbs lists the subcommands; each verb file adds itself from an init-free
// constructor so the list reads in help order.
func newApp() *cli.Command {
	app := &cli.Command{
		Name:     "phoneme",
		Usage:    "framewise phoneme classification with LSTMs, and when to back-propagate",
		Commands: verbs(),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return usagef("unknown command %q (see phoneme --help)", cmd.Args().First())
			}
			return cli.ShowAppHelp(cmd)
		},
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
	}
	markUsageErrors(app)
	return app
}

// markUsageErrors makes flag-parsing failures of every command exit with 2.
func markUsageErrors(c *cli.Command) {
	c.OnUsageError = func(ctx context.Context, cmd *cli.Command, err error, isSubcommand bool) error {
		return usageError{err}
	}
	for _, sub := range c.Commands {
		markUsageErrors(sub)
	}
}

func main() {
	ctx, stop := interruptible()
	code := runMain(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interruptible returns a context cancelled by the first Ctrl-C or
// SIGTERM, which lets the verb save a resumable state and stop; a second
// one exits at once (code 130), as restic does, for a user who will not
// wait for the state to be written.
func interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			cancel()
		case <-done:
			return
		}
		select {
		case <-sig:
			fmt.Fprintln(os.Stderr, "phoneme: interrupted twice: exiting without saving")
			os.Exit(130)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}

// runMain runs the command line args with standard output stdout and returns
// the exit code. Every verb's output goes through a writer that remembers
// its first failure: output that could not be written (a full disk, a
// closed pipe) fails the command even when the verb did not look.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp()
	out := &checkedWriter{w: stdout}
	app.Writer, app.ErrWriter = out, stderr
	err := app.Run(ctx, args)
	if err == nil && out.err != nil {
		err = fmt.Errorf("write standard output: %w", out.err)
	}
	return exitCode(stderr, err)
}

// checkedWriter passes writes on and keeps the first error.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// exitCode prints err as one line on w and returns the process exit code.
func exitCode(w io.Writer, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(w, "phoneme: %v%s\n", err, hint(err))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// hint is what the user can do about an error that a library reports
// without naming flags: the libraries do not know the command line.
func hint(err error) string {
	switch {
	case errors.Is(err, train.ErrDiverged):
		return " (lower --lr or set --clip)"
	case errors.Is(err, compare.ErrSeedPerEntry):
		return " (give them with --seeds)"
	case errors.Is(err, train.ErrInterrupted):
		return " (continue with the same command and --resume; compare resumes by itself)"
	}
	return ""
}
