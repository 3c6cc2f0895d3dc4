package httpcache_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

// TestReadOnly: a read-only Transport serves what another stored, and
// writes nothing: a miss stays a miss, a 304 refreshes nothing, an unsafe
// method invalidates nothing. Private and shared mode.
func TestReadOnly(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "private", true: "shared"}[shared], func(t *testing.T) {
			var hits atomic.Int64
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Cache-Control", "max-age=60")
				io.WriteString(w, "body")
			}))
			defer origin.Close()
			responses := memory.New[string, *httpcache.Response]()
			defer responses.Close()
			redirects := memory.New[string, string]()
			defer redirects.Close()
			writer := httpcache.New(responses, redirects, httpcache.WithShared(shared))
			defer writer.Close()
			reader := httpcache.New(responses, redirects, httpcache.WithShared(shared), httpcache.WithReadOnly(), httpcache.WithAllowedMethods("GET", "POST"))
			defer reader.Close()

			get := func(tr *httpcache.Transport, method, path string) httpcache.Status {
				t.Helper()
				req, _ := http.NewRequest(method, origin.URL+path, nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return httpcache.CacheStatus(resp)
			}
			if s := get(writer, "GET", "/stored"); s != httpcache.Miss {
				t.Fatalf("writer: %s, want miss", s)
			}
			if s := get(reader, "GET", "/stored"); s != httpcache.Hit {
				t.Fatalf("read-only, stored response: %s, want hit", s)
			}
			for i := range 2 {
				if s := get(reader, "GET", "/new"); s != httpcache.Miss {
					t.Fatalf("read-only, request %d: %s, want miss (nothing written)", i, s)
				}
			}
			if n, _ := responses.Len(t.Context()); n != 1 {
				t.Fatalf("%d entries after read-only misses, want 1", n)
			}
			get(reader, "POST", "/stored") // unsafe: would invalidate
			if s := get(reader, "GET", "/stored"); s != httpcache.Hit {
				t.Fatalf("read-only after POST: %s, want hit (no invalidation)", s)
			}
			if hits.Load() != 4 {
				t.Fatalf("%d origin requests, want 4", hits.Load())
			}
		})
	}
}
