package httpcache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

var errStoreDown = errors.New("store down (injected)")

// switchStore is a memory store whose Get, Set and Delete fail on demand,
// after an optional delay, as a store whose server is down would; it
// counts the calls that reach it.
type switchStore[V any] struct {
	*memory.Store[string, V]
	fail    atomic.Bool
	delay   atomic.Int64 // time.Duration each failing call takes
	tooBig  atomic.Bool  // Set refuses values with kv.ErrTooLarge
	calls   atomic.Int64
	gets    atomic.Int64
	blockOn atomic.Bool // Get waits for its context to end
}

func newSwitchStore[V any](t *testing.T) *switchStore[V] {
	m := memory.New[string, V](memory.WithSweepInterval(0))
	t.Cleanup(func() { m.Close() })
	return &switchStore[V]{Store: m}
}

func (s *switchStore[V]) down(ctx context.Context) error {
	s.calls.Add(1)
	if !s.fail.Load() {
		return nil
	}
	select {
	case <-time.After(time.Duration(s.delay.Load())):
		return errStoreDown
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *switchStore[V]) Get(ctx context.Context, key string) (V, error) {
	s.gets.Add(1)
	if s.blockOn.Load() {
		s.calls.Add(1)
		<-ctx.Done()
		var zero V
		return zero, ctx.Err()
	}
	if err := s.down(ctx); err != nil {
		var zero V
		return zero, err
	}
	return s.Store.Get(ctx, key)
}

func (s *switchStore[V]) Set(ctx context.Context, key string, v V, opts ...kv.SetOption) error {
	if err := s.down(ctx); err != nil {
		return err
	}
	if s.tooBig.Load() {
		return fmt.Errorf("injected: %w", kv.ErrTooLarge)
	}
	return s.Store.Set(ctx, key, v, opts...)
}

func (s *switchStore[V]) Delete(ctx context.Context, key string) error {
	if err := s.down(ctx); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

func maxAgeOrigin() *cannedOrigin {
	return &cannedOrigin{respond: func(req *http.Request) *http.Response {
		body := "body of " + req.URL.Path
		return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Cache-Control": {"max-age=600"}}, Body: nopBody(body),
			ContentLength: int64(len(body)), Request: req}
	}}
}

// TestStoreCallsPerMiss counts the store calls of one GET that misses,
// with the breaker off: the lookup, the redirect alias lookup, the second
// lookup of the request that leads the fetch (an identical request may
// have stored the response meanwhile), and the write. With the store
// down each of them fails, and each can cost a store timeout.
func TestStoreCallsPerMiss(t *testing.T) {
	for _, c := range []struct {
		name                string
		separate            bool
		wantResp, wantRedir int64
	}{
		{"aliases in the responses store", false, 4, 0},
		{"separate redirects store", true, 3, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := newSwitchStore[*httpcache.Response](t)
			redir := newSwitchStore[string](t)
			var redirects kv.Store[string, string]
			if c.separate {
				redirects = redir
			}
			var log errorLog
			tr := httpcache.New(resp, redirects, httpcache.WithTransport(maxAgeOrigin()),
				httpcache.WithErrorHook(log.hook), httpcache.WithStoreBreaker(0, 0))
			defer tr.Close()
			resp.fail.Store(true)
			redir.fail.Store(true)
			const n = 10
			for i := range n {
				if got := getFault(t, tr, fmt.Sprintf("http://example.test/%d", i), nil); got.status != httpcache.Miss {
					t.Fatalf("request %d: %s, want miss", i, got.status)
				}
			}
			if got, want := resp.calls.Load(), n*c.wantResp; got != want {
				t.Errorf("responses store: %d calls for %d misses, want %d", got, n, want)
			}
			if got, want := redir.calls.Load(), n*c.wantRedir; got != want {
				t.Errorf("redirects store: %d calls for %d misses, want %d", got, n, want)
			}
			if got, want := int64(log.count(errStoreDown)), n*(c.wantResp+c.wantRedir); got != want {
				t.Errorf("%d failures reported, want %d (every one, with the breaker off)", got, want)
			}
		})
	}
}

// TestStoreBreaker: while both stores fail, requests are served by the
// origin and the stores see one call each (plus one probe per backoff
// period that ends meanwhile); each trip is reported once. Once the stores
// answer again, the first request after the backoff is a cache hit.
func TestStoreBreaker(t *testing.T) {
	const lo, hi = 200 * time.Millisecond, 400 * time.Millisecond
	resp := newSwitchStore[*httpcache.Response](t)
	redir := newSwitchStore[string](t)
	origin := maxAgeOrigin()
	var log errorLog
	var logs syncBuffer
	tr := httpcache.New(resp, redir, httpcache.WithTransport(origin), httpcache.WithErrorHook(log.hook),
		httpcache.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))),
		httpcache.WithStoreBreaker(lo, hi))
	defer tr.Close()
	const cached = "http://example.test/cached"
	getFault(t, tr, cached, nil)
	if got := getFault(t, tr, cached, nil); got.status != httpcache.Hit {
		t.Fatalf("before the failure: %s, want hit", got.status)
	}

	resp.fail.Store(true)
	redir.fail.Store(true)
	resp.calls.Store(0)
	redir.calls.Store(0)
	hits := origin.hits.Load()
	const n = 100
	start := time.Now()
	for i := range n {
		u := fmt.Sprintf("http://example.test/%d", i)
		if i%2 == 0 {
			u = cached // stored, but the store cannot be read
		}
		if got := getFault(t, tr, u, nil); got.status != httpcache.Miss || got.code != 200 {
			t.Fatalf("request %d with the stores down: %s %d, want a miss from the origin", i, got.status, got.code)
		}
	}
	elapsed := time.Since(start)
	if got := origin.hits.Load() - hits; got != n {
		t.Errorf("origin served %d of %d requests", got, n)
	}
	// A backoff period lasts at least 4/5 of lo: that many probes at most.
	probes := int64(elapsed / (lo * 4 / 5))
	for _, s := range []struct {
		name  string
		calls int64
	}{{"responses", resp.calls.Load()}, {"redirects", redir.calls.Load()}} {
		if s.calls < 1 || s.calls > 1+probes {
			t.Errorf("%s store: %d calls for %d requests in %v, want 1 to %d", s.name, s.calls, n, elapsed, 1+probes)
		}
	}
	reports := int64(log.count(errStoreDown))
	if reports < 2 || reports > 2*(1+probes) || reports != int64(log.count(nil)) {
		t.Errorf("%d reports (%d of the failure) for %d requests, want one per trip and failed probe: %v", log.count(nil), reports, n, log.errs[:min(4, len(log.errs))])
	}
	if out := logs.String(); strings.Count(out, "level=WARN") != log.count(nil) || !strings.Contains(out, "skipping the responses store for") || !strings.Contains(out, "skipping the redirects store for") {
		t.Errorf("log, want one warning per report, naming each store and its period:\n%s", out)
	}
	t.Logf("stores down: %d requests in %v: %d responses and %d redirects store calls, %d reports", n, elapsed, resp.calls.Load(), redir.calls.Load(), reports)

	resp.fail.Store(false)
	redir.fail.Store(false)
	time.Sleep(hi + 50*time.Millisecond) // longer than any period so far
	if got := getFault(t, tr, cached, nil); got.status != httpcache.Hit {
		t.Fatalf("after the stores came back and the backoff ended: %s, want hit", got.status)
	}
	if got := getFault(t, tr, "http://example.test/new", nil); got.status != httpcache.Miss {
		t.Fatalf("new URL: %s, want miss", got.status)
	}
	if got := getFault(t, tr, "http://example.test/new", nil); got.status != httpcache.Hit {
		t.Fatalf("new URL again: %s, want hit (stored again)", got.status)
	}
	if out := logs.String(); !strings.Contains(out, `msg="httpcache: store answers again" store=responses`) {
		t.Errorf("log does not say the responses store answers again:\n%s", out)
	}
}

// TestStoreBreakerProbeAlone: when a backoff period ends while many
// requests run, one of them probes the store and the others skip it
// rather than wait for it (no stampede on a store that may still be
// down); a failed probe reopens the breaker.
func TestStoreBreakerProbeAlone(t *testing.T) {
	const lo, delay = 100 * time.Millisecond, 300 * time.Millisecond
	resp := newSwitchStore[*httpcache.Response](t)
	resp.delay.Store(int64(delay))
	resp.fail.Store(true)
	var log errorLog
	tr := httpcache.New(resp, nil, httpcache.WithTransport(maxAgeOrigin()), httpcache.WithErrorHook(log.hook),
		httpcache.WithStoreBreaker(lo, time.Minute))
	defer tr.Close()
	getFault(t, tr, "http://example.test/trip", nil) // one failed call opens the breaker
	if got := resp.calls.Load(); got != 1 {
		t.Fatalf("%d calls to open the breaker, want 1", got)
	}
	time.Sleep(lo + 20*time.Millisecond)

	// The probe takes delay to fail, then the next period is at least
	// 8/5 lo: requests started within delay+8/5 lo make no other call.
	const n = 32
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		took    []time.Duration
		statusN = map[httpcache.Status]int{}
	)
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			got := getFault(t, tr, fmt.Sprintf("http://example.test/%d", i), nil)
			mu.Lock()
			took = append(took, time.Since(t0))
			statusN[got.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if elapsed > delay+lo*8/5 {
		t.Skipf("the %d requests took %v: too slow a machine to tell a stampede from a second probe", n, elapsed)
	}
	if got := resp.calls.Load(); got != 2 {
		t.Errorf("%d store calls, want 2: the one that opened the breaker and one probe", got)
	}
	if statusN[httpcache.Miss] != n {
		t.Errorf("statuses %v, want %d misses from the origin", statusN, n)
	}
	fast := 0
	for _, d := range took {
		if d < delay {
			fast++
		}
	}
	if fast < n-1 {
		t.Errorf("%d of %d requests finished before the probe could (%v); want all but the probe's: %v", fast, n, delay, took)
	}
	if got := log.count(errStoreDown); got != 2 {
		t.Errorf("%d reports, want 2 (the trip and the failed probe): %v", got, log.errs)
	}
}

// TestStoreBreakerIgnores: a request whose own context ends during a
// store call, and a value the store refuses as too large, say nothing
// about the store: the next request still calls it.
func TestStoreBreakerIgnores(t *testing.T) {
	resp := newSwitchStore[*httpcache.Response](t)
	var log errorLog
	tr := httpcache.New(resp, nil, httpcache.WithTransport(maxAgeOrigin()), httpcache.WithErrorHook(log.hook),
		httpcache.WithStoreBreaker(time.Hour, time.Hour))
	defer tr.Close()

	resp.blockOn.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://example.test/cancelled", nil)
	roundTripFault(t, tr, req)
	cancel()
	resp.blockOn.Store(false)
	if n := log.count(nil); n != 0 {
		t.Fatalf("the caller's cancellation was reported: %v", log.errs)
	}
	gets := resp.gets.Load()
	getFault(t, tr, "http://example.test/after-cancel", nil)
	if resp.gets.Load() == gets {
		t.Fatal("after a request cancelled by its caller, the store is skipped")
	}

	resp.tooBig.Store(true)
	getFault(t, tr, "http://example.test/big", nil)
	resp.tooBig.Store(false)
	if n := log.count(kv.ErrTooLarge); n != 1 {
		t.Fatalf("%d ErrTooLarge reports, want 1: %v", n, log.errs)
	}
	getFault(t, tr, "http://example.test/small", nil)
	if got := getFault(t, tr, "http://example.test/small", nil); got.status != httpcache.Hit {
		t.Fatalf("after a refused value: %s, want hit (the store still used)", got.status)
	}
}

// TestConcurrentMissStoreDown: while the store fails, identical
// concurrent requests still reach the origin once, the others sharing the
// response the first one fetched (there is no stored copy to hand over).
func TestConcurrentMissStoreDown(t *testing.T) {
	for _, breaker := range []bool{true, false} {
		t.Run(fmt.Sprintf("breaker=%v", breaker), func(t *testing.T) {
			var hits atomic.Int64
			release := make(chan struct{})
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				<-release
				w.Header().Set("Cache-Control", "max-age=60")
				fmt.Fprint(w, "shared body")
			}))
			defer origin.Close()
			resp := newSwitchStore[*httpcache.Response](t)
			resp.fail.Store(true)
			opts := []httpcache.Option{}
			if !breaker {
				opts = append(opts, httpcache.WithStoreBreaker(0, 0))
			}
			tr := httpcache.New(resp, nil, opts...)
			defer tr.Close()
			client := &http.Client{Transport: tr}
			const n = 8
			var wg sync.WaitGroup
			bodies := make([]string, n)
			statuses := make([]httpcache.Status, n)
			for i := range n {
				wg.Go(func() {
					r, err := client.Get(origin.URL + "/same")
					if err != nil {
						t.Error(err)
						return
					}
					b, _ := io.ReadAll(r.Body)
					r.Body.Close()
					bodies[i], statuses[i] = string(b), httpcache.CacheStatus(r)
				})
			}
			waitFor(t, func() bool { return hits.Load() >= 1 })
			time.Sleep(100 * time.Millisecond) // let the others queue behind the first
			close(release)
			wg.Wait()
			if got := hits.Load(); got != 1 {
				t.Errorf("%d origin requests for %d identical concurrent requests with the store down, want 1", got, n)
			}
			misses := 0
			for i := range n {
				if bodies[i] != "shared body" {
					t.Errorf("request %d got body %q", i, bodies[i])
				}
				if statuses[i] == httpcache.Miss {
					misses++
				}
			}
			if misses != 1 {
				t.Errorf("%d misses, want 1 (the others share it): %v", misses, statuses)
			}
		})
	}
}
