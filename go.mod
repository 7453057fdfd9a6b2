module github.com/phoneme/phoneme

go 1.26.0

require github.com/urfave/cli/v3 v3.14.0
