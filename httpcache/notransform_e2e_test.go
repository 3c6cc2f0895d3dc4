package httpcache_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvkit/kv/httpcache"
)

func init() {
	scenarios = append(scenarios, scenario{"NoTransform", testNoTransform})
}

// representationHeaders are the fields that describe the content (RFC
// 9110 8): a cache that transformed the content would change them.
var representationHeaders = []string{"Content-Type", "Content-Encoding", "Content-Language", "Content-Length", "Content-Location", "Etag", "Last-Modified"}

// testNoTransform: a no-transform response (RFC 9111 5.2.2.6, RFC 9110
// 7.7) is served from the cache, fresh, revalidated and to a HEAD, with
// the very content and representation headers the origin sent: the cache
// transforms nothing, in both modes.
func testNoTransform(t *testing.T, b backend) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("content "), 100))
	zw.Close()
	body := gz.Bytes()
	origin := func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "max-age=60, no-transform")
		h.Set("Content-Type", "text/plain; charset=iso-8859-1")
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Language", "fr")
		h.Set("Content-Location", "/doc.txt.gz")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("ETag", `"nt"`)
		h.Set("Last-Modified", epoch.Add(-time.Hour).Format(http.TimeFormat))
		if r.Header.Get("If-None-Match") == `"nt"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	}
	// Accept-Encoding is sent, so the client's transport leaves the
	// content coding alone: what arrives is what the origin sent.
	accept := http.Header{"Accept-Encoding": {"gzip"}}
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "private", true: "shared"}[shared], func(t *testing.T) {
			e := newEnv(t, b, origin, httpcache.WithShared(shared))
			first := e.do(e.req(context.Background(), http.MethodGet, "/doc", "", accept))
			if first.status != httpcache.Miss || first.body != string(body) {
				t.Fatalf("first request: %s, %d bytes; want miss, the origin's %d", first.status, len(first.body), len(body))
			}
			want := pick(first.header)
			for _, c := range []struct {
				name   string
				ctx    context.Context
				method string
				status httpcache.Status
			}{
				{"hit", context.Background(), http.MethodGet, httpcache.Hit},
				{"revalidated", httpcache.Refresh(context.Background()), http.MethodGet, httpcache.Revalidated},
				{"HEAD from the stored GET", context.Background(), http.MethodHead, httpcache.Hit},
			} {
				got := e.do(e.req(c.ctx, c.method, "/doc", "", accept))
				if got.status != c.status {
					t.Fatalf("%s: %s, want %s", c.name, got.status, c.status)
				}
				if c.method == http.MethodGet && got.body != string(body) {
					t.Errorf("%s: content changed (%d bytes, want %d)", c.name, len(got.body), len(body))
				}
				if diff := cmp.Diff(want, pick(got.header)); diff != "" {
					t.Errorf("%s: representation headers changed (-origin +served):\n%s", c.name, diff)
				}
			}
		})
	}
}

func pick(h http.Header) map[string][]string {
	out := map[string][]string{}
	for _, k := range representationHeaders {
		out[k] = h.Values(k)
	}
	return out
}
