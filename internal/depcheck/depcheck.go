// Package depcheck holds the measurements behind the README's
// "Dependencies" section: what github.com/go-audio/wav,
// github.com/mjibson/go-dsp and github.com/urfave/cli/v2 do on the inputs
// that made phoneme use something else, next to gonum and urfave/cli/v3.
//
// It is a module of its own, so that none of these enter phoneme's go.mod;
// run it with
//
//	cd internal/depcheck && go test -v -bench . -benchmem
package depcheck
