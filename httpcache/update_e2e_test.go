package httpcache_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv/httpcache"
)

func init() {
	scenarios = append(scenarios, scenario{"NotModifiedOtherTag", testNotModifiedOtherTag})
}

// testNotModifiedOtherTag: a 304 carrying an entity tag other than the
// stored one updates nothing (RFC 9111 4.3.4): the cache asks again
// unconditionally and serves the current representation, in both modes.
func testNotModifiedOtherTag(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "private", true: "shared"}[shared], func(t *testing.T) {
			// The origin sends "v1" first; then it has "v2", and answers a
			// conditional request with a 304 naming "v2" whatever it asks.
			var served atomic.Int64
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=10")
				switch {
				case served.Add(1) == 1:
					w.Header().Set("ETag", `"v1"`)
					w.Write([]byte("one"))
				case r.Header.Get("If-None-Match") != "":
					w.Header().Set("ETag", `"v2"`)
					w.WriteHeader(http.StatusNotModified)
				default:
					w.Header().Set("ETag", `"v2"`)
					w.Write([]byte("two"))
				}
			}, httpcache.WithShared(shared))
			if got := e.get("/t"); got.status != httpcache.Miss || got.body != "one" {
				t.Fatalf("first: %s %q", got.status, got.body)
			}
			e.clk.Add(20 * time.Second)
			got := e.get("/t")
			if got.status != httpcache.Miss || got.body != "two" || got.header.Get("ETag") != `"v2"` {
				t.Fatalf("after a 304 with another tag: %s %q %s; want miss, the new representation", got.status, got.body, got.header.Get("ETag"))
			}
			if h := e.hits.Load(); h != 3 {
				t.Fatalf("%d origin requests, want 3 (first, conditional, unconditional)", h)
			}
			if got := e.get("/t"); got.status != httpcache.Hit || got.body != "two" {
				t.Fatalf("then: %s %q, want a hit on the new representation", got.status, got.body)
			}
		})
	}
}
