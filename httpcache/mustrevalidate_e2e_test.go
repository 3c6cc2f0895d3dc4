package httpcache_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// disconnect is how a case keeps the origin from revalidating.
type disconnect uint8

const (
	closed  disconnect = iota // the origin is unreachable: transport error
	failing                   // the origin answers 503
	offline                   // the request has OnlyIfCached
)

// mustRevalidateCase: a response with cc (and an ETag) is stored, goes
// stale, and is asked for again while the origin cannot revalidate it.
type mustRevalidateCase struct {
	name   string
	cc     string
	shared bool
	opts   []httpcache.Option
	how    disconnect
	req    http.Header // on the request made while disconnected
	code   int         // the status served; 0: the request fails
	status httpcache.Status
}

// testMustRevalidateDisconnected: a stale response that must be
// revalidated (must-revalidate, no-cache, and in a shared cache
// proxy-revalidate and s-maxage) is never served without revalidation,
// whatever the request or the configuration allows; a cache that cannot
// reach the origin answers 504 (RFC 9111 5.2.2.2, 4.2.4). The origin's
// own stale-if-error still lets it stand in (RFC 5861 4).
func testMustRevalidateDisconnected(t *testing.T, b backend) {
	sie := opts(httpcache.WithStaleIfError(time.Hour))
	var cases []mustRevalidateCase
	for _, shared := range []bool{false, true} {
		cases = append(cases,
			mustRevalidateCase{name: "must-revalidate, origin unreachable: 504", cc: "max-age=10, must-revalidate", shared: shared, how: closed, code: 504, status: httpcache.Miss},
			mustRevalidateCase{name: "must-revalidate, origin unreachable, WithStaleIfError: 504", cc: "max-age=10, must-revalidate", shared: shared, opts: sie, how: closed, code: 504, status: httpcache.Miss},
			mustRevalidateCase{name: "must-revalidate, origin unreachable, request stale-if-error: 504", cc: "max-age=10, must-revalidate", shared: shared, how: closed, req: cc("stale-if-error=600"), code: 504, status: httpcache.Miss},
			mustRevalidateCase{name: "must-revalidate, origin 503, request stale-if-error: the 503", cc: "max-age=10, must-revalidate", shared: shared, how: failing, req: cc("stale-if-error=600"), code: 503, status: httpcache.Miss},
			mustRevalidateCase{name: "must-revalidate, OnlyIfCached: 504", cc: "max-age=10, must-revalidate", shared: shared, how: offline, code: 504, status: httpcache.Miss},
			mustRevalidateCase{name: "no-cache, origin unreachable: 504", cc: "max-age=600, no-cache", shared: shared, how: closed, code: 504, status: httpcache.Miss},
			mustRevalidateCase{name: "no-cache, OnlyIfCached: 504", cc: "max-age=600, no-cache", shared: shared, how: offline, code: 504, status: httpcache.Miss},
			mustRevalidateCase{name: "must-revalidate with its own stale-if-error, origin unreachable: stale", cc: "max-age=10, must-revalidate, stale-if-error=60", shared: shared, how: closed, code: 200, status: httpcache.Stale},
		)
	}
	cases = append(cases,
		mustRevalidateCase{name: "proxy-revalidate, origin unreachable: the transport error", cc: "max-age=10, proxy-revalidate", how: closed},
		mustRevalidateCase{name: "proxy-revalidate, OnlyIfCached: stale", cc: "max-age=10, proxy-revalidate", how: offline, code: 200, status: httpcache.Stale},
		mustRevalidateCase{name: "proxy-revalidate, origin unreachable: 504", cc: "max-age=10, proxy-revalidate", shared: true, how: closed, code: 504, status: httpcache.Miss},
		mustRevalidateCase{name: "proxy-revalidate, OnlyIfCached: 504", cc: "max-age=10, proxy-revalidate", shared: true, how: offline, code: 504, status: httpcache.Miss},
		mustRevalidateCase{name: "s-maxage, origin unreachable, WithStaleIfError: 504", cc: "s-maxage=10", shared: true, opts: sie, how: closed, code: 504, status: httpcache.Miss},
		mustRevalidateCase{name: "s-maxage, OnlyIfCached: 504", cc: "s-maxage=10", shared: true, how: offline, code: 504, status: httpcache.Miss},
	)
	for _, c := range cases {
		mode := "private: "
		if c.shared {
			mode = "shared: "
		}
		t.Run(mode+c.name, func(t *testing.T) { runMustRevalidate(t, b, c) })
	}
}

func runMustRevalidate(t *testing.T, b backend, c mustRevalidateCase) {
	var fail atomic.Bool
	h := func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", c.cc)
		w.Header().Set("ETag", `"m"`)
		fmt.Fprint(w, "stored")
	}
	e := newEnv(t, b, h, append(opts(httpcache.WithShared(c.shared)), c.opts...)...)
	if got := e.get("/"); got.code != 200 {
		t.Fatalf("first request: %d", got.code)
	}
	e.clk.Add(20 * time.Second) // stale for every case
	ctx := context.Background()
	switch c.how {
	case closed:
		e.origin.Close()
	case failing:
		fail.Store(true)
	case offline:
		ctx = httpcache.OnlyIfCached(ctx)
	}
	resp, err := e.client.Do(e.req(ctx, http.MethodGet, "/", "", c.req))
	if c.code == 0 {
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got %d %s, want the transport error", resp.StatusCode, httpcache.CacheStatus(resp))
		}
		return
	}
	if err != nil {
		t.Fatalf("want %d %s, got the error %v", c.code, c.status, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != c.code || httpcache.CacheStatus(resp) != c.status {
		t.Fatalf("got %d %s %q, want %d %s", resp.StatusCode, httpcache.CacheStatus(resp), body, c.code, c.status)
	}
	if c.how != closed && e.hits.Load() != map[disconnect]int64{failing: 2, offline: 1}[c.how] {
		t.Errorf("%d origin requests", e.hits.Load())
	}
}
