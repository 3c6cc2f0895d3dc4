package httpcache_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

// writeCounter is a byte store that counts its Sets.
type writeCounter struct {
	kv.Store[string, []byte]
	sets atomic.Int64
}

func (w *writeCounter) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	w.sets.Add(1)
	return w.Store.Set(ctx, key, value, opts...)
}

// TestRedirectedHitWritesNoAlias: once a redirect chain has been
// followed, asking for its first URL again is answered through the alias
// (one hit, no hop) and writes nothing to the redirects store; only a
// chain that reached the origin writes an alias.
func TestRedirectedHitWritesNoAlias(t *testing.T) {
	var originHits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originHits.Add(1)
		w.Header().Set("Cache-Control", "max-age=600")
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		fmt.Fprint(w, "body")
	}))
	defer origin.Close()
	responses, redirects := memory.New[string, []byte](), &writeCounter{Store: memory.New[string, []byte]()}
	defer responses.Close()
	defer redirects.Close()
	tr := httpcache.NewFromStores(responses, redirects)
	defer tr.Close()
	get := func() string {
		t.Helper()
		resp, err := tr.Client().Get(origin.URL + "/old")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if string(b) != "body" {
			t.Fatalf("body %q", b)
		}
		return resp.Header.Get(httpcache.StatusHeader)
	}
	get()
	if originHits.Load() != 2 || redirects.sets.Load() != 1 {
		t.Fatalf("first fetch: %d origin requests, %d alias writes; want 2 and 1", originHits.Load(), redirects.sets.Load())
	}
	for i := range 3 {
		if s := get(); s != string(httpcache.Hit) {
			t.Fatalf("fetch %d: status %s, want hit", i+2, s)
		}
	}
	if originHits.Load() != 2 || redirects.sets.Load() != 1 {
		t.Fatalf("after three redirected hits: %d origin requests, %d alias writes; want still 2 and 1", originHits.Load(), redirects.sets.Load())
	}
}
