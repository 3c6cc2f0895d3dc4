package httpcache_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/kvkit/kv/httpcache"
)

func init() {
	scenarios = append(scenarios, scenario{"QualifiedFields", testQualifiedFields})
}

// testQualifiedFields: a response with no-cache="Set-Cookie" is stored
// and served without its Set-Cookie until it is revalidated (RFC 9111
// 5.2.2.4); one with private="X-User" is stored, by a shared cache
// without X-User (5.2.2.7), in both modes.
func testQualifiedFields(t *testing.T, b backend) {
	origin := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", `max-age=60, no-cache="Set-Cookie", private="X-User"`)
		w.Header().Set("ETag", `"q"`)
		w.Header().Set("Set-Cookie", "session=1")
		w.Header().Set("X-User", "alice")
		if r.Header.Get("If-None-Match") == `"q"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("body"))
	}
	for _, shared := range []bool{false, true} {
		mode := map[bool]string{false: "private", true: "shared"}[shared]
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, b, origin, httpcache.WithShared(shared))
			check := func(step string, got result, status httpcache.Status, cookie, user bool) {
				t.Helper()
				if got.status != status {
					t.Fatalf("%s: %s, want %s", step, got.status, status)
				}
				if has := got.header.Get("Set-Cookie") != ""; has != cookie {
					t.Errorf("%s: Set-Cookie served = %v, want %v", step, has, cookie)
				}
				if has := got.header.Get("X-User") != ""; has != user {
					t.Errorf("%s: X-User served = %v, want %v", step, has, user)
				}
			}
			check("first request", e.get("/q"), httpcache.Miss, true, true)
			check("hit", e.get("/q"), httpcache.Hit, false, !shared)
			if n := e.hits.Load(); n != 1 {
				t.Fatalf("%d origin requests, want 1", n)
			}
			refreshed := e.do(e.req(httpcache.Refresh(context.Background()), http.MethodGet, "/q", "", nil))
			check("revalidated", refreshed, httpcache.Revalidated, true, !shared)
			check("hit after revalidation", e.get("/q"), httpcache.Hit, false, !shared)
			if got := e.do(e.req(context.Background(), http.MethodHead, "/q", "", nil)); got.header.Get("Set-Cookie") != "" {
				t.Errorf("HEAD from the stored GET: Set-Cookie served")
			}
		})
	}
}
