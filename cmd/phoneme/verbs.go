package main

import "github.com/urfave/cli/v3"

// verbs returns the subcommands in the order help lists them. Each lives in
// a file of its own (extract.go, train.go, …).
func verbs() []*cli.Command {
	return []*cli.Command{
		extractCommand(),
		trainCommand(),
		compareCommand(),
		classifyCommand(),
		horizonCommand(),
		evalCommand(),
		demoCommand(),
		benchCommand(),
		versionCommand(),
	}
}
