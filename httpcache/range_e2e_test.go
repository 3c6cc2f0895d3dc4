package httpcache_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// testRange: a GET of one byte range (first-last, first-, -suffix) is
// answered from a stored complete 200 with a 206 and its Content-Range,
// or a 416 when unsatisfiable, with no origin request; If-Range is
// honoured; a stale response is revalidated whole and the range cut from
// it; several ranges are forwarded untouched; in private and shared mode.
func testRange(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			content := []byte("0123456789")
			modified := epoch.Add(-time.Hour)
			var mu sync.Mutex
			var ranges []string // the Range of each origin request
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				ranges = append(ranges, r.Header.Get("Range"))
				mu.Unlock()
				w.Header().Set("Cache-Control", "public, max-age=60")
				w.Header().Set("ETag", `"r1"`)
				w.Header().Set("Content-Type", "text/plain")
				http.ServeContent(w, r, "", modified, bytes.NewReader(content))
			}, httpcache.WithShared(shared))
			get := func(h http.Header) result {
				return e.do(e.req(context.Background(), http.MethodGet, "/file", "", h))
			}
			originRanges := func() []string {
				mu.Lock()
				defer mu.Unlock()
				out := ranges
				ranges = nil
				return out
			}

			// Nothing stored: the range goes to the origin (its 206 is
			// kept as a part, testRangeParts).
			if r := get(http.Header{"Range": {"bytes=0-1"}}); r.code != 206 || r.body != "01" {
				t.Fatalf("range, nothing stored: %d %q %s", r.code, r.body, r.status)
			}
			if got := originRanges(); len(got) != 1 || got[0] != "bytes=0-1" {
				t.Fatalf("origin saw %q", got)
			}
			if r := get(nil); r.status != httpcache.Miss || r.body != string(content) {
				t.Fatalf("GET: %s %q", r.status, r.body)
			}
			originRanges()

			checkRangeRows(t, get, modified)
			if got := originRanges(); len(got) != 0 {
				t.Fatalf("answered from the cache, yet the origin saw %q", got)
			}

			checkRangeForwarded(t, e, get, originRanges)
		})
	}
}

func hasParam(m sfMember, key string) bool {
	v, ok := m.param(key)
	return ok && v == true
}

// checkRangeRows sends one-range requests that the stored 10-byte
// response of ETag "r1", last modified at modified, answers.
func checkRangeRows(t *testing.T, get func(http.Header) result, modified time.Time) {
	t.Helper()
	lm := modified.UTC().Format(http.TimeFormat)
	rows := []struct {
		name, rng, ifRange string
		code               int
		body, contentRange string
	}{
		{"first-last", "bytes=2-5", "", 206, "2345", "bytes 2-5/10"},
		{"first-", "bytes=7-", "", 206, "789", "bytes 7-9/10"},
		{"-suffix", "bytes=-3", "", 206, "789", "bytes 7-9/10"},
		{"suffix past the start", "bytes=-20", "", 206, "0123456789", "bytes 0-9/10"},
		{"last past the end", "bytes=5-100", "", 206, "56789", "bytes 5-9/10"},
		{"unsatisfiable", "bytes=10-", "", 416, "", "bytes */10"},
		{"If-Range, same ETag", "bytes=0-1", `"r1"`, 206, "01", "bytes 0-1/10"},
		{"If-Range, another ETag: whole", "bytes=0-1", `"r0"`, 200, "0123456789", ""},
		{"If-Range, weak ETag: whole", "bytes=0-1", `W/"r1"`, 200, "0123456789", ""},
		{"If-Range, Last-Modified", "bytes=0-1", lm, 206, "01", "bytes 0-1/10"},
		{"If-Range, another date: whole", "bytes=0-1", epoch.Format(http.TimeFormat), 200, "0123456789", ""},
	}
	for _, r := range rows {
		h := http.Header{"Range": {r.rng}}
		if r.ifRange != "" {
			h.Set("If-Range", r.ifRange)
		}
		got := get(h)
		if got.status != httpcache.Hit || got.code != r.code || got.body != r.body || got.header.Get("Content-Range") != r.contentRange {
			t.Errorf("%s: %s %d %q Content-Range %q; want hit %d %q %q", r.name, got.status, got.code, got.body, got.header.Get("Content-Range"), r.code, r.body, r.contentRange)
		}
		if r.code == 206 && got.header.Get("Content-Length") != fmt.Sprint(len(r.body)) {
			t.Errorf("%s: Content-Length %q", r.name, got.header.Get("Content-Length"))
		}
		if m, _ := cacheStatus(t, got.header, "kvcache"); !hasParam(m, "hit") {
			t.Errorf("%s: Cache-Status %q", r.name, got.header.Values("Cache-Status"))
		}
	}
}

// checkRangeForwarded: several ranges go to the origin untouched; a
// stale stored response is revalidated whole and the range cut from it.
func checkRangeForwarded(t *testing.T, e *env, get func(http.Header) result, originRanges func() []string) {
	t.Helper()
	// Several ranges: forwarded untouched.
	if r := get(http.Header{"Range": {"bytes=0-1,5-6"}}); r.status != httpcache.Bypass || r.code != 206 {
		t.Errorf("multi-range: %s %d", r.status, r.code)
	}
	if got := originRanges(); len(got) != 1 || got[0] != "bytes=0-1,5-6" {
		t.Errorf("multi-range: origin saw %q", got)
	}

	// Stale: revalidated whole (no Range sent), the range cut
	// from the refreshed response.
	e.clk.Add(2 * time.Minute)
	if r := get(http.Header{"Range": {"bytes=3-4"}}); r.status != httpcache.Revalidated || r.code != 206 || r.body != "34" {
		t.Errorf("stale range: %s %d %q", r.status, r.code, r.body)
	}
	if got := originRanges(); len(got) != 1 || got[0] != "" {
		t.Errorf("stale range: origin saw %q, want one request without Range", got)
	}
}

// testRangeParts: a 206 to a one-range GET is stored (RFC 9111 3.3) and
// answers later ranges wholly within it; a part that meets it (same
// strong ETag) is combined with it (3.4), and parts that make the whole
// representation are a complete response, which then answers plain GETs
// too; in private and shared mode.
func testRangeParts(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			content := []byte("0123456789")
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=60")
				w.Header().Set("ETag", `"p1"`)
				http.ServeContent(w, r, "", epoch.Add(-time.Hour), bytes.NewReader(content))
			}, httpcache.WithShared(shared))
			steps := []struct {
				name    string
				rng     string // "": a plain GET
				status  httpcache.Status
				code    int
				body    string
				origins int64 // origin requests the step makes
			}{
				{"first part from the origin, stored", "bytes=0-3", httpcache.Miss, 206, "0123", 1},
				{"within the part: from the cache", "bytes=1-2", httpcache.Hit, 206, "12", 0},
				{"the whole part", "bytes=0-3", httpcache.Hit, 206, "0123", 0},
				{"beyond the part: from the origin", "bytes=2-5", httpcache.Miss, 206, "2345", 1},
				{"within the combined part", "bytes=1-5", httpcache.Hit, 206, "12345", 0},
				{"a plain GET is not answered from parts", "", httpcache.Miss, 200, "0123456789", 1},
			}
			for _, s := range steps {
				var h http.Header
				if s.rng != "" {
					h = http.Header{"Range": {s.rng}}
				}
				before := e.hits.Load()
				r := e.do(e.req(context.Background(), http.MethodGet, "/p", "", h))
				if r.status != s.status || r.code != s.code || r.body != s.body || e.hits.Load()-before != s.origins {
					t.Fatalf("%s: %s %d %q, %d origin requests; want %s %d %q, %d", s.name, r.status, r.code, r.body, e.hits.Load()-before, s.status, s.code, s.body, s.origins)
				}
			}

			// Parts that add up to the whole make a complete response.
			for _, rng := range []string{"bytes=0-4", "bytes=5-"} {
				e.do(e.req(context.Background(), http.MethodGet, "/q", "", http.Header{"Range": {rng}}))
			}
			before := e.hits.Load()
			if r := e.get("/q"); r.status != httpcache.Hit || r.code != 200 || r.body != string(content) || e.hits.Load() != before {
				t.Fatalf("GET after parts making the whole: %s %d %q, %d origin requests; want a hit with the whole body", r.status, r.code, r.body, e.hits.Load()-before)
			}
		})
	}
}
