package httpcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
)

func testAge(t *testing.T, b backend) {
	e := newEnv(t, b, validating(map[string]string{"Cache-Control": "max-age=600"}))
	e.get("/")
	e.clk.Add(42 * time.Second)
	got := e.get("/")
	if got.status != httpcache.Hit || got.header.Get("Age") != "42" {
		t.Fatalf("got %s with Age %q, want hit with Age 42", got.status, got.header.Get("Age"))
	}
}

func testVary(t *testing.T, b backend) {
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "Accept-Language")
		fmt.Fprint(w, "lang="+r.Header.Get("Accept-Language"))
	})
	lang := func(l string) result {
		return e.do(e.req(context.Background(), "GET", "/v", "", http.Header{"Accept-Language": {l}}))
	}
	steps := []struct {
		lang string
		want httpcache.Status
	}{{"en", httpcache.Miss}, {"fr", httpcache.Miss}, {"en", httpcache.Hit}, {"fr", httpcache.Hit}, {"de", httpcache.Miss}}
	for i, s := range steps {
		got := lang(s.lang)
		if got.status != s.want || got.body != "lang="+s.lang {
			t.Fatalf("step %d (%s): got %s %q, want %s", i, s.lang, got.status, got.body, s.want)
		}
	}
	if e.hits.Load() != 3 {
		t.Fatalf("%d origin requests, want 3", e.hits.Load())
	}
	// The inspection lists each variant with the header it was chosen by.
	var langs []string
	for info, err := range e.tr.Entries(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		langs = append(langs, info.RequestHeader.Get("Accept-Language"))
	}
	if len(langs) != 3 {
		t.Fatalf("entries by language %v, want 3", langs)
	}
	// Deleting the URL deletes every variant.
	if err := e.tr.DeleteURL(context.Background(), e.origin.URL+"/v"); err != nil {
		t.Fatal(err)
	}
	if got := lang("en"); got.status != httpcache.Miss {
		t.Fatalf("after DeleteURL: %s, want miss", got.status)
	}
}

func testVaryStar(t *testing.T, b backend) {
	e := newEnv(t, b, validating(map[string]string{"Cache-Control": "max-age=60", "Vary": "*"}))
	e.get("/")
	if got := e.get("/"); got.status != httpcache.Miss || e.hits.Load() != 2 {
		t.Fatalf("Vary: * answered %s after %d origin requests, want miss after 2", got.status, e.hits.Load())
	}
}

func testMatchHeaders(t *testing.T, b backend) {
	e := newEnv(t, b, validating(nil), httpcache.WithExpireAfter(httpcache.Never()), httpcache.WithMatchHeaders("X-Tenant"))
	for i, s := range []struct {
		tenant string
		want   httpcache.Status
	}{{"a", httpcache.Miss}, {"b", httpcache.Miss}, {"a", httpcache.Hit}} {
		got := e.do(e.req(context.Background(), "GET", "/", "", http.Header{"X-Tenant": {s.tenant}}))
		if got.status != s.want {
			t.Fatalf("step %d: %s, want %s", i, got.status, s.want)
		}
	}
}

func testRevalidationMergesHeaders(t *testing.T, b backend) {
	var n atomic.Int64
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("X-Version", fmt.Sprint(n.Add(1)))
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "payload")
	})
	e.get("/")
	e.clk.Add(20 * time.Second)
	got := e.get("/")
	if got.status != httpcache.Revalidated || got.body != "payload" || got.header.Get("X-Version") != "2" {
		t.Fatalf("got %s %q X-Version %q, want revalidated \"payload\" 2", got.status, got.body, got.header.Get("X-Version"))
	}
	// The 304 refreshed the expiry: fresh for another 10s.
	e.clk.Add(5 * time.Second)
	if got := e.get("/"); got.status != httpcache.Hit || got.header.Get("X-Version") != "2" {
		t.Fatalf("after 304: %s X-Version %q, want hit 2", got.status, got.header.Get("X-Version"))
	}
	if e.hits.Load() != 2 {
		t.Fatalf("%d origin requests, want 2", e.hits.Load())
	}
}

func testRevalidationLastModified(t *testing.T, b backend) {
	lm := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	var sawIMS atomic.Bool
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10")
		w.Header().Set("Last-Modified", lm)
		if r.Header.Get("If-Modified-Since") == lm {
			sawIMS.Store(true)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "payload")
	})
	e.get("/")
	e.clk.Add(20 * time.Second)
	if got := e.get("/"); got.status != httpcache.Revalidated || got.body != "payload" || !sawIMS.Load() {
		t.Fatalf("got %s %q (If-Modified-Since sent: %v)", got.status, got.body, sawIMS.Load())
	}
}

// flaky is an origin handler that fails while fail is set.
type flaky struct {
	fail atomic.Bool
	hdr  string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.fail.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Cache-Control", f.hdr)
	fmt.Fprint(w, "good")
}

func testStaleIfError(t *testing.T, b backend) {
	cases := []struct {
		name  string
		hdr   string
		opts  []httpcache.Option
		after time.Duration
		want  httpcache.Status
		code  int
		req   http.Header // on the request made while the origin fails
	}{
		{"option within window", "max-age=10", opts(httpcache.WithStaleIfError(time.Minute)), 30 * time.Second, httpcache.Stale, 200, nil},
		{"option past window", "max-age=10", opts(httpcache.WithStaleIfError(time.Minute)), 2 * time.Minute, httpcache.Miss, 503, nil},
		{"directive", "max-age=10, stale-if-error=60", nil, 30 * time.Second, httpcache.Stale, 200, nil},
		{"no option, no directive", "max-age=10", nil, 30 * time.Second, httpcache.Miss, 503, nil},
		{"must-revalidate beats option", "max-age=10, must-revalidate", opts(httpcache.WithStaleIfError(time.Minute)), 30 * time.Second, httpcache.Miss, 503, nil},
		{"request directive", "max-age=10", nil, 30 * time.Second, httpcache.Stale, 200, cc("stale-if-error=60")},
		{"request directive past window", "max-age=10", nil, 90 * time.Second, httpcache.Miss, 503, cc("stale-if-error=60")},
		{"proxy-revalidate in a shared cache", "max-age=10, proxy-revalidate", opts(httpcache.WithShared(true), httpcache.WithStaleIfError(time.Minute)), 30 * time.Second, httpcache.Miss, 503, nil},
		{"proxy-revalidate in a private cache", "max-age=10, proxy-revalidate", opts(httpcache.WithStaleIfError(time.Minute)), 30 * time.Second, httpcache.Stale, 200, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &flaky{hdr: c.hdr}
			e := newEnv(t, b, f.ServeHTTP, c.opts...)
			e.get("/")
			e.clk.Add(c.after)
			f.fail.Store(true)
			if got := e.do(e.req(context.Background(), "GET", "/", "", c.req)); got.status != c.want || got.code != c.code {
				t.Fatalf("got %s %d, want %s %d", got.status, got.code, c.want, c.code)
			}
		})
	}
	t.Run("unreachable origin", func(t *testing.T) {
		f := &flaky{hdr: "max-age=10"}
		e := newEnv(t, b, f.ServeHTTP, httpcache.WithStaleIfError(time.Minute))
		e.get("/")
		e.clk.Add(30 * time.Second)
		e.origin.Close()
		if got := e.get("/"); got.status != httpcache.Stale || got.body != "good" {
			t.Fatalf("got %s %q, want stale \"good\"", got.status, got.body)
		}
	})
}

func testStaleWhileRevalidate(t *testing.T, b backend) {
	release := make(chan struct{})
	var n atomic.Int64
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 1 {
			<-release // hold background revalidations until the test lets go
		}
		w.Header().Set("Cache-Control", "max-age=10, stale-while-revalidate=60")
		fmt.Fprintf(w, "v%d", n.Load())
	})
	if got := e.get("/"); got.body != "v1" {
		t.Fatalf("first: %q", got.body)
	}
	e.clk.Add(20 * time.Second)
	for i := range 5 {
		if got := e.get("/"); got.status != httpcache.Stale || got.body != "v1" {
			t.Fatalf("request %d while revalidating: %s %q, want stale v1", i, got.status, got.body)
		}
	}
	close(release)
	var last result
	waitForMsg(t, func() bool {
		last = e.get("/")
		return last.status == httpcache.Hit && last.body == "v2"
	}, func() string {
		return fmt.Sprintf("last answer %s %q after %d origin requests; store errors %v", last.status, last.body, e.hits.Load(), e.storeErrors())
	})
	if got := e.hits.Load(); got != 2 {
		t.Fatalf("%d origin requests, want 2 (one background revalidation)", got)
	}
}

// testCloseStopsRevalidation: Close cancels a background revalidation
// stuck on the origin and waits for it.
func testCloseStopsRevalidation(t *testing.T, b backend) {
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	var n atomic.Int64
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 1 {
			select {
			case <-stuck:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Cache-Control", "max-age=10, stale-while-revalidate=60")
		fmt.Fprint(w, "v1")
	})
	e.get("/")
	e.clk.Add(20 * time.Second)
	e.get("/")
	waitFor(t, func() bool { return n.Load() == 2 })
	done := make(chan error)
	go func() { done <- e.tr.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the background revalidation")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	waitForMsg(t, cond, func() string { return "" })
}

// waitForMsg waits up to 10s for cond, and fails with msg() if it never
// holds.
func waitForMsg(t *testing.T, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s: " + msg())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testInvalidation(t *testing.T, b backend) {
	cases := []struct {
		name     string
		location string // set on the POST answer
		code     int
		gone     []string // paths no longer cached after the POST
		kept     []string
	}{
		{"target", "", 200, []string{"/items"}, []string{"/other"}},
		{"Location", "/other", 201, []string{"/items", "/other"}, nil},
		{"other origin Location", "http://elsewhere.example/other", 201, []string{"/items"}, []string{"/other"}},
		{"failed POST", "", 500, nil, []string{"/items", "/other"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					if c.location != "" {
						w.Header().Set("Location", c.location)
					}
					w.WriteHeader(c.code)
					return
				}
				w.Header().Set("Cache-Control", "max-age=600")
				fmt.Fprint(w, r.URL.Path)
			})
			e.get("/items")
			e.get("/other")
			if got := e.do(e.req(context.Background(), "POST", "/items", "new", nil)); got.status != httpcache.Bypass {
				t.Fatalf("POST: %s", got.status)
			}
			for _, p := range c.gone {
				if got := e.get(p); got.status != httpcache.Miss {
					t.Errorf("%s after POST: %s, want miss", p, got.status)
				}
			}
			for _, p := range c.kept {
				if got := e.get(p); got.status != httpcache.Hit {
					t.Errorf("%s after POST: %s, want hit", p, got.status)
				}
			}
		})
	}
}

func testRedirects(t *testing.T, b backend) {
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusMovedPermanently)
		case "/b":
			http.Redirect(w, r, "/c", http.StatusFound)
		default:
			w.Header().Set("Cache-Control", "max-age=600")
			fmt.Fprint(w, "final")
		}
	})
	if got := e.get("/a"); got.body != "final" || got.status != httpcache.Miss {
		t.Fatalf("first: %s %q", got.status, got.body)
	}
	if e.hits.Load() != 3 {
		t.Fatalf("first fetch: %d origin requests, want 3", e.hits.Load())
	}
	for _, p := range []string{"/a", "/b", "/c"} {
		got := e.get(p)
		if got.body != "final" || got.status != httpcache.Hit {
			t.Fatalf("%s again: %s %q, want hit \"final\"", p, got.status, got.body)
		}
		if got.url != e.origin.URL+"/c" {
			t.Errorf("%s again: resp.Request.URL %s, want the final URL", p, got.url)
		}
	}
	if e.hits.Load() != 3 {
		t.Fatalf("second fetches: %d origin requests, want still 3", e.hits.Load())
	}
	// Once the final response is stale, the chain is followed again.
	e.clk.Add(time.Hour)
	if got := e.get("/a"); got.body != "final" || got.status != httpcache.Miss || e.hits.Load() != 6 {
		t.Fatalf("stale: %s %q after %d origin requests", got.status, got.body, e.hits.Load())
	}
}

func testConcurrentMisses(t *testing.T, b backend) {
	release := make(chan struct{})
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, strings.Repeat("x", 1000))
	})
	const n = 100
	var (
		wg       sync.WaitGroup
		started  sync.WaitGroup
		statuses sync.Map
		failures atomic.Int64
	)
	started.Add(n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			resp, err := e.client.Get(e.origin.URL + "/same")
			if err != nil {
				failures.Add(1)
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || len(body) != 1000 {
				failures.Add(1)
			}
			statuses.Store(i, httpcache.CacheStatus(resp))
		})
	}
	started.Wait()
	waitFor(t, func() bool { return e.hits.Load() >= 1 })
	// Every other request finds nothing stored and queues behind the
	// first: wait until they all have (on a loaded machine a fixed sleep
	// let some look up only after the first had finished).
	waitFor(t, func() bool { return httpcache.Followers(e.tr) == n-1 })
	close(release)
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d requests failed or got a wrong body", failures.Load())
	}
	if got := e.hits.Load(); got != 1 {
		t.Fatalf("%d origin requests for %d concurrent identical requests, want 1", got, n)
	}
	count := map[httpcache.Status]int{}
	statuses.Range(func(_, v any) bool { count[v.(httpcache.Status)]++; return true })
	if diff := cmp.Diff(map[httpcache.Status]int{httpcache.Miss: 1, httpcache.Hit: n - 1}, count); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
}

func testMaxBodySize(t *testing.T, b backend) {
	big := bytes.Repeat([]byte("0123456789"), 1000) // 10 000 bytes
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=60")
				if !chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				}
				for i := 0; i < len(big); i += 1000 {
					w.Write(big[i : i+1000])
					if chunked {
						w.(http.Flusher).Flush()
					}
				}
			}, httpcache.WithMaxBodySize(4096))
			for i := range 2 {
				got := e.get("/big")
				if got.body != string(big) || got.status != httpcache.Miss {
					t.Fatalf("request %d: %s, %d bytes, want miss with the whole body", i, got.status, len(got.body))
				}
			}
			if e.hits.Load() != 2 {
				t.Fatalf("%d origin requests, want 2 (never stored)", e.hits.Load())
			}
			if !chunked {
				// A HEAD's Content-Length describes the GET body: a HEAD
				// response is small and stored.
				e.do(e.req(context.Background(), "HEAD", "/big", "", nil))
				if got := e.do(e.req(context.Background(), "HEAD", "/big", "", nil)); got.status != httpcache.Hit || got.header.Get("Content-Length") != fmt.Sprint(len(big)) {
					t.Fatalf("HEAD again: %s, Content-Length %q", got.status, got.header.Get("Content-Length"))
				}
			}
		})
	}
}

func testKeys(t *testing.T, b backend) {
	e := newEnv(t, b, validating(nil), httpcache.WithExpireAfter(httpcache.Never()), httpcache.WithIgnoredParams("session"))
	e.get("/k?b=2&a=1&api_key=secret1&session=s1")
	host := strings.TrimPrefix(e.origin.URL, "http://")
	same := []string{
		e.origin.URL + "/k?a=1&b=2",
		e.origin.URL + "/k?a=1&b=2&api_key=other&session=s2",
		"HTTP://" + strings.ToUpper(host) + "/k?b=2&a=1#frag",
	}
	for _, u := range same {
		req, _ := http.NewRequest("GET", u, nil)
		if got := e.do(req); got.status != httpcache.Hit {
			t.Errorf("%s: %s, want hit", u, got.status)
		}
	}
	if got := e.get("/k?a=1&b=3"); got.status != httpcache.Miss {
		t.Errorf("different query: %s, want miss", got.status)
	}
	// Nothing secret is stored.
	for info, err := range e.tr.Entries(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(info.URL, "secret") || strings.Contains(info.URL, "session") || strings.Contains(info.URL, "api_key") {
			t.Errorf("stored URL %q keeps an ignored parameter", info.URL)
		}
		if len(info.Key) != 64 {
			t.Errorf("key %q is not 64 hex digits", info.Key)
		}
	}
}

func testCredentialsRedacted(t *testing.T, b backend) {
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "Authorization")
		fmt.Fprint(w, "for "+r.Header.Get("Authorization"))
	})
	alice := e.do(e.req(context.Background(), "GET", "/me", "", http.Header{"Authorization": {"Bearer alice-token"}}))
	bob := e.do(e.req(context.Background(), "GET", "/me", "", http.Header{"Authorization": {"Bearer bob-token"}}))
	if alice.body == bob.body || bob.status != httpcache.Miss {
		t.Fatalf("Vary: Authorization mixed users up: %q / %q (%s)", alice.body, bob.body, bob.status)
	}
	for info, err := range e.tr.Entries(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if v := info.RequestHeader.Get("Authorization"); strings.Contains(v, "token") {
			t.Errorf("stored Authorization %q", v)
		}
	}
}

func testKeyFunc(t *testing.T, b backend) {
	e := newEnv(t, b, validating(nil), httpcache.WithExpireAfter(httpcache.Never()),
		httpcache.WithKeyFunc(func(r *http.Request, _ []byte) string { return r.URL.Path })) // ignores the query
	e.get("/p?x=1")
	if got := e.get("/p?x=2"); got.status != httpcache.Hit {
		t.Fatalf("custom key: %s, want hit", got.status)
	}
}

func testFilterOnRead(t *testing.T, b backend) {
	var allow atomic.Bool
	allow.Store(true)
	e := newEnv(t, b, validating(nil), httpcache.WithExpireAfter(httpcache.Never()),
		httpcache.WithFilter(func(*http.Response) bool { return allow.Load() }))
	e.get("/")
	if got := e.get("/"); got.status != httpcache.Hit {
		t.Fatal(got.status)
	}
	allow.Store(false)
	if got := e.get("/"); got.status != httpcache.Miss {
		t.Fatalf("filtered on read: %s, want miss", got.status)
	}
}

func testMaintenance(t *testing.T, b backend) {
	e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/short" {
			w.Header().Set("Cache-Control", "max-age=10")
			w.Header().Set("ETag", `"s"`)
		} else {
			w.Header().Set("Cache-Control", "max-age=3600")
		}
		fmt.Fprint(w, r.URL.Path)
	})
	ctx := context.Background()
	for _, p := range []string{"/short", "/long", "/other"} {
		e.get(p)
	}
	urls := func() map[string]bool {
		out := map[string]bool{}
		for info, err := range e.tr.Entries(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			out[strings.TrimPrefix(info.URL, e.origin.URL)] = info.Fresh
		}
		return out
	}
	if diff := cmp.Diff(map[string]bool{"/short": true, "/long": true, "/other": true}, urls()); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
	e.clk.Add(time.Minute)
	if diff := cmp.Diff(map[string]bool{"/short": false, "/long": true, "/other": true}, urls()); diff != "" {
		t.Fatalf("entries after a minute (-want +got):\n%s", diff)
	}
	n, err := e.tr.DeleteExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired: %d, %v; want 1", n, err)
	}
	if diff := cmp.Diff(map[string]bool{"/long": true, "/other": true}, urls()); diff != "" {
		t.Fatalf("entries after DeleteExpired (-want +got):\n%s", diff)
	}
	if err := e.tr.DeleteURL(ctx, e.origin.URL+"/other"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"/long": true}, urls()); diff != "" {
		t.Fatalf("entries after DeleteURL (-want +got):\n%s", diff)
	}
	if err := e.tr.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if got := urls(); len(got) != 0 {
		t.Fatalf("entries after Clear: %v", got)
	}
}

func testKeepStale(t *testing.T, b backend) {
	e := newEnv(t, b, validating(map[string]string{"Cache-Control": "max-age=10", "ETag": `"k"`}), httpcache.WithKeepStale(time.Minute))
	e.get("/")
	e.clk.Add(30 * time.Second)
	if got := e.get("/"); got.status != httpcache.Revalidated {
		t.Fatalf("within keep-stale: %s, want revalidated", got.status)
	}
	e.clk.Add(2 * time.Minute)
	got := e.get("/")
	if got.status != httpcache.Miss && b.ownClock {
		t.Fatalf("past keep-stale: %s, want miss (entry gone from the store)", got.status)
	}
}

// testStoreErrors: a store that fails never fails a request.
func testStoreErrors(t *testing.T, b backend) {
	broken := b
	broken.open = func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
		r, a := b.open(t, now)
		r.Close()
		if a != nil {
			a.Close()
		}
		return r, a
	}
	e := newEnv(t, broken, validating(map[string]string{"Cache-Control": "max-age=60"}))
	for i := range 2 {
		if got := e.get("/"); got.code != 200 || got.status != httpcache.Miss {
			t.Fatalf("request %d over a closed store: %s %d", i, got.status, got.code)
		}
	}
	errs := e.storeErrors()
	if len(errs) == 0 || !errors.Is(errs[0], kv.ErrClosed) {
		t.Fatalf("hook got %v, want errors wrapping kv.ErrClosed", errs)
	}
}

// testStreamsPassThrough: a response that will not be stored is never
// buffered, so an endless stream reaches the caller at once.
func testStreamsPassThrough(t *testing.T, b backend) {
	cases := []struct {
		name string
		hdr  map[string]string
		opts []httpcache.Option
	}{
		{"no-cache without validator", map[string]string{"Cache-Control": "no-cache", "Content-Type": "text/plain"}, nil},
		{"event stream, cache control off", map[string]string{"Content-Type": "text/event-stream"}, opts(httpcache.WithCacheControl(false))},
		{"no-store", map[string]string{"Cache-Control": "no-store"}, opts(httpcache.WithExpireAfter(httpcache.Never()))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan struct{})
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range c.hdr {
					w.Header().Set(k, v)
				}
				fmt.Fprint(w, "data: first\n\n")
				w.(http.Flusher).Flush()
				select {
				case <-done:
				case <-r.Context().Done():
				}
			}, c.opts...)
			defer close(done)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req := e.req(ctx, "GET", "/events", "", nil)
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatalf("stream not passed through: %v", err)
			}
			defer resp.Body.Close()
			buf := make([]byte, len("data: first\n\n"))
			if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "data: first\n\n" {
				t.Fatalf("first event: %q, %v", buf, err)
			}
		})
	}
}
