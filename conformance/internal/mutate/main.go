// Command mutate is the mutation run of the conformance suite: it changes
// the source of a store one operator at a time and counts how many of those
// mutants the store's conformance test (and nothing else) catches.
//
//	go run ./conformance/internal/mutate -pkg ./stores/memory -files stores/memory/memory.go
//
// Each mutant is one change at one place (see operators.go), written to a
// temporary file that `go test -overlay` puts in place of the original: no
// source file is modified. A mutant is
//
//   - killed when the test fails,
//   - survived when it passes,
//   - not covered when the test never runs the changed line (from a
//     coverage profile of the unchanged code; such a mutant is not run),
//   - timed out when the test runs longer than -timeout (counted as killed:
//     a hang is a caught bug),
//   - not viable when it does not compile (left out of every count).
//
// The tests run without -race and without vet, one mutant at a time.
// The summary and every surviving mutant are printed as Markdown.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Outcome is what the test made of one mutant.
type Outcome string

// The outcomes of a mutant.
const (
	Killed     Outcome = "killed"
	Survived   Outcome = "survived"
	NotCovered Outcome = "not covered"
	TimedOut   Outcome = "timed out"
	NotViable  Outcome = "not viable"
	NotSampled Outcome = "not sampled"
)

type config struct {
	pkg     string
	files   []string
	funcs   map[string]bool
	run     string
	timeout time.Duration
	label   string
	out     string
	only    string
	dry     bool
	every   int
	offset  int
	prior   string
	verdict string
	results string
}

func main() {
	var c config
	var files, funcs string
	flag.StringVar(&c.pkg, "pkg", "", "package whose test judges the mutants, as ./path")
	flag.StringVar(&files, "files", "", "comma-separated source files to mutate (paths from the module root)")
	flag.StringVar(&funcs, "funcs", "", "comma-separated function names: mutate only inside these (default: all)")
	flag.StringVar(&c.run, "run", "^TestConformance$", "the -run pattern of the judging test")
	flag.DurationVar(&c.timeout, "timeout", 2*time.Minute, "how long one mutant's test may run")
	flag.StringVar(&c.label, "label", "", "name of this run in the report (default: -pkg)")
	flag.StringVar(&c.out, "json", "", "write every mutant and its outcome to this file as JSON")
	flag.StringVar(&c.only, "only", "", "run only the mutants with these comma-separated ids (file:line:col:op), or those listed one a line in @file (with -prior: judge only these survivors again)")
	flag.BoolVar(&c.dry, "dry", false, "list the mutants and their coverage without running them")
	flag.IntVar(&c.every, "every", 1, "run every n-th covered mutant only (a systematic sample; the others are reported as not sampled)")
	flag.IntVar(&c.offset, "offset", 0, "with -every n: start the sample at the covered mutant of this index (0 to n-1), for a sample disjoint from another's")
	flag.StringVar(&c.prior, "prior", "", "a -json file of an earlier run: judge its survivors again (with the suite as it is now) and report the earlier results with theirs replaced")
	flag.StringVar(&c.verdict, "verdicts", "", "a file of verdicts on surviving mutants (see verdicts.go), for the report")
	flag.StringVar(&c.results, "report", "", "judge nothing: print the report of this -json file of an earlier run, with the verdicts as they are now")
	flag.Parse()
	if c.pkg == "" || files == "" {
		fmt.Fprintln(os.Stderr, "mutate: -pkg and -files are required")
		os.Exit(2)
	}
	c.files = strings.Split(files, ",")
	if funcs != "" {
		c.funcs = map[string]bool{}
		for _, f := range strings.Split(funcs, ",") {
			c.funcs[f] = true
		}
	}
	if c.label == "" {
		c.label = c.pkg
	}
	if c.offset < 0 || c.offset >= max(c.every, 1) {
		fmt.Fprintln(os.Stderr, "mutate: -offset must be from 0 to -every minus 1")
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

// Result is one mutant and its outcome.
type Result struct {
	Mutant
	Outcome Outcome       `json:"outcome"`
	Took    time.Duration `json:"took"`
}

func run(c config) error {
	tmp, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	verdicts, err := readVerdicts(c.verdict)
	if err != nil {
		return err
	}
	if c.results != "" {
		results, err := readResults(c.results)
		if err != nil {
			return err
		}
		report(os.Stdout, c, results, verdicts)
		return nil
	}
	if c.prior != "" {
		results, err := rejudge(c, tmp)
		if err != nil {
			return err
		}
		return finish(c, results, verdicts)
	}
	var mutants []Mutant
	for _, f := range c.files {
		ms, err := findMutants(f, c.funcs)
		if err != nil {
			return err
		}
		mutants = append(mutants, ms...)
	}
	if c.only != "" {
		if mutants, err = filterID(mutants, c.only); err != nil {
			return err
		}
	}
	covered, err := coverage(c, tmp)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mutate: %s: %d mutants in %s\n", c.label, len(mutants), strings.Join(c.files, ", "))
	results, err := judgeAll(c, tmp, mutants, covered)
	if err != nil {
		return err
	}
	return finish(c, results, verdicts)
}

// finish writes the results as JSON (with -json) and the report.
func finish(c config, results []Result, v verdicts) error {
	if c.out != "" {
		b, err := json.MarshalIndent(results, "", "\t")
		if err != nil {
			return err
		}
		if err := os.WriteFile(c.out, b, 0o644); err != nil {
			return err
		}
	}
	report(os.Stdout, c, results, v)
	return nil
}

func readResults(name string) ([]Result, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var results []Result
	if err := json.Unmarshal(b, &results); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return results, nil
}

// rejudge reads the results of an earlier run and judges its survivors
// again; the other results stand (the suite only ever gains checks, so a
// mutant it killed stays killed).
func rejudge(c config, tmp string) ([]Result, error) {
	results, err := readResults(c.prior)
	if err != nil {
		return nil, err
	}
	current, err := currentMutants(c)
	if err != nil {
		return nil, err
	}
	var only map[string]bool // with -only, the survivors to judge again
	if c.only != "" {
		if only, err = onlyIDs(c.only); err != nil {
			return nil, err
		}
	}
	// Every survivor is looked up before any is judged, so that a file
	// changed under one stops the run at once.
	var again []int
	for i, r := range results {
		if r.Outcome != Survived || only != nil && !only[r.ID()] {
			continue
		}
		// The same change at the same place: edits elsewhere in the file
		// may have moved it (its offset), not changed it.
		cur, ok := current[r.ID()]
		if !ok || cur.Len != r.Len || cur.Desc != r.Desc || cur.Repl != r.Repl {
			return nil, fmt.Errorf("%s: %s has changed at %s since that run; run every mutant again", c.prior, r.File, r.ID())
		}
		results[i].Mutant = cur
		again = append(again, i)
	}
	for _, i := range again {
		r := &results[i]
		start := time.Now()
		if r.Outcome, err = judge(c, tmp, r.Mutant); err != nil {
			return nil, err
		}
		r.Took = time.Since(start).Round(time.Millisecond)
		fmt.Fprintf(os.Stderr, "mutate: again %s %s: %s (%v)\n", r.ID(), r.Desc, r.Outcome, r.Took)
	}
	return results, nil
}

// currentMutants returns the mutants of c's files as they are now, by id.
func currentMutants(c config) (map[string]Mutant, error) {
	current := map[string]Mutant{}
	for _, f := range c.files {
		ms, err := findMutants(f, c.funcs)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			current[m.ID()] = m
		}
	}
	return current, nil
}

// judgeAll judges each mutant in turn, printing progress.
func judgeAll(c config, tmp string, mutants []Mutant, covered profile) ([]Result, error) {
	var results []Result
	sampled := 0 // covered mutants seen so far
	for i, m := range mutants {
		r := Result{Mutant: m}
		start := time.Now()
		covers := covered.has(m.File, m.Line, m.Col)
		if covers {
			sampled++
		}
		switch {
		case !covers:
			r.Outcome = NotCovered
		case c.every > 1 && (sampled-1)%c.every != c.offset:
			r.Outcome = NotSampled
		case c.dry:
			r.Outcome = "covered, not run"
		default:
			var err error
			if r.Outcome, err = judge(c, tmp, m); err != nil {
				return nil, err
			}
		}
		r.Took = time.Since(start).Round(time.Millisecond)
		fmt.Fprintf(os.Stderr, "mutate: [%d/%d] %s %s: %s (%v)\n", i+1, len(mutants), m.ID(), m.Desc, r.Outcome, r.Took)
		results = append(results, r)
	}
	return results, nil
}

func filterID(ms []Mutant, only string) ([]Mutant, error) {
	want, err := onlyIDs(only)
	if err != nil {
		return nil, err
	}
	var out []Mutant
	for _, m := range ms {
		if want[m.ID()] {
			out = append(out, m)
		}
	}
	return out, nil
}

// onlyIDs parses -only: ids separated by commas, or one a line in @file.
func onlyIDs(only string) (map[string]bool, error) {
	ids := strings.Split(only, ",")
	if name, ok := strings.CutPrefix(only, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ids = strings.Fields(string(b))
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	return want, nil
}

// judge runs the test with m in place and says what became of it.
func judge(c config, tmp string, m Mutant) (Outcome, error) {
	src, err := os.ReadFile(m.File)
	if err != nil {
		return "", err
	}
	mutated := m.Apply(src)
	repl := filepath.Join(tmp, "mutant.go")
	if err := os.WriteFile(repl, mutated, 0o644); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(m.File)
	if err != nil {
		return "", err
	}
	ov, err := json.Marshal(map[string]map[string]string{"Replace": {abs: repl}})
	if err != nil {
		return "", err
	}
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		return "", err
	}
	out, err, timedOut := goTest(c, "-overlay", ovPath)
	switch {
	case timedOut:
		return TimedOut, nil
	case err == nil:
		return Survived, nil
	case buildFailed(out):
		return NotViable, nil
	default:
		return Killed, nil
	}
}

func buildFailed(out []byte) bool {
	s := string(out)
	return strings.Contains(s, "[build failed]") || strings.Contains(s, "[setup failed]")
}

// goTest runs the judging test with extra arguments; timedOut is true when
// it ran past c.timeout and was killed.
func goTest(c config, extra ...string) (out []byte, err error, timedOut bool) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	args := append([]string{"test", "-count=1", "-vet=off", "-failfast", "-run", c.run,
		"-timeout", (c.timeout + 30*time.Second).String()}, extra...)
	args = append(args, c.pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Kill the whole group: go test's child test binary too.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err = cmd.CombinedOutput()
	return out, err, errors.Is(ctx.Err(), context.DeadlineExceeded)
}

func report(w *os.File, c config, results []Result, v verdicts) {
	count := map[Outcome]int{}
	var survivors []Result
	for _, r := range results {
		count[r.Outcome]++
		if r.Outcome == Survived {
			survivors = append(survivors, r)
		}
	}
	sort.SliceStable(survivors, func(i, j int) bool {
		a, b := survivors[i], survivors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	fmt.Fprintf(w, "### %s\n\n", c.label)
	fmt.Fprintf(w, "judged by `go test -count=1 -vet=off -failfast -run '%s' %s` (no -race)\n\n", c.run, c.pkg)
	if count[NotSampled] > 0 {
		from := ""
		if c.offset > 0 {
			from = fmt.Sprintf(" from the covered mutant of index %d", c.offset)
		}
		fmt.Fprintf(w, "a systematic sample: every %d-th covered mutant%s (%d not sampled)\n\n", c.every, from, count[NotSampled])
	}
	fmt.Fprintf(w, "| killed | timed out | survived | not covered | not viable |\n|---|---|---|---|---|\n")
	fmt.Fprintf(w, "| %d | %d | %d | %d | %d |\n\n", count[Killed], count[TimedOut], count[Survived],
		count[NotCovered], count[NotViable])
	byKind := map[string]int{}
	for _, r := range survivors {
		byKind[v.of(r.Mutant).kind]++
	}
	caught := count[Killed] + count[TimedOut]
	ratio := func(excluded int) string {
		n := caught + count[Survived] - excluded
		if n <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f %% (%d of %d)", 100*float64(caught)/float64(n), caught, n)
	}
	fmt.Fprintf(w, "Survivors by verdict: %s.\n\n", kindCounts(byKind))
	fmt.Fprintf(w, "- kill ratio of all covered mutants (caught / (caught + survived); timed out counts as caught): %s\n", ratio(0))
	fmt.Fprintf(w, "- **of non-equivalent mutants** (equivalent and outside-the-contract left out): %s\n", ratio(byKind[kindEquivalent]+byKind[kindOutside]))
	fmt.Fprintf(w, "- of mutants reachable from outside (also unreachable error paths left out): %s\n\n",
		ratio(byKind[kindEquivalent]+byKind[kindOutside]+byKind[kindUnreachable]))
	if len(survivors) > 0 {
		fmt.Fprintf(w, "| survivor | change | verdict | why |\n|---|---|---|---|\n")
		for _, r := range survivors {
			vd := v.of(r.Mutant)
			fmt.Fprintf(w, "| `%s:%d:%d` %s | %s | %s | %s |\n", r.File, r.Line, r.Col, r.Op, cell(r.Desc), vd.kind, cell(vd.why))
		}
		fmt.Fprintln(w)
	}
	var notCovered []string
	for _, r := range results {
		if r.Outcome == NotCovered {
			notCovered = append(notCovered, fmt.Sprintf("%s:%d", r.File, r.Line))
		}
	}
	if len(notCovered) > 0 {
		fmt.Fprintf(w, "Not covered (lines): %s\n\n", strings.Join(dedup(notCovered), ", "))
	}
}

// cell escapes the pipes of a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func dedup(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
