package httpcache_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
)

// The environment of a helper process of the multi-process lease tests.
const (
	envLeaseHelper  = "KV_HTTPCACHE_LEASE_HELPER"  // "1" in a helper process
	envLeaseBackend = "KV_HTTPCACHE_LEASE_BACKEND" // "redis" or "sqlite"
	envLeaseWhere   = "KV_HTTPCACHE_LEASE_WHERE"   // Redis address and store name, or SQLite file
	envLeaseURL     = "KV_HTTPCACHE_LEASE_URL"     // what to GET
	envLeaseHide    = "KV_HTTPCACHE_LEASE_HIDE"    // "1": hide the store's conditional writes
	envLeaseN       = "KV_HTTPCACHE_LEASE_N"       // concurrent GETs
)

// leaseReport is what a helper process prints on its last line.
type leaseReport struct {
	Bodies   map[string]int // body → how many responses had it
	Statuses map[string]int // X-Cache-Status → count
	Errors   []string       // failed requests and reported store errors
	Elapsed  time.Duration  // from "go" to the last response
}

const (
	leaseProcs   = 4
	leaseBurst   = 50
	leaseLatency = 300 * time.Millisecond
)

// TestLeasesAcrossProcessesRedis: four processes sharing one Redis, 50
// concurrent identical misses each, reach a 300 ms origin exactly once in
// total; with the store's conditional writes hidden, each process
// fetches for itself (the count is logged, and must exceed one).
func TestLeasesAcrossProcessesRedis(t *testing.T) {
	if os.Getenv(envLeaseHelper) == "1" {
		t.Skip("running as a helper process")
	}
	addr := serverEnv(t, "KV_TEST_REDIS_ADDR")
	runLeaseProcs(t, "redis", func(t *testing.T) string {
		where := addr + " " + uniqueName("lease")
		t.Cleanup(func() {
			s, closeStore, err := openLeaseStore("redis", where)
			if err != nil {
				t.Error(err)
				return
			}
			defer closeStore()
			if err := s.Clear(context.Background()); err != nil {
				t.Error(err)
			}
		})
		return where
	})
}

// TestLeasesAcrossProcessesSQLite: the same over one SQLite file.
func TestLeasesAcrossProcessesSQLite(t *testing.T) {
	if os.Getenv(envLeaseHelper) == "1" {
		t.Skip("running as a helper process")
	}
	runLeaseProcs(t, "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "cache.db") })
}

// runLeaseProcs runs the burst with and without conditional writes, each
// over a fresh location.
func runLeaseProcs(t *testing.T, backend string, where func(*testing.T) string) {
	for _, hide := range []bool{false, true} {
		name := "leases"
		if hide {
			name = "no conditional writes"
		}
		t.Run(name, func(t *testing.T) {
			origin, n := slowCountingOrigin(t, leaseLatency, http.Header{"Cache-Control": {"max-age=60"}})
			reps := startLeaseProcs(t, backend, where(t), origin.URL+"/shared", hide)
			got := n.Load()
			t.Logf("%s, %s: %d processes × %d identical misses reached the origin %d times", backend, name, leaseProcs, leaseBurst, got)
			checkLeaseReports(t, reps, hide)
			switch {
			case !hide && got != 1:
				t.Fatalf("origin reached %d times, want exactly 1", got)
			case hide && got < 2:
				t.Fatalf("origin reached %d times without conditional writes: the comparison proves nothing", got)
			}
		})
	}
}

// checkLeaseReports: no request failed, no store error was reported
// (but the kv.ErrUnsupported of a hidden capability), and with leases
// every response is the one answer.
func checkLeaseReports(t *testing.T, reps []leaseReport, hide bool) {
	t.Helper()
	for i, r := range reps {
		for _, e := range r.Errors {
			if !hide || !strings.Contains(e, kv.ErrUnsupported.Error()) {
				t.Errorf("process %d: %s", i, e)
			}
		}
		total := 0
		for body, c := range r.Bodies {
			total += c
			if !hide && body != "answer 1" {
				t.Errorf("process %d: %d responses %q, want the one answer", i, c, body)
			}
		}
		if total != leaseBurst {
			t.Errorf("process %d: %d responses, want %d", i, total, leaseBurst)
		}
		// Every process waited for the one origin answer: none started so
		// late that it found the response stored already.
		if r.Elapsed < leaseLatency*9/10 {
			t.Errorf("process %d: its burst took %v, less than the origin's latency: the processes did not overlap", i, r.Elapsed)
		}
		t.Logf("process %d: statuses %v in %v", i, r.Statuses, r.Elapsed.Round(time.Millisecond))
	}
}

// startLeaseProcs starts the helper processes, lets them all go at once
// when each has its Transport ready, and returns their reports.
func startLeaseProcs(t *testing.T, backend, where, url string, hide bool) []leaseReport {
	type child struct {
		cmd    *exec.Cmd
		stdin  io.WriteCloser
		ready  chan struct{}
		last   string
		stderr strings.Builder
	}
	var wg sync.WaitGroup
	children := make([]*child, leaseProcs)
	for i := range children {
		c := &child{ready: make(chan struct{})}
		c.cmd = exec.Command(os.Args[0], "-test.run=^TestLeaseHelperProcess$", "-test.count=1")
		c.cmd.Env = append(os.Environ(),
			envLeaseHelper+"=1", envLeaseBackend+"="+backend, envLeaseWhere+"="+where,
			envLeaseURL+"="+url, envLeaseHide+"="+strconv.FormatBool(hide), envLeaseN+"="+strconv.Itoa(leaseBurst))
		c.cmd.Stderr = &c.stderr
		stdout, err := c.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			sc := bufio.NewScanner(stdout)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				switch line := sc.Text(); {
				case line == "ready":
					close(c.ready)
				case strings.HasPrefix(line, "{"):
					c.last = line
				}
			}
		})
		children[i] = c
	}
	for i, c := range children {
		select {
		case <-c.ready:
		case <-time.After(60 * time.Second):
			t.Fatalf("process %d not ready after 60s; stderr:\n%s", i, c.stderr.String())
		}
	}
	for _, c := range children {
		fmt.Fprintln(c.stdin, "go")
		c.stdin.Close()
	}
	wg.Wait()
	reps := make([]leaseReport, leaseProcs)
	for i, c := range children {
		err := c.cmd.Wait()
		if perr := json.Unmarshal([]byte(c.last), &reps[i]); err != nil || perr != nil {
			t.Fatalf("process %d: %v %v\nlast line: %s\nstderr:\n%s", i, err, perr, c.last, c.stderr.String())
		}
	}
	return reps
}

// TestLeaseHelperProcess is a helper process of the tests above: it opens
// the shared store, makes a Transport, says "ready", waits for "go" on
// stdin, sends its burst and prints its report.
func TestLeaseHelperProcess(t *testing.T) {
	if os.Getenv(envLeaseHelper) != "1" {
		t.Skip("run by the multi-process lease tests")
	}
	store, closeStore, err := openLeaseStore(os.Getenv(envLeaseBackend), os.Getenv(envLeaseWhere))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	var s kv.Store[string, []byte] = store
	if os.Getenv(envLeaseHide) == "true" {
		s = withoutConditional{store}
	}
	var rep leaseReport
	var mu sync.Mutex
	// A long store timeout: 4 processes × 50 requests opening SQLite
	// reader connections at once, under the race detector on a shared
	// machine, can take longer than the default second, and a request
	// that gives up on the store goes to the origin (as it should): that
	// would be counted here against the leases, which are not what is slow.
	tr := httpcache.NewFromStores(s, nil, httpcache.WithLeases(s, 0), httpcache.WithStoreTimeout(10*time.Second), httpcache.WithErrorHook(func(err error) {
		mu.Lock()
		rep.Errors = append(rep.Errors, "store: "+err.Error())
		mu.Unlock()
	}))
	defer tr.Close()
	fmt.Println("ready")
	if line, _ := bufio.NewReader(os.Stdin).ReadString('\n'); line != "go\n" {
		t.Fatalf("got %q, want go", line)
	}
	rep.Bodies, rep.Statuses = map[string]int{}, map[string]int{}
	n, _ := strconv.Atoi(os.Getenv(envLeaseN))
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			body, status, err := leaseGet(tr, os.Getenv(envLeaseURL))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				rep.Errors = append(rep.Errors, err.Error())
				return
			}
			rep.Bodies[body]++
			rep.Statuses[status]++
		})
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	out, _ := json.Marshal(&rep)
	fmt.Printf("\n%s\n", out)
}

// leaseGet GETs url through tr, and returns the body and cache status.
func leaseGet(tr http.RoundTripper, url string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		err = errors.Join(err, fmt.Errorf("status %d", resp.StatusCode))
	}
	return string(b), resp.Header.Get(httpcache.StatusHeader), err
}

// openLeaseStore opens the store a helper process shares with the others.
func openLeaseStore(backend, where string) (kv.Store[string, []byte], func(), error) {
	switch backend {
	case "sqlite":
		s, err := sqlite.Open(where)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "redis":
		addr, name, _ := strings.Cut(where, " ")
		client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
		if err != nil {
			return nil, nil, err
		}
		s, err := redis.New(client, name)
		if err != nil {
			client.Close()
			return nil, nil, err
		}
		return s, func() { s.Close(); client.Close() }, nil
	}
	return nil, nil, fmt.Errorf("unknown backend %q", backend)
}
