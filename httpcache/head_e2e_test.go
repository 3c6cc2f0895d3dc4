package httpcache_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// headOrigin is an origin whose representation (ETag, body, max-age and
// an X-Rev header) tests change between requests; it answers HEAD with
// 200 always (as origins that ignore conditionals on HEAD do), GET with
// 304 when If-None-Match names the current ETag.
type headOrigin struct {
	mu     sync.Mutex
	etag   string
	body   string
	maxAge int
	rev    int
	length string // Content-Length sent on HEAD; "" the body's
}

func (o *headOrigin) set(f func(*headOrigin)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f(o)
}

func (o *headOrigin) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	etag, body, maxAge, rev, length := o.etag, o.body, o.maxAge, o.rev, o.length
	o.mu.Unlock()
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	w.Header().Set("X-Rev", strconv.Itoa(rev))
	if length == "" {
		length = strconv.Itoa(len(body))
	}
	w.Header().Set("Content-Length", length)
	if r.Method == http.MethodHead {
		return
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	fmt.Fprint(w, body)
}

// testHeadFreshening: a HEAD's 200 from the origin updates the stored GET
// response's headers and freshness when its validators (and
// Content-Length) match (RFC 9111 4.3.5), in private and shared mode.
func testHeadFreshening(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			o := &headOrigin{etag: `"v1"`, body: "hello", maxAge: 60, rev: 1}
			e := newEnv(t, b, o.serve, httpcache.WithShared(shared))
			do := func(method string, h http.Header) result {
				return e.do(e.req(context.Background(), method, "/h", "", h))
			}
			if r := do(http.MethodGet, nil); r.status != httpcache.Miss || r.body != "hello" {
				t.Fatalf("first GET: %s %q", r.status, r.body)
			}

			// Matching validators: the GET response takes the HEAD's
			// headers and freshness.
			e.clk.Add(70 * time.Second)
			o.set(func(o *headOrigin) { o.maxAge, o.rev = 600, 2 })
			if r := do(http.MethodHead, nil); r.code != 200 {
				t.Fatalf("HEAD: %d", r.code)
			}
			hits := e.hits.Load()
			r := do(http.MethodGet, nil)
			if r.status != httpcache.Hit || r.body != "hello" || r.header.Get("X-Rev") != "2" || e.hits.Load() != hits {
				t.Fatalf("GET after a matching HEAD: %s %q X-Rev %q, %d origin requests; want a hit with X-Rev 2 and none", r.status, r.body, r.header.Get("X-Rev"), e.hits.Load()-hits)
			}

		})
	}
}

// testHeadInvalidates: a HEAD's 200 whose ETag, or Content-Length, is not
// the stored GET response's makes that response stale, fresh as it was
// (RFC 9111 4.3.5), in private and shared mode.
func testHeadInvalidates(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			o := &headOrigin{etag: `"v1"`, body: "hello", maxAge: 60, rev: 1}
			e := newEnv(t, b, o.serve, httpcache.WithShared(shared))
			do := func(method string, h http.Header) result {
				return e.do(e.req(context.Background(), method, "/h", "", h))
			}
			do(http.MethodGet, nil)
			// Another ETag: the stored GET response is stale, though
			// fresh until then.
			o.set(func(o *headOrigin) { o.etag, o.body, o.rev = `"v2"`, "world", 3 })
			do(http.MethodHead, http.Header{"Cache-Control": {"no-cache"}})
			if r := do(http.MethodGet, nil); r.status == httpcache.Hit || r.body != "world" {
				t.Fatalf("GET after a HEAD with another ETag: %s %q, want the new body from the origin", r.status, r.body)
			}

			// Same ETag, another Content-Length: stale too.
			hits := e.hits.Load()
			if r := do(http.MethodGet, nil); r.status != httpcache.Hit || e.hits.Load() != hits {
				t.Fatalf("GET: %s, want a hit", r.status)
			}
			o.set(func(o *headOrigin) { o.length = "99" })
			do(http.MethodHead, http.Header{"Cache-Control": {"no-cache"}})
			o.set(func(o *headOrigin) { o.length = "" })
			hits = e.hits.Load()
			if r := do(http.MethodGet, nil); r.status != httpcache.Revalidated || e.hits.Load() != hits+1 {
				t.Fatalf("GET after a HEAD with another Content-Length: %s, %d origin requests; want revalidated, 1", r.status, e.hits.Load()-hits)
			}
		})
	}
}

// testHeadRevalidatesGet: a HEAD answered from a stale stored GET
// response revalidates it, and the origin's 304 refreshes the GET
// response itself (RFC 9111 4.3.4), so the next GET is a hit.
func testHeadRevalidatesGet(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			e := newEnv(t, b, validating(map[string]string{"Cache-Control": "public, max-age=60", "ETag": `"v1"`}), httpcache.WithShared(shared))
			e.get("/r")
			e.clk.Add(70 * time.Second)
			if r := e.do(e.req(context.Background(), http.MethodHead, "/r", "", nil)); r.status != httpcache.Revalidated {
				t.Fatalf("HEAD: %s, want revalidated", r.status)
			}
			hits := e.hits.Load()
			if r := e.get("/r"); r.status != httpcache.Hit || e.hits.Load() != hits {
				t.Fatalf("GET after the HEAD's 304: %s, %d origin requests; want a hit, none", r.status, e.hits.Load()-hits)
			}
		})
	}
}
