// Command _asm generates the Go assembly of package f32 with avo
// (github.com/mmcloughlin/avo). It is its own module, like the standard
// library's crypto/sha256/_asm, so that avo never becomes a dependency of
// the main module. Run it through go generate in internal/f32:
//
//	cd internal/f32 && go generate
//
// which runs `go run -C _asm . -dir ..` and rewrites
//
//	avx2_amd64.s    A·Bᵀ, Σ x·B rows, x·yᵀ, Aᵀ·B, the FMA peak loop and A·B on 8-lane YMM registers
//	avx512_amd64.s  the same kernels on 16-lane ZMM registers
//	act_amd64.s     the element-wise kernels (activations, LSTM cell,
//	                optimisers, norm, scaled exp, log softmax's row
//	                max/sum-of-exp and subtraction), AVX2, and 16-lane
//	                versions of Adam and of the lockstep batch's row
//	                kernels (LSTM cell forward and backward over rows,
//	                log softmax, scaled exp)
//
// The products are described once (gemmnt.go, axpyrows.go, addouter.go,
// gemmtn.go) and instantiated for each vector level (vec.go). The
// generated instruction sequences are those of the hand-written assembly
// they replaced, instruction for instruction; the golden test in
// internal/f32 pins the output bits, and check.sh verifies that the
// committed files are what this generator produces.
//
// Every routine uses physical registers only (no avo register
// allocation): the register plan is part of the design (which registers
// hold the accumulators, which the masks) and is documented in each
// description.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
)

func main() {
	out := flag.String("dir", "..", "directory of package f32, where the .s files are written")
	flag.Parse()

	step, err := loadAdamStep(filepath.Join(*out, "optim.go"))
	if err != nil {
		fail(err)
	}
	files := []struct {
		name string
		gen  func(*gen)
	}{
		{"avx2_amd64.s", func(g *gen) { products(g, avx2) }},
		{"avx512_amd64.s", func(g *gen) { products(g, avx512) }},
		{"act_amd64.s", func(g *gen) { elementwise(g, step) }},
	}
	for _, f := range files {
		src, err := generate(f.gen)
		if err != nil {
			fail(fmt.Errorf("%s: %w", f.name, err))
		}
		path := filepath.Join(*out, f.name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, src) {
			continue
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "f32/_asm:", err)
	os.Exit(1)
}

// generate builds one assembly file with a fresh avo context and returns
// its text.
func generate(body func(*gen)) ([]byte, error) {
	g := &gen{Context: build.NewContext()}
	g.ConstraintExpr("!purego")
	body(g)
	f, err := g.Result()
	if err != nil {
		return nil, err
	}
	if err := pass.Compile.Execute(f); err != nil {
		return nil, err
	}
	cfg := printer.Config{Name: "avo from internal/f32/_asm (go generate in internal/f32)"}
	return printer.NewGoAsm(cfg).Print(f)
}

// products emits the four product kernels of one vector level.
func products(g *gen, v *vec) {
	v.prelude(g)
	gemmNT(g, v)
	axpyRows(g, v)
	addOuter(g, v)
	gemmTN(g, v)
	fmaLoop(g, v)
	gemmNN(g, v)
}
