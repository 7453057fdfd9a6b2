package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"

	"github.com/mmcloughlin/avo/gotypes"
)

// adamStep is package f32's AdamStep type, read from its declaration in
// optim.go so that adamAvx2's field offsets follow the Go struct.
type adamStep struct {
	pkg    *types.Package // holding just AdamStep
	offset map[string]int // field offsets in bytes
}

func loadAdamStep(path string) (*adamStep, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var spec *ast.TypeSpec
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
			for _, s := range gd.Specs {
				if ts := s.(*ast.TypeSpec); ts.Name.Name == "AdamStep" {
					spec = ts
				}
			}
		}
	}
	if spec == nil {
		return nil, fmt.Errorf("%s: no type AdamStep", path)
	}
	file := &ast.File{
		Name:  ast.NewIdent("f32"),
		Decls: []ast.Decl{&ast.GenDecl{Tok: token.TYPE, Specs: []ast.Spec{spec}}},
	}
	pkg, err := new(types.Config).Check("github.com/phoneme/phoneme/internal/f32", fset, []*ast.File{file}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: AdamStep: %w", path, err)
	}
	st, ok := pkg.Scope().Lookup("AdamStep").Type().Underlying().(*types.Struct)
	if !ok {
		return nil, fmt.Errorf("%s: AdamStep is not a struct", path)
	}
	var fields []*types.Var
	for i := range st.NumFields() {
		fields = append(fields, st.Field(i))
	}
	offsets := gotypes.Sizes.Offsetsof(fields)
	s := &adamStep{pkg: pkg, offset: map[string]int{}}
	for i, fv := range fields {
		if b, ok := fv.Type().(*types.Basic); !ok || b.Kind() != types.Float32 {
			return nil, fmt.Errorf("%s: AdamStep.%s is not a float32", path, fv.Name())
		}
		s.offset[fv.Name()] = int(offsets[i])
	}
	return s, nil
}

// field is the offset of a field of AdamStep.
func (s *adamStep) field(name string) int {
	off, ok := s.offset[name]
	if !ok {
		panic("AdamStep has no field " + name)
	}
	return off
}
