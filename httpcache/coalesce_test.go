package httpcache_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// uncacheableOrigin answers every request after delay with header and a
// body naming the origin request it answers (so that sharing shows).
func uncacheableOrigin(t *testing.T, delay time.Duration, code int, header http.Header) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		time.Sleep(delay)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d", i)
	}))
	t.Cleanup(origin.Close)
	return origin, &n
}

// burst sends n identical GETs of url through tr at once (with header h)
// and returns their bodies and how long the last took to finish.
func burst(t *testing.T, tr http.RoundTripper, n int, url string, h http.Header) ([]string, time.Duration) {
	t.Helper()
	client := &http.Client{Transport: tr}
	bodies := make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			for k, v := range h {
				req.Header[k] = v
			}
			<-start
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			bodies[i] = string(b)
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return bodies, time.Since(t0)
}

// TestCoalesceUncacheablePrivate: in a private cache (the default), 50
// identical concurrent requests to a 300 ms origin whose answer is not
// stored (no-store, a 500, private with max-age=0) all finish within 1.3
// times the origin's latency: they share the first request's answer
// rather than each going to the origin after it. The machine is shared
// and the race detector slows 50 goroutines down: the best of 3 bursts
// (each on a fresh Transport) is held to the bound; without sharing every
// burst takes twice the origin's latency.
func TestCoalesceUncacheablePrivate(t *testing.T) {
	const delay, n = 300 * time.Millisecond, 50
	for _, c := range []struct {
		name   string
		code   int
		header http.Header
	}{
		{"no-store", 200, http.Header{"Cache-Control": {"no-store"}}},
		{"500", 500, http.Header{"Cache-Control": {"max-age=60"}}},
		{"private, max-age=0", 200, http.Header{"Cache-Control": {"private, max-age=0"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			origin, hits := uncacheableOrigin(t, delay, c.code, c.header)
			best := time.Duration(1<<63 - 1)
			var tries []string
			for range 3 {
				hits.Store(0)
				tr := httpcache.NewMemory()
				bodies, took := burst(t, tr, n, origin.URL+"/same", nil)
				tr.Close()
				for i, b := range bodies {
					if b == "" {
						t.Errorf("request %d: empty body", i)
					}
				}
				tries = append(tries, fmt.Sprintf("%v (%d origin requests)", took, hits.Load()))
				best = min(best, took)
				if best <= delay*13/10 {
					break
				}
			}
			if limit := delay * 13 / 10; best > limit {
				t.Errorf("%d identical requests took %v at best, want at most %v (1.3 × the origin's %v): %v", n, best, limit, delay, tries)
			}
			t.Logf("%d requests: %v", n, tries)
		})
	}
}

// TestCoalesceSharedNeverSharesPrivate: a shared cache never hands the
// answer to one request to an identical concurrent one when it is
// private, no-store, sets a cookie, or answers a request with
// credentials: every request gets an origin answer of its own.
func TestCoalesceSharedNeverSharesPrivate(t *testing.T) {
	const delay, n = 100 * time.Millisecond, 20
	for _, c := range []struct {
		name   string
		header http.Header
		req    http.Header
	}{
		{"private", http.Header{"Cache-Control": {"private"}}, nil},
		{"private, max-age=60", http.Header{"Cache-Control": {"private, max-age=60"}}, nil},
		{"no-store", http.Header{"Cache-Control": {"no-store"}}, nil},
		{"Set-Cookie", http.Header{"Cache-Control": {"max-age=0"}, "Set-Cookie": {"session=1"}}, nil},
		{"Authorization", http.Header{"Cache-Control": {"max-age=60"}}, http.Header{"Authorization": {"Bearer user"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			origin, hits := uncacheableOrigin(t, delay, 200, c.header)
			tr := httpcache.NewMemory(httpcache.WithShared(true))
			defer tr.Close()
			for round := range 2 {
				bodies, _ := burst(t, tr, n, origin.URL+"/me", c.req)
				seen := map[string]int{}
				for i, b := range bodies {
					if j, ok := seen[b]; ok {
						t.Fatalf("round %d: requests %d and %d both got %q: one user's response handed to another", round, j, i, b)
					}
					seen[b] = i
				}
			}
			if got := hits.Load(); got != 2*n {
				t.Errorf("%d origin requests for %d requests, want one each", got, 2*n)
			}
		})
	}
}

// TestUncacheableMark: once the origin has answered a key with a
// response the cache may neither store nor share (shared mode, private),
// identical requests arriving while the mark lasts go straight to the
// origin instead of queueing behind one another: a burst takes one origin
// latency, not two.
func TestUncacheableMark(t *testing.T) {
	const delay, n = 300 * time.Millisecond, 20
	origin, _ := uncacheableOrigin(t, delay, 200, http.Header{"Cache-Control": {"private"}})
	tr := httpcache.NewMemory(httpcache.WithShared(true))
	defer tr.Close()
	burst(t, tr, 1, origin.URL+"/me", nil) // the origin answers uncacheably
	var tries []time.Duration
	for range 3 { // the best of 3, as in TestCoalesceUncacheablePrivate
		_, took := burst(t, tr, n, origin.URL+"/me", nil)
		tries = append(tries, took)
		if took <= delay*13/10 {
			return
		}
	}
	t.Errorf("%d identical requests after an uncacheable answer took %v, want at most %v", n, tries, delay*13/10)
}
