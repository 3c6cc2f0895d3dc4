package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
)

// Mutant is one change to one source file: Len bytes at Offset replaced by
// Repl.
type Mutant struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Col    int    `json:"col"`
	Op     string `json:"op"`
	Desc   string `json:"desc"`
	Offset int    `json:"offset"`
	Len    int    `json:"len"`
	Repl   string `json:"repl"`
}

// ID names the mutant: file:line:col:operator.
func (m Mutant) ID() string { return fmt.Sprintf("%s:%d:%d:%s", m.File, m.Line, m.Col, m.Op) }

// Apply returns src with the mutant's change made.
func (m Mutant) Apply(src []byte) []byte {
	out := make([]byte, 0, len(src)+len(m.Repl))
	out = append(out, src[:m.Offset]...)
	out = append(out, m.Repl...)
	return append(out, src[m.Offset+m.Len:]...)
}

// The operators, named as gremlins names the ones it shares with it.
var (
	boundary = map[token.Token]token.Token{
		token.LSS: token.LEQ, token.LEQ: token.LSS, token.GTR: token.GEQ, token.GEQ: token.GTR,
	}
	negation = map[token.Token]token.Token{
		token.EQL: token.NEQ, token.NEQ: token.EQL, token.LSS: token.GEQ,
		token.LEQ: token.GTR, token.GTR: token.LEQ, token.GEQ: token.LSS,
	}
	arithmetic = map[token.Token]token.Token{
		token.ADD: token.SUB, token.SUB: token.ADD, token.MUL: token.QUO, token.QUO: token.MUL, token.REM: token.MUL,
	}
	logical    = map[token.Token]token.Token{token.LAND: token.LOR, token.LOR: token.LAND}
	bitwise    = map[token.Token]token.Token{token.AND: token.OR, token.OR: token.AND, token.AND_NOT: token.AND}
	assignment = map[token.Token]token.Token{
		token.ADD_ASSIGN: token.SUB_ASSIGN, token.SUB_ASSIGN: token.ADD_ASSIGN,
		token.MUL_ASSIGN: token.QUO_ASSIGN, token.QUO_ASSIGN: token.MUL_ASSIGN,
		token.OR_ASSIGN: token.AND_ASSIGN, token.AND_ASSIGN: token.OR_ASSIGN,
	}
	incdec   = map[token.Token]token.Token{token.INC: token.DEC, token.DEC: token.INC}
	loopctrl = map[token.Token]token.Token{token.BREAK: token.CONTINUE, token.CONTINUE: token.BREAK}
)

type finder struct {
	fset *token.FileSet
	file string
	src  []byte
	out  []Mutant
}

// findMutants lists the mutants of one file, only inside the functions
// named in funcs when it is not nil.
func findMutants(file string, funcs map[string]bool) ([]Mutant, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	f := &finder{fset: token.NewFileSet(), file: file, src: src}
	af, err := parser.ParseFile(f.fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	for _, d := range af.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil || (funcs != nil && !funcs[fd.Name.Name]) {
			continue
		}
		ast.Inspect(fd.Body, f.visit)
	}
	return f.out, nil
}

func (f *finder) add(pos token.Pos, length int, repl, op, desc string) {
	p := f.fset.Position(pos)
	f.out = append(f.out, Mutant{File: f.file, Line: p.Line, Col: p.Column, Op: op, Desc: desc,
		Offset: p.Offset, Len: length, Repl: repl})
}

// swap adds a mutant replacing the operator tok at pos, when table has it.
func (f *finder) swap(pos token.Pos, tok token.Token, table map[token.Token]token.Token, op string) {
	if to, ok := table[tok]; ok {
		f.add(pos, len(tok.String()), to.String(), op, fmt.Sprintf("`%s` → `%s`", tok, to))
	}
}

func (f *finder) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.BinaryExpr:
		f.binary(n)
	case *ast.AssignStmt:
		f.swap(n.TokPos, n.Tok, assignment, "INVERT_ASSIGNMENTS")
	case *ast.IncDecStmt:
		f.swap(n.TokPos, n.Tok, incdec, "INCREMENT_DECREMENT")
	case *ast.BranchStmt:
		f.swap(n.TokPos, n.Tok, loopctrl, "INVERT_LOOPCTRL")
	case *ast.UnaryExpr:
		switch n.Op {
		case token.NOT:
			f.add(n.OpPos, 1, "", "REMOVE_NOT", "`!` removed")
		case token.SUB:
			f.add(n.OpPos, 1, "", "INVERT_NEGATIVES", "unary `-` removed")
		}
	case *ast.ExprStmt:
		f.remove(n, "REMOVE_CALL", "call statement removed")
	case *ast.IfStmt:
		if n.Else == nil && endsEarly(n.Body) {
			f.remove(n, "REMOVE_GUARD", "early-exit `if` removed")
		}
	}
	return true
}

func (f *finder) binary(n *ast.BinaryExpr) {
	f.swap(n.OpPos, n.Op, boundary, "CONDITIONALS_BOUNDARY")
	f.swap(n.OpPos, n.Op, negation, "CONDITIONALS_NEGATION")
	f.swap(n.OpPos, n.Op, logical, "INVERT_LOGICAL")
	f.swap(n.OpPos, n.Op, bitwise, "INVERT_BITWISE")
	if !isString(n.X) && !isString(n.Y) {
		f.swap(n.OpPos, n.Op, arithmetic, "ARITHMETIC_BASE")
	}
}

// remove adds a mutant that deletes the statement n.
func (f *finder) remove(n ast.Node, op, desc string) {
	start, end := f.fset.Position(n.Pos()).Offset, f.fset.Position(n.End()).Offset
	f.add(n.Pos(), end-start, "", op, desc)
}

func isString(e ast.Expr) bool {
	b, ok := e.(*ast.BasicLit)
	return ok && b.Kind == token.STRING
}

// endsEarly reports whether a block ends by leaving: return, break,
// continue or goto.
func endsEarly(b *ast.BlockStmt) bool {
	if len(b.List) == 0 {
		return false
	}
	switch b.List[len(b.List)-1].(type) {
	case *ast.ReturnStmt, *ast.BranchStmt:
		return true
	}
	return false
}
