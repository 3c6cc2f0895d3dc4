package httpcache_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

func Example() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, "hello")
	}))
	defer origin.Close()

	t := httpcache.NewMemory(httpcache.WithExpireAfter(httpcache.After(time.Hour)))
	defer t.Close()
	client := t.Client()

	for range 2 {
		resp, err := client.Get(origin.URL)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body), httpcache.CacheStatus(resp))
	}
	// Output:
	// hello miss
	// hello hit
}

// NewFromStores runs the cache over byte stores of any backend; here two
// in-memory byte stores stand in for, say, two SQLite tables.
func ExampleNewFromStores() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprint(w, "moved here")
	}))
	defer origin.Close()

	responses, redirects := memory.New[string, []byte](), memory.New[string, []byte]()
	defer responses.Close() // the caller's stores: Transport.Close leaves them open
	defer redirects.Close()
	t := httpcache.NewFromStores(responses, redirects)
	defer t.Close()

	for range 2 {
		resp, err := t.Client().Get(origin.URL + "/old")
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body), httpcache.CacheStatus(resp), resp.Request.URL.Path)
	}
	// Output:
	// moved here miss /new
	// moved here hit /new
}

// Per-request control goes through the request's context.
func ExampleOnlyIfCached() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	}))
	defer origin.Close()
	t := httpcache.NewMemory(httpcache.WithExpireAfter(httpcache.Never()))
	defer t.Close()

	get := func(ctx context.Context) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, origin.URL, nil)
		resp, err := t.Client().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, httpcache.CacheStatus(resp))
	}
	ctx := context.Background()
	get(httpcache.OnlyIfCached(ctx)) // nothing stored: 504, no origin request
	get(ctx)                         // fetched and stored
	get(httpcache.OnlyIfCached(ctx)) // served from the cache
	get(httpcache.Disable(ctx))      // straight to the origin
	// Output:
	// 504 miss
	// 200 miss
	// 200 hit
	// 200 bypass
}
