package httpcache_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/kvkit/kv/httpcache"
)

// testPostContentLocation: with POST (and PATCH) cached, a fresh answer
// whose Content-Location is the target URI answers a later GET of it from
// the cache (RFC 9110 9.3.3, RFC 5789 2); one naming another URI, or
// without explicit freshness, does not; in private and shared mode.
func testPostContentLocation(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					fmt.Fprint(w, "origin GET "+r.URL.Path)
					return
				}
				switch r.URL.Path {
				case "/same":
					w.Header().Set("Content-Location", r.URL.Path)
					w.Header().Set("Cache-Control", "max-age=60")
				case "/other":
					w.Header().Set("Content-Location", "/elsewhere")
					w.Header().Set("Cache-Control", "max-age=60")
				case "/heuristic":
					w.Header().Set("Content-Location", r.URL.Path)
				}
				fmt.Fprint(w, r.Method+" answer "+r.URL.Path)
			}, httpcache.WithShared(shared), httpcache.WithAllowedMethods("GET", "HEAD", "POST", "PATCH"),
				httpcache.WithExpireAfter(httpcache.After(60e9)))
			// The PATCH row also checks that an unsafe request invalidates
			// the GET it answered before (RFC 9111 4.4), then stands in.
			rows := []struct {
				method, path string
				wantHit      bool
			}{
				{http.MethodPost, "/same", true},
				{http.MethodPatch, "/same", true},
				{http.MethodPost, "/other", false},
				{http.MethodPost, "/heuristic", false},
			}
			for _, r := range rows {
				e.do(e.req(context.Background(), r.method, r.path, "x", http.Header{"Content-Type": {"text/plain"}}))
				hits := e.hits.Load()
				got := e.get(r.path)
				want := "origin GET " + r.path
				if r.wantHit {
					want = r.method + " answer " + r.path
				}
				if got.body != want || (got.status == httpcache.Hit) != r.wantHit || (e.hits.Load() == hits) != r.wantHit {
					t.Errorf("%s %s, then GET: %s %q, %d origin requests; want hit=%v %q", r.method, r.path, got.status, got.body, e.hits.Load()-hits, r.wantHit, want)
				}
			}
		})
	}
}
