package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `package p

func f(a, b int, ok bool) int {
	if a < b {
		return a
	}
	for i := 0; i < b; i++ {
		if !ok {
			continue
		}
		a += i
		g()
	}
	return -a * b
}

func g() {}

func skipped(a int) bool { return a == 1 }
`

// TestFindMutants checks which mutants a small function gives, and that
// each mutant changes exactly its operator.
func TestFindMutants(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.go")
	if err := os.WriteFile(file, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := findMutants(file, map[string]bool{"f": true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Op+" "+string(m.Apply([]byte(sample))[m.Offset:m.Offset+len(m.Repl)])+"@"+itoa(m.Line))
	}
	want := []string{
		"REMOVE_GUARD @4",
		"CONDITIONALS_BOUNDARY <=@4",
		"CONDITIONALS_NEGATION >=@4",
		"CONDITIONALS_BOUNDARY <=@7",
		"CONDITIONALS_NEGATION >=@7",
		"INCREMENT_DECREMENT --@7",
		"REMOVE_GUARD @8",
		"REMOVE_NOT @8",
		"INVERT_LOOPCTRL break@9",
		"INVERT_ASSIGNMENTS -=@11",
		"REMOVE_CALL @12",
		"ARITHMETIC_BASE /@14",
		"INVERT_NEGATIVES @14",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("mutants of f (-want +got):\n%s", d)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestApply(t *testing.T) {
	m := Mutant{Offset: 2, Len: 1, Repl: "<="}
	if got := string(m.Apply([]byte("a < b"))); got != "a <= b" {
		t.Errorf("Apply = %q, want %q", got, "a <= b")
	}
}

func TestVerdicts(t *testing.T) {
	tests := []struct {
		line    string
		want    verdict
		wantErr bool
	}{
		{line: "a/b.go:12 equivalent the same error", want: verdict{file: "a/b.go", from: 12, to: 12, kind: kindEquivalent, why: "the same error"}},
		{line: "a/b.go:3-9 outside a sweep", want: verdict{file: "a/b.go", from: 3, to: 9, kind: kindOutside, why: "a sweep"}},
		{line: "a/b.go:3 unknown why", wantErr: true},
		{line: "a/b.go equivalent why", wantErr: true},
		{line: "a/b.go:x gap why", wantErr: true},
		{line: "a/b.go:3", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseVerdict(tt.line)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseVerdict(%q): %v, want an error: %v", tt.line, err, tt.wantErr)
			continue
		}
		if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(verdict{})); d != "" {
			t.Errorf("parseVerdict(%q) (-want +got):\n%s", tt.line, d)
		}
	}
	vs := verdicts{{file: "f.go", from: 3, to: 5, kind: kindOutside}, {file: "f.go", from: 4, to: 4, kind: kindGap}}
	for line, want := range map[int]string{2: kindNone, 3: kindOutside, 4: kindOutside, 6: kindNone} {
		if got := vs.of(Mutant{File: "f.go", Line: line}).kind; got != want {
			t.Errorf("verdict of line %d = %s, want %s (the first that covers it)", line, got, want)
		}
	}
}

func TestProfile(t *testing.T) {
	p := profile{"f.go": {{startLine: 3, startCol: 2, endLine: 5, endCol: 10, count: 1}, {startLine: 7, startCol: 1, endLine: 8, endCol: 3, count: 0}}}
	for _, tt := range []struct {
		line, col int
		want      bool
	}{
		{3, 2, true}, {5, 10, true}, {5, 11, true}, {7, 5, false}, {8, 3, false}, {9, 1, true},
	} {
		if got := p.has("f.go", tt.line, tt.col); got != tt.want {
			t.Errorf("has(%d:%d) = %v, want %v", tt.line, tt.col, got, tt.want)
		}
	}
}
