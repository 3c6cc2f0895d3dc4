package httpcache_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/internal/testclock"
	"github.com/kvkit/kv/stores/memory"
)

// newClock returns the clock the tests move by hand (the Transport, the
// memory store and the origin's Date header all read it), at epoch, so
// that times in test tables are relative to it whenever the test runs.
func newClock() *testclock.Clock { return testclock.New(epoch) }

// backend opens the two stores a Transport runs over.
type backend struct {
	name string
	// ownClock: the store reads the clock it is given, so store TTLs
	// follow the fake clock.
	ownClock bool
	open     func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string])
}

var memoryBackend = backend{"memory", true, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
	r := memory.New[string, *httpcache.Response](memory.WithClock(now))
	a := memory.New[string, string](memory.WithClock(now))
	t.Cleanup(func() { r.Close(); a.Close() })
	return r, a
}}

// memoryBytesBackend goes through the CBOR codec, as every byte backend
// does, with aliases in the responses store.
var memoryBytesBackend = backend{"memory-cbor", true, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
	raw := memory.New[string, []byte](memory.WithClock(now))
	t.Cleanup(func() { raw.Close() })
	return kv.Typed(raw, kv.StringKeys(), kv.CBOR[*httpcache.Response]()), nil
}}

// env is one origin and one Transport in front of it.
type env struct {
	t      *testing.T
	clk    *testclock.Clock
	origin *httptest.Server
	hits   atomic.Int64
	tr     *httpcache.Transport
	client *http.Client

	mu   sync.Mutex
	errs []error
}

func newEnv(t *testing.T, b backend, h http.HandlerFunc, opts ...httpcache.Option) *env {
	t.Helper()
	e := &env{t: t, clk: newClock()}
	e.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		w.Header().Set("Date", e.clk.Now().UTC().Format(http.TimeFormat))
		h(w, r)
	}))
	t.Cleanup(e.origin.Close)
	responses, redirects := b.open(t, e.clk.Now)
	base := []httpcache.Option{httpcache.WithClock(e.clk.Now), httpcache.WithErrorHook(func(err error) {
		e.mu.Lock()
		e.errs = append(e.errs, err)
		e.mu.Unlock()
	})}
	e.tr = httpcache.New(responses, redirects, append(base, opts...)...)
	t.Cleanup(func() { e.tr.Close() })
	e.client = e.tr.Client()
	return e
}

func (e *env) storeErrors() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

type result struct {
	status httpcache.Status
	code   int
	body   string
	header http.Header
	url    string // of resp.Request
}

func (e *env) get(path string) result {
	e.t.Helper()
	return e.do(e.req(context.Background(), http.MethodGet, path, "", nil))
}

func (e *env) req(ctx context.Context, method, path, body string, h http.Header) *http.Request {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.origin.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	return req
}

func (e *env) do(req *http.Request) result {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return result{httpcache.CacheStatus(resp), resp.StatusCode, string(b), resp.Header, resp.Request.URL.String()}
}

// validating returns a handler that sets hdr on every response (":status"
// sets the status code), answers 304 to a request whose validators match,
// and writes a body naming the path and a counter.
func validating(hdr map[string]string) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusOK
		for k, v := range hdr {
			if k == ":status" {
				code, _ = strconv.Atoi(v)
				continue
			}
			for _, line := range strings.Split(v, "\n") { // "\n": one field line each
				w.Header().Add(k, line)
			}
		}
		if et := hdr["ETag"]; et != "" && r.Header.Get("If-None-Match") == et {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if lm := hdr["Last-Modified"]; lm != "" && hdr["ETag"] == "" && r.Header.Get("If-Modified-Since") == lm {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "%s %s #%d", r.Method, r.URL.Path, n.Add(1))
	}
}
