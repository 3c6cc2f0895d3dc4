// Package conditionaltest checks conditional writes (kv.ConditionalWriter)
// across OS processes, for the stores several processes share (file,
// SQLite): Processes runs the calling test again as child processes on
// one location. The checks within one process are the conformance
// suite's Conditional subtests.
package conditionaltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// Store is a byte store with the capability.
type Store interface {
	kv.Store[string, []byte]
	kv.ConditionalWriter[string, []byte]
}

// The environment of a child process of Processes.
const (
	envChild    = "KV_CONDITIONAL_CHILD" // the child's number
	envLocation = "KV_CONDITIONAL_LOCATION"
	envBarrier  = "KV_CONDITIONAL_BARRIER" // a directory the children meet in
)

// ProcessConfig sizes Processes.
type ProcessConfig struct {
	Procs      int // child processes
	Increments int // kv.Update increments of the counter by each
	RaceKeys   int // keys every child races to SetIfAbsent
}

// childReport is the last line a child prints.
type childReport struct {
	ID     int
	Won    []int // the race keys whose SetIfAbsent stored
	Errors []string
}

const reportPrefix = "CONDITIONAL-REPORT "

// Processes checks that the conditional writes of a store shared by
// several OS processes are atomic across them. It runs c.Procs copies of
// the test binary, each running the calling test again as a child: each
// child opens the store at one location with open, SetIfAbsent's each of
// c.RaceKeys keys to its own value, then adds c.Increments to one counter
// key with kv.Update, all children at once. The parent then checks that
// the counter is exactly Procs × Increments (no update lost) and that
// every race key was stored by exactly one child, the one whose value it
// holds. Call it from a test of its own, first thing: in a child it does
// the child's part and the test ends there.
func Processes(t *testing.T, c ProcessConfig, open func(location string) (Store, error)) {
	if id := os.Getenv(envChild); id != "" {
		child(t, id, c, open)
		return
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	location := filepath.Join(t.TempDir(), "store")
	barrier := t.TempDir()
	outs := make([][]byte, c.Procs)
	errs := make([]error, c.Procs)
	var wg sync.WaitGroup
	for id := range c.Procs {
		cmd := exec.Command(os.Args[0], "-test.run="+runPattern(t.Name()), "-test.count=1")
		cmd.Env = append(os.Environ(), envChild+"="+strconv.Itoa(id), envLocation+"="+location, envBarrier+"="+barrier)
		wg.Go(func() { outs[id], errs[id] = cmd.CombinedOutput() })
	}
	wg.Wait()
	winners := make([][]int, c.RaceKeys) // race key → the children that stored it
	for id := range c.Procs {
		rep, err := parseChildReport(outs[id])
		if errs[id] != nil || err != nil {
			t.Fatalf("child %d: %v %v\n%s", id, errs[id], err, outs[id])
		}
		for _, e := range rep.Errors {
			t.Errorf("child %d: %s", id, e)
		}
		for _, k := range rep.Won {
			winners[k] = append(winners[k], id)
		}
	}
	s, err := open(location)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkValue(t, s, "counter", strconv.Itoa(c.Procs*c.Increments))
	for k, w := range winners {
		if len(w) != 1 {
			t.Errorf("race key %d stored by children %v; want exactly one", k, w)
			continue
		}
		checkValue(t, s, raceKey(k), childValue(w[0]))
	}
}

// checkValue checks the value of key after the processes are done,
// going on past a wrong one to report every other.
func checkValue(t *testing.T, s Store, key, want string) {
	t.Helper()
	if v, err := s.Get(t.Context(), key); err != nil || string(v) != want {
		t.Errorf("Get(%q) = %q, %v; want %q", key, v, err, want)
	}
}

// runPattern is the -test.run pattern that selects exactly the test name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func raceKey(k int) string            { return "race/" + strconv.Itoa(k) }
func childValue(id int) string        { return "child " + strconv.Itoa(id) }
func (r *childReport) fail(err error) { r.Errors = append(r.Errors, err.Error()) }

func parseChildReport(out []byte) (childReport, error) {
	var rep childReport
	for line := range bytes.Lines(out) {
		if rest, ok := bytes.CutPrefix(line, []byte(reportPrefix)); ok {
			return rep, json.Unmarshal(rest, &rep)
		}
	}
	return rep, errors.New("no report in the output")
}

// child is the part of Processes that runs in child process id.
func child(t *testing.T, id string, c ProcessConfig, open func(string) (Store, error)) {
	n, err := strconv.Atoi(id)
	if err != nil {
		t.Fatal(err)
	}
	rep := childReport{ID: n}
	defer func() {
		b, _ := json.Marshal(rep)
		fmt.Printf("\n%s%s\n", reportPrefix, b)
	}()
	s, err := open(os.Getenv(envLocation))
	if err != nil {
		rep.fail(err)
		return
	}
	defer s.Close()
	if err := meet(os.Getenv(envBarrier), n, c.Procs); err != nil {
		rep.fail(err)
		return
	}
	ctx := context.Background()
	for k := range c.RaceKeys {
		stored, err := s.SetIfAbsent(ctx, raceKey(k), []byte(childValue(n)))
		if err != nil {
			rep.fail(err)
		}
		if stored {
			rep.Won = append(rep.Won, k)
		}
	}
	for range c.Increments {
		if _, err := kv.Update[string, []byte](ctx, s, "counter", addOne); err != nil {
			rep.fail(err)
			return
		}
	}
}

// addOne is the kv.Update function of the counter.
func addOne(old []byte, found bool) ([]byte, error) {
	n := 0
	if found {
		var err error
		if n, err = strconv.Atoi(string(old)); err != nil {
			return nil, err
		}
	}
	return []byte(strconv.Itoa(n + 1)), nil
}

// meet marks child id as ready in dir and waits until all procs are, so
// that the children race from the same instant rather than one after the
// other as they happen to start.
func meet(dir string, id, procs int) error {
	if err := os.WriteFile(filepath.Join(dir, "ready-"+strconv.Itoa(id)), nil, 0o600); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		names, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(names) >= procs {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d processes started within a minute", len(names), procs)
		}
		time.Sleep(time.Millisecond)
	}
}
