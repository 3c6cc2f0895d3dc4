package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// The verdicts on a surviving mutant.
const (
	kindEquivalent  = "equivalent"  // no test through kv.Store can ever tell it apart
	kindOutside     = "outside"     // differs only in what the contract leaves open or the suite's configuration excludes
	kindUnreachable = "unreachable" // differs only on an error path that needs a failing disk or database
	kindGap         = "gap"         // a gap in the suite
	kindNone        = "no verdict"
)

// verdict is what a line of the verdicts file says about some survivors.
type verdict struct {
	file     string
	from, to int // lines
	kind     string
	why      string
}

type verdicts []verdict

// readVerdicts reads a verdicts file: one verdict a line, as
//
//	file:line[-line] kind why...
//
// where kind is equivalent, outside, unreachable or gap; # starts a
// comment. The first line that covers a mutant's line gives its verdict.
func readVerdicts(name string) (verdicts, error) {
	if name == "" {
		return nil, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var vs verdicts
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := parseVerdict(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		vs = append(vs, v)
	}
	return vs, sc.Err()
}

func parseVerdict(line string) (verdict, error) {
	fields := strings.SplitN(line, " ", 3)
	if len(fields) < 3 {
		return verdict{}, fmt.Errorf("want file:line kind why, got %q", line)
	}
	where, kind, why := fields[0], fields[1], strings.TrimSpace(fields[2])
	switch kind {
	case kindEquivalent, kindOutside, kindUnreachable, kindGap:
	default:
		return verdict{}, fmt.Errorf("unknown verdict %q", kind)
	}
	i := strings.LastIndex(where, ":")
	if i < 0 {
		return verdict{}, fmt.Errorf("want file:line, got %q", where)
	}
	v := verdict{file: where[:i], kind: kind, why: why}
	lines := strings.SplitN(where[i+1:], "-", 2)
	var err error
	if v.from, err = strconv.Atoi(lines[0]); err != nil {
		return verdict{}, err
	}
	v.to = v.from
	if len(lines) == 2 {
		if v.to, err = strconv.Atoi(lines[1]); err != nil {
			return verdict{}, err
		}
	}
	return v, nil
}

// of returns the verdict on m.
func (vs verdicts) of(m Mutant) verdict {
	for _, v := range vs {
		if v.file == m.File && v.from <= m.Line && m.Line <= v.to {
			return v
		}
	}
	return verdict{kind: kindNone}
}

func kindCounts(byKind map[string]int) string {
	if len(byKind) == 0 {
		return "none"
	}
	var parts []string
	for k, n := range byKind {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
