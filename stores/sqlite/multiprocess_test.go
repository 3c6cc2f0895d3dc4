package sqlite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/sqlite"
)

// The environment of a helper process of TestMultiProcess.
const (
	envHelper = "KV_SQLITE_TEST_HELPER" // "1" in a helper process
	envPath   = "KV_SQLITE_TEST_PATH"
	envID     = "KV_SQLITE_TEST_ID"
	envOps    = "KV_SQLITE_TEST_OPS"
	envStart  = "KV_SQLITE_TEST_START" // unix nanos at which to open the database

	// envDSN, when set in TestMultiProcess's environment, holds DSN
	// parameters the helper processes pass to WithDSNParams. It shows the
	// test can fail: with "_pragma=busy_timeout(0)&_txlock=deferred" the
	// processes get "database is locked".
	envDSN = "KV_SQLITE_TEST_DSN"
)

// helperReport is what a helper process prints on its last line.
type helperReport struct {
	ID        int
	Ops       int // calls made: writes, reads, batch and scan calls
	Writes    int
	Reads     int
	OpenAfter time.Duration // how long Open took
	Elapsed   time.Duration
	Errors    []string
}

// TestMultiProcess runs two copies of the test binary as OS processes that
// open one new database file at the same instant and hammer it: each
// writes its own keys (Set, SetMany, DeleteMany), reads them back, reads
// the other's, counts and scans. No call may fail (no SQLITE_BUSY,
// "database is locked" in particular) and no write may be lost.
func TestMultiProcess(t *testing.T) {
	if os.Getenv(envHelper) == "1" {
		t.Skip("running as a helper process")
	}
	const procs = 2
	ops := 1000
	if testing.Short() {
		ops = 200
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	start := time.Now().Add(500 * time.Millisecond)

	type child struct {
		cmd    *exec.Cmd
		stdout bytes.Buffer
		stderr bytes.Buffer
	}
	children := make([]*child, procs)
	for i := range children {
		c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")}
		c.cmd.Env = append(os.Environ(),
			envHelper+"=1",
			envPath+"="+path,
			envID+"="+strconv.Itoa(i),
			envOps+"="+strconv.Itoa(ops),
			envStart+"="+strconv.FormatInt(start.UnixNano(), 10),
		)
		c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = c
	}
	var total int
	for _, c := range children {
		err := c.cmd.Wait()
		rep, perr := parseReport(c.stdout.Bytes())
		if err != nil || perr != nil {
			t.Fatalf("helper process: %v %v\nstdout:\n%s\nstderr:\n%s", err, perr, c.stdout.Bytes(), c.stderr.Bytes())
		}
		if len(rep.Errors) > 0 {
			t.Errorf("process %d: %d calls failed, first: %s", rep.ID, len(rep.Errors), rep.Errors[0])
		}
		t.Logf("process %d: %d calls (%d writes, %d reads) in %v, Open took %v, %d errors",
			rep.ID, rep.Ops, rep.Writes, rep.Reads, rep.Elapsed.Round(time.Millisecond),
			rep.OpenAfter.Round(time.Millisecond), len(rep.Errors))
		total += rep.Ops
	}

	// Nothing lost: every key each process wrote is there with its value,
	// and the keys it deleted are gone.
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	got, err := kv.Collect(s.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for p := range procs {
		for i := range ops {
			k := helperKey(p, i)
			want[k] = k
		}
	}
	missing, wrong := 0, 0
	seen := map[string]bool{}
	for _, e := range got {
		seen[e.Key] = true
		if w, ok := want[e.Key]; !ok || w != string(e.Value) {
			wrong++
			if wrong < 5 {
				t.Errorf("unexpected entry %q = %q", e.Key, e.Value)
			}
		}
	}
	for k := range want {
		if !seen[k] {
			missing++
			if missing < 5 {
				t.Errorf("lost %q", k)
			}
		}
	}
	if missing > 0 || wrong > 0 || len(got) != procs*ops {
		t.Errorf("%d entries, want %d: %d lost, %d unexpected", len(got), procs*ops, missing, wrong)
	}
	t.Logf("%d processes, %d calls in all, %d entries checked", procs, total, len(got))
}

func helperKey(proc, i int) string { return fmt.Sprintf("p%d/%05d", proc, i) }

func parseReport(out []byte) (helperReport, error) {
	var rep helperReport
	for line := range bytes.Lines(out) {
		if rest, ok := bytes.CutPrefix(line, []byte("REPORT ")); ok {
			return rep, json.Unmarshal(rest, &rep)
		}
	}
	return rep, fmt.Errorf("no report in the output")
}

// TestHelperProcess is one of TestMultiProcess's processes; run directly,
// it skips.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("helper process of TestMultiProcess")
	}
	id, _ := strconv.Atoi(os.Getenv(envID))
	ops, _ := strconv.Atoi(os.Getenv(envOps))
	startNanos, _ := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	rep := helperReport{ID: id}
	defer func() {
		b, _ := json.Marshal(rep)
		fmt.Printf("\nREPORT %s\n", b)
	}()
	fail := func(err error) {
		if len(rep.Errors) < 20 {
			rep.Errors = append(rep.Errors, err.Error())
		} else {
			rep.Errors = append(rep.Errors, "")
		}
	}

	time.Sleep(time.Until(time.Unix(0, startNanos)))
	began := time.Now()
	params, err := url.ParseQuery(os.Getenv(envDSN))
	if err != nil {
		fail(err)
		return
	}
	s, err := sqlite.Open(os.Getenv(envPath), sqlite.WithDSNParams(params))
	rep.OpenAfter = time.Since(began)
	if err != nil {
		fail(err)
		return
	}
	defer s.Close()
	// Each process writes from several goroutines at once, so that the
	// queue of its writer pool and SQLite's lock between the processes
	// are both in play.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range helperGoroutines {
		wg.Go(func() {
			lo, hi := g*ops/helperGoroutines, (g+1)*ops/helperGoroutines
			r := hammer(s, id, lo, hi)
			mu.Lock()
			defer mu.Unlock()
			rep.Ops += r.Ops
			rep.Writes += r.Writes
			rep.Reads += r.Reads
			for _, e := range r.Errors {
				fail(errors.New(e))
			}
		})
	}
	wg.Wait()
	rep.Elapsed = time.Since(began)
}

// helperGoroutines is how many goroutines of each helper process write.
const helperGoroutines = 4

// hammer writes the keys lo..hi-1 of process id, reading each back and
// reading the other process's keys, and reports what it did.
func hammer(s *sqlite.Store, id, lo, hi int) helperReport {
	var rep helperReport
	fail := func(err error) { rep.Errors = append(rep.Errors, err.Error()) }
	ctx := context.Background()
	other := 1 - id
	for i := lo; i < hi; {
		k := helperKey(id, i)
		switch {
		case i%20 == 19 && i+5 <= hi: // five keys in one transaction
			var entries []kv.Entry[string, []byte]
			for j := range 5 {
				kj := helperKey(id, i+j)
				entries = append(entries, kv.Entry[string, []byte]{Key: kj, Value: []byte(kj)},
					kv.Entry[string, []byte]{Key: kj + "/tmp", Value: []byte("x")})
			}
			rep.Ops++
			rep.Writes++
			if err := s.SetMany(ctx, entries); err != nil {
				fail(err)
			}
			rep.Ops++
			rep.Writes++
			if err := s.DeleteMany(ctx, []string{k + "/tmp", helperKey(id, i+1) + "/tmp", helperKey(id, i+2) + "/tmp",
				helperKey(id, i+3) + "/tmp", helperKey(id, i+4) + "/tmp"}); err != nil {
				fail(err)
			}
			i += 5
		default:
			rep.Ops++
			rep.Writes++
			if err := s.Set(ctx, k, []byte(k)); err != nil {
				fail(err)
			}
			i++
		}
		// Read our own write back, and a key of the other process.
		rep.Ops++
		rep.Reads++
		if v, err := s.Get(ctx, k); err != nil {
			fail(err)
		} else if string(v) != k {
			fail(fmt.Errorf("Get(%q) = %q", k, v))
		}
		rep.Ops++
		rep.Reads++
		if _, err := s.Has(ctx, helperKey(other, i)); err != nil {
			fail(err)
		}
		if i%100 == 0 {
			rep.Ops += 2
			rep.Reads += 2
			if _, err := s.Len(ctx); err != nil {
				fail(err)
			}
			if _, err := kv.Collect(s.Scan(ctx, fmt.Sprintf("p%d/", other))); err != nil {
				fail(err)
			}
		}
	}
	return rep
}
