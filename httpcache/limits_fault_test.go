package httpcache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/memory"
)

// TestHugeHeaderCountFault: a response with 10,000 header fields is
// stored and served back whole; a request with 10,000 header fields is
// answered (its headers do not enter the key unless the response varies
// by them).
func TestHugeHeaderCountFault(t *testing.T) {
	const n = 10_000
	h := http.Header{"Cache-Control": {"max-age=600"}}
	for i := range n {
		h.Set(fmt.Sprintf("X-Field-%d", i), fmt.Sprint(i))
	}
	origin := &cannedOrigin{header: h, body: []byte("ok")}
	tr := httpcache.NewMemory(httpcache.WithTransport(origin))
	defer tr.Close()
	reqH := http.Header{}
	for i := range n {
		reqH.Set(fmt.Sprintf("X-Req-%d", i), strings.Repeat("v", 20))
	}
	getFault(t, tr, "http://example.test/many", reqH)
	got := getFault(t, tr, "http://example.test/many", reqH)
	if got.status != httpcache.Hit || got.header.Get("X-Field-9999") != "9999" || len(got.header) < n {
		t.Fatalf("%s with %d header fields, want a hit with all %d", got.status, len(got.header), n)
	}
}

// TestVaryHundredsOfHeadersFault: a response whose Vary lists 500 request
// headers is stored per variant and served only to the same values; the
// variant list of one URL is capped (64 variants), so a client sending a
// new value each time cannot grow one entry without bound.
func TestVaryHundredsOfHeadersFault(t *testing.T) {
	const n = 500
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("X-V-%d", i)
	}
	origin := &cannedOrigin{header: http.Header{"Cache-Control": {"max-age=600"}, "Vary": {strings.Join(names, ", ")}}, body: []byte("ok")}
	m := memory.New[string, *httpcache.Response](memory.WithSweepInterval(0))
	defer m.Close()
	tr := httpcache.New(m, nil, httpcache.WithTransport(origin))
	defer tr.Close()
	header := func(variant int) http.Header {
		h := http.Header{}
		for _, name := range names {
			h.Set(name, "same")
		}
		h.Set(names[n-1], fmt.Sprint(variant))
		return h
	}
	getFault(t, tr, "http://example.test/vary", header(0))
	if got := getFault(t, tr, "http://example.test/vary", header(0)); got.status != httpcache.Hit {
		t.Fatalf("same 500 values: %s, want hit", got.status)
	}
	if got := getFault(t, tr, "http://example.test/vary", header(1)); got.status != httpcache.Miss {
		t.Fatalf("one value of 500 differs: %s, want miss", got.status)
	}
	for v := 2; v < 100; v++ {
		getFault(t, tr, "http://example.test/vary", header(v))
	}
	maxList := 0
	for e, err := range m.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		switch e.Value.Kind {
		case httpcache.KindVariants:
			maxList = max(maxList, len(e.Value.Variants))
			if len(e.Value.Vary) != n {
				t.Fatalf("variant list names %d headers, want %d", len(e.Value.Vary), n)
			}
		case httpcache.KindResponse:
			if len(e.Value.RequestHeader) != n {
				t.Fatalf("variant stores %d request headers, want %d", len(e.Value.RequestHeader), n)
			}
		}
	}
	if maxList == 0 || maxList > 64 {
		t.Fatalf("variant list of %d keys after 100 variants, want 1..64", maxList)
	}
	t.Logf("100 variants of a 500-header Vary: variant list capped at %d", maxList)
}

// patternReader yields n bytes of the alphabet, repeated, without
// holding them.
type patternReader struct{ n, off int64 }

var alphabets = strings.Repeat("abcdefghijklmnopqrstuvwxyz", 2600)

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), r.n-r.off, int64(len(alphabets)-26)))
	start := int(r.off % 26)
	copy(p[:k], alphabets[start:start+k])
	r.off += int64(k)
	return k, nil
}

func (r *patternReader) Close() error { return nil }

// TestHundredMegabyteBodyFault: a 100 MB body streams through the cache
// uncached, whether its length is announced or not, and the bytes the
// Transport allocates stay far below the body's size: at most the size
// limit (DefaultMaxBodySize, 10 MB) plus buffer growth.
func TestHundredMegabyteBodyFault(t *testing.T) {
	const size = 100 << 20
	for _, c := range []struct {
		name   string
		length int64
		opts   []httpcache.Option
		limit  uint64
	}{
		{"no Content-Length, default limit", -1, nil, 50 << 20},
		{"Content-Length, default limit", size, nil, 4 << 20},
		{"no Content-Length, 1 MB limit", -1, []httpcache.Option{httpcache.WithMaxBodySize(1 << 20)}, 8 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			origin := &cannedOrigin{respond: func(req *http.Request) *http.Response {
				h := http.Header{"Cache-Control": {"max-age=600"}}
				if c.length >= 0 {
					h.Set("Content-Length", fmt.Sprint(c.length))
				}
				return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
					Body: &patternReader{n: size}, ContentLength: c.length, Request: req}
			}}
			m := memory.New[string, *httpcache.Response](memory.WithSweepInterval(0))
			defer m.Close()
			tr := httpcache.New(m, nil, append([]httpcache.Option{httpcache.WithTransport(origin)}, c.opts...)...)
			defer tr.Close()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			req, _ := http.NewRequest(http.MethodGet, "http://example.test/big", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			tail := make([]byte, 26)
			n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, size-26))
			if err == nil {
				_, err = io.ReadFull(resp.Body, tail)
			}
			resp.Body.Close()
			runtime.ReadMemStats(&after)
			if err != nil || n+26 != size {
				t.Fatalf("read %d bytes: %v", n+26, err)
			}
			if start := (size - 26) % 26; string(tail) != alphabets[start:start+26] {
				t.Fatalf("body ends %q, want %q", tail, alphabets[start:start+26])
			}
			grew := after.TotalAlloc - before.TotalAlloc
			if grew > c.limit {
				t.Fatalf("streaming 100 MB allocated %d MB, want under %d MB", grew>>20, c.limit>>20)
			}
			if httpcache.CacheStatus(resp) != httpcache.Miss {
				t.Fatalf("status %s, want miss", httpcache.CacheStatus(resp))
			}
			if l, _ := m.Len(context.Background()); l != 0 {
				t.Fatalf("%d entries stored, want none", l)
			}
			t.Logf("%s: 100 MB streamed, %.1f MB allocated", c.name, float64(grew)/(1<<20))
		})
	}
}

// TestTenMegabyteKeyFault sets a 10 MB key in every backend: each either
// refuses it with kv.ErrTooLarge and writes nothing (file: 64 KiB cap;
// badger: 65000 bytes less the prefix), or stores it and reads it back
// (memory: no cap; sqlite: SQLite's 1 GB row limit; redis: 512 MB).
// Through httpcache a 10 MB URL becomes a 64-character key.
func TestTenMegabyteKeyFault(t *testing.T) {
	key := strings.Repeat("k", 10<<20)
	refuses := map[string]bool{"file": true, "badger": true}
	ctx := context.Background()
	for _, b := range faulttest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := b.New(t).Store
			err := s.Set(ctx, key, []byte("v"))
			switch {
			case refuses[b.Name]:
				if !errors.Is(err, kv.ErrTooLarge) {
					t.Fatalf("Set of a 10 MB key: %v, want kv.ErrTooLarge", err)
				}
				if n, err := s.Len(ctx); err != nil || n != 0 {
					t.Fatalf("after a refused Set: Len %d, %v", n, err)
				}
			case err != nil:
				t.Fatalf("Set of a 10 MB key: %v", err)
			default:
				v, err := s.Get(ctx, key)
				if err != nil || string(v) != "v" {
					t.Fatalf("Get of a 10 MB key: %q, %v", v, err)
				}
				if err := s.Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%s: Set of a 10 MB key: %v", b.Name, err)
		})
	}
	t.Run("httpcache", func(t *testing.T) {
		m := memory.New[string, *httpcache.Response](memory.WithSweepInterval(0))
		defer m.Close()
		tr := httpcache.New(m, nil, httpcache.WithTransport(&cannedOrigin{header: http.Header{"Cache-Control": {"max-age=60"}}, body: []byte("ok")}))
		defer tr.Close()
		u := "http://example.test/" + key[:10<<20-20]
		getFault(t, tr, u, nil)
		if got := getFault(t, tr, u, nil); got.status != httpcache.Hit {
			t.Fatalf("10 MB URL: %s, want hit", got.status)
		}
		for k, err := range m.Keys(ctx) {
			if err != nil || len(k) != 64 {
				t.Fatalf("key of %d bytes (%v), want 64", len(k), err)
			}
		}
	})
}
