package httpcache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
)

// stoppedServer says how runStoppedServer stops and starts a store's
// server, and how long calls may take.
type stoppedServer struct {
	store        kv.Store[string, []byte]
	kill, start  func()
	storeTimeout time.Duration // httpcache.WithStoreTimeout
	direct       time.Duration // deadline of the direct store calls while down
	down         time.Duration // how long the server stays down
	hung         time.Duration // a request slower than this counts as hung
}

// The store breaker of runStoppedServer's Transport, scaled down as the
// store timeouts are: the first period a failing store is skipped, and
// the longest.
const faultBreakerMin, faultBreakerMax = 250 * time.Millisecond, 2 * time.Second

// runStoppedServer runs requests from 4 clients through a Transport over
// cfg.store, kills the store's server, makes direct store calls while it
// is down, starts it again on the same address and waits until the store
// and the cache work again. It fails t when a request fails or hangs, a
// direct call succeeds or outlives its deadline, or nothing recovers
// within 15 s; it logs the counts. With the store breaker, a request
// from the kill on waits for one store call at most (a second one is
// skipped: the first failure opened the breaker), so none may take two
// store timeouts; store errors are reported once per breaker period, not
// per request; and the cache is back at most one breaker period after
// the store is.
func runStoppedServer(t *testing.T, cfg stoppedServer) {
	t.Helper()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprint(w, "body of "+r.URL.Path)
	}))
	defer origin.Close()

	ctx := context.Background()
	var storeErrs atomic.Int64
	tr := httpcache.NewFromStores(cfg.store, nil, httpcache.WithStoreTimeout(cfg.storeTimeout),
		httpcache.WithStoreBreaker(faultBreakerMin, faultBreakerMax),
		httpcache.WithErrorHook(func(error) { storeErrs.Add(1) }))
	defer tr.Close()
	client := &http.Client{Transport: tr, Timeout: 4 * cfg.hung}

	var (
		phase    atomic.Int32 // 0 up, 1 down, 2 restarted
		requests [3]atomic.Int64
		hits     [3]atomic.Int64
		failed   atomic.Int64
		hungN    atomic.Int64
		slowest  [3]atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := phase.Load()
				path := fmt.Sprintf("/r/%d", (w*7+i)%16)
				start := time.Now()
				resp, err := client.Get(origin.URL + path)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				took := time.Since(start)
				// By the phase it ended in: a request under way at the
				// kill waits for the store that died.
				pe := phase.Load()
				for old := slowest[pe].Load(); int64(took) > old && !slowest[pe].CompareAndSwap(old, int64(took)); old = slowest[pe].Load() {
				}
				requests[p].Add(1)
				if took > cfg.hung {
					hungN.Add(1)
					t.Errorf("phase %d: GET %s took %v (more than %v)", p, path, took, cfg.hung)
				}
				if err != nil || resp.StatusCode != 200 || string(body) != "body of "+path {
					failed.Add(1)
					t.Errorf("phase %d: GET %s: %v, body %q", p, path, err, body)
					continue
				}
				if httpcache.CacheStatus(resp) == httpcache.Hit {
					hits[p].Add(1)
				}
			}
		}()
	}

	// Wait for the first hits, so that the cache works before the kill.
	for t0 := time.Now(); hits[0].Load() < 20 && time.Since(t0) < 10*time.Second; {
		time.Sleep(20 * time.Millisecond)
	}
	cfg.kill()
	phase.Store(1)
	killedAt := time.Now()
	var directErrs int
	var directSlowest time.Duration
	for i := range 5 {
		cctx, cancel := context.WithTimeout(ctx, cfg.direct)
		start := time.Now()
		var err error
		if i%2 == 0 {
			_, err = cfg.store.Get(cctx, fmt.Sprintf("k%d", i))
		} else {
			err = cfg.store.Set(cctx, fmt.Sprintf("k%d", i), []byte("v"))
		}
		took := time.Since(start)
		cancel()
		directSlowest = max(directSlowest, took)
		if err == nil || errors.Is(err, kv.ErrNotFound) {
			t.Errorf("call %d with the server down: %v, want an error", i, err)
		} else {
			directErrs++
			if i == 0 {
				t.Logf("error while down: %v", err)
			}
		}
		if took > cfg.direct+500*time.Millisecond {
			t.Errorf("call %d with the server down took %v with a %v deadline", i, took, cfg.direct)
		}
	}
	time.Sleep(cfg.down - time.Since(killedAt))
	restartAt := time.Now()
	cfg.start()
	phase.Store(2)
	restartedAt := time.Now()
	var recovered time.Duration
	for {
		cctx, cancel := context.WithTimeout(ctx, cfg.direct)
		err := cfg.store.Set(cctx, "probe", []byte("ok"))
		cancel()
		if err == nil {
			recovered = time.Since(restartedAt)
			break
		}
		if time.Since(restartedAt) > 15*time.Second {
			t.Fatalf("store still failing 15s after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for hits[2].Load() == 0 && time.Since(restartedAt) < 15*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	cacheBack := time.Since(restartedAt)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if hits[0].Load() == 0 || hits[2].Load() == 0 {
		t.Fatalf("hits before the kill %d, after the restart %d: want both > 0", hits[0].Load(), hits[2].Load())
	}
	if requests[1].Load() == 0 {
		t.Fatal("no request ran while the server was down: the test proved nothing")
	}
	// One store call that fails at its deadline, and the origin, take
	// less than two store timeouts.
	for p := 1; p <= 2; p++ {
		if d := time.Duration(slowest[p].Load()); d >= 2*cfg.storeTimeout {
			t.Errorf("phase %d: slowest request %v, want under two store timeouts (%v): a request waited for more than one failing store call", p, d, 2*cfg.storeTimeout)
		}
	}
	// A report opens each breaker period, and the periods last at least
	// 200, 400, 800 ms, then 1.6 s: two a second is generous, one per
	// request (as without the breaker) is not.
	failing := restartedAt.Sub(killedAt) + recovered
	if n, most := storeErrs.Load(), 4+2*int64(failing/time.Second); n > most {
		t.Errorf("%d store errors reported in the %v the store failed, want at most %d: one per breaker period, not per request", n, failing.Round(time.Millisecond), most)
	}
	if cacheBack > recovered+faultBreakerMax+time.Second {
		t.Errorf("first cache hit %v after the restart, the store answered %v after it: want within the longest breaker period (%v) and a second", cacheBack, recovered, faultBreakerMax)
	}
	t.Logf("requests (by the phase they started in): up %d (hits %d), down %d (hits %d), restarted %d (hits %d); failed %d; hung %d; slowest (by the phase they ended in) up %v, down %v, restarted %v; store errors reported %d; direct calls while down: %d/5 errors, slowest %v (deadline %v); server start took %v; store back %v after it answered, first cache hit %v after",
		requests[0].Load(), hits[0].Load(), requests[1].Load(), hits[1].Load(), requests[2].Load(), hits[2].Load(),
		failed.Load(), hungN.Load(), time.Duration(slowest[0].Load()), time.Duration(slowest[1].Load()), time.Duration(slowest[2].Load()),
		storeErrs.Load(), directErrs, directSlowest, cfg.direct,
		restartedAt.Sub(restartAt).Round(time.Millisecond), recovered, cacheBack)
}
