package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// block is one covered stretch of a file.
type block struct {
	startLine, startCol, endLine, endCol int
	count                                int
}

// profile is the coverage of the files under mutation, by file.
type profile map[string][]block

// has reports whether the position is in a block the test ran, or in no
// block at all (a position the profile says nothing about is run).
func (p profile) has(file string, line, col int) bool {
	inAny := false
	for _, b := range p[file] {
		after := line > b.startLine || (line == b.startLine && col >= b.startCol)
		before := line < b.endLine || (line == b.endLine && col <= b.endCol)
		if after && before {
			if b.count > 0 {
				return true
			}
			inAny = true
		}
	}
	return !inAny
}

// coverage runs the judging test once on the unchanged code, with a
// coverage profile of the packages of the files under mutation.
func coverage(c config, tmp string) (profile, error) {
	mod, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m: %w", err)
	}
	module := strings.TrimSpace(string(mod))
	pkgs := map[string]bool{}
	var list []string
	for _, f := range c.files {
		p := module
		if d := filepath.ToSlash(filepath.Dir(f)); d != "." {
			p = path.Join(module, d)
		}
		if !pkgs[p] {
			pkgs[p] = true
			list = append(list, p)
		}
	}
	out := filepath.Join(tmp, "cover.out")
	if b, err, _ := goTest(c, "-coverpkg", strings.Join(list, ","), "-coverprofile", out); err != nil {
		return nil, fmt.Errorf("the unchanged code fails its test: %v\n%s", err, b)
	}
	return readProfile(out, module)
}

func readProfile(file, module string) (profile, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := profile{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "mode:") {
			continue
		}
		var name string
		var b block
		var stmts int
		i := strings.LastIndex(line, ":")
		if i < 0 {
			continue
		}
		name = line[:i]
		if _, err := fmt.Sscanf(line[i+1:], "%d.%d,%d.%d %d %d",
			&b.startLine, &b.startCol, &b.endLine, &b.endCol, &stmts, &b.count); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", file, line, err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(name, module), "/")
		p[rel] = append(p[rel], b)
	}
	return p, sc.Err()
}
