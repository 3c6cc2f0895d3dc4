package httpcache_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
)

// Shared by the *_fault_test.go, *_fuzz_test.go and *_security_test.go
// files of this package.

// cannedOrigin is an in-process origin server: a RoundTripper that answers
// every request with the response its respond function builds (a 200 with
// header and body by default). It stands for the origin, never for a store.
type cannedOrigin struct {
	mu      sync.Mutex
	header  http.Header
	body    []byte
	respond func(req *http.Request) *http.Response
	hits    atomic.Int64
}

func (o *cannedOrigin) RoundTrip(req *http.Request) (*http.Response, error) {
	o.hits.Add(1)
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	o.mu.Lock()
	respond, header, body := o.respond, o.header.Clone(), o.body
	o.mu.Unlock()
	if respond != nil {
		return respond(req), nil
	}
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status: "200 OK", StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: header, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}, nil
}

// faultResult is what one request through a Transport gave.
type faultResult struct {
	status httpcache.Status
	code   int
	body   string
	header http.Header
}

// roundTripFault sends req through tr with RoundTrip (no http.Client, so
// no redirects and no checks of its own) and reads the whole body.
func roundTripFault(t testing.TB, tr http.RoundTripper, req *http.Request) faultResult {
	t.Helper()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return faultResult{status: httpcache.CacheStatus(resp), code: resp.StatusCode, body: string(b), header: resp.Header}
}

func getFault(t testing.TB, tr http.RoundTripper, rawURL string, h http.Header) faultResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	return roundTripFault(t, tr, req)
}

// errorLog collects what a Transport reports to its error hook.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) hook(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) count(target error) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, err := range l.errs {
		if target == nil || errors.Is(err, target) {
			n++
		}
	}
	return n
}

// rawKeys lists the keys of a byte store.
func rawKeys(t testing.TB, s kv.Store[string, []byte]) []string {
	t.Helper()
	var keys []string
	for k, err := range s.Keys(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

func nopBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
