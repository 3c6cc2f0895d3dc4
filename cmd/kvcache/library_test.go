package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores"
)

// libOrigin serves what the library tests cache: fresh responses of two
// sizes, a redirect (an alias), and a response stored stale (no-cache
// with a validator), which purge deletes.
func libOrigin(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		fmt.Fprint(w, "body of /a")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		fmt.Fprint(w, strings.Repeat("x", 3000))
	})
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		http.Redirect(w, r, "/a", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/stale", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, "revalidated on every use")
	})
	mux.HandleFunc("/c", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		fmt.Fprint(w, "fetched by the command")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// libCache names a cache as the command line does: the responses store
// and, when apart, the redirects store.
type libCache struct {
	store, redirects string
}

// flags are the command line flags naming c.
func (c libCache) flags() []string {
	f := []string{"--store", c.store}
	if c.redirects != "" {
		f = append(f, "--redirects", c.redirects)
	}
	return f
}

// with opens c's stores as a program using the library does, runs f with
// a Transport over them, and closes everything (a badger directory is
// held by one process at a time).
func (c libCache) with(t *testing.T, f func(*httpcache.Transport)) {
	t.Helper()
	ctx := context.Background()
	responses, err := stores.Open(ctx, c.store)
	if err != nil {
		t.Fatal(err)
	}
	defer responses.Close()
	var redirects kv.Store[string, []byte]
	if c.redirects != "" {
		if redirects, err = stores.Open(ctx, c.redirects); err != nil {
			t.Fatal(err)
		}
		defer redirects.Close()
	}
	tr := httpcache.NewFromStores(responses, redirects)
	defer tr.Close()
	f(tr)
}

// row is what ls and Entries agree on for one response.
type row struct {
	URL, Method string
	Status      int
	Size        int
	Fresh       bool
}

// entries are c's responses as the library lists them, sorted by URL.
func (c libCache) entries(t *testing.T) []row {
	t.Helper()
	var rows []row
	c.with(t, func(tr *httpcache.Transport) {
		for info, err := range tr.Entries(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row{info.URL, info.Method, info.StatusCode, info.Size, info.Fresh})
		}
	})
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.URL+a.Method, b.URL+b.Method) })
	return rows
}

// fill fetches paths from base through the library.
func (c libCache) fill(t *testing.T, base string, paths ...string) {
	t.Helper()
	c.with(t, func(tr *httpcache.Transport) {
		for _, p := range paths {
			resp, err := tr.Client().Get(base + p)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}

// lsJSON runs ls --json on c and decodes its lines.
func lsJSON(t *testing.T, c libCache, extra ...string) []row {
	t.Helper()
	out, errOut, code := kvcache(t, append(append([]string{"ls", "--json"}, c.flags()...), extra...)...)
	if code != 0 {
		t.Fatalf("ls --json: exit %d, stderr %q", code, errOut)
	}
	var rows []row
	lines := bufio.NewScanner(strings.NewReader(out))
	for lines.Scan() {
		var e entryJSON
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			t.Fatalf("ls --json line %q: %v", lines.Text(), err)
		}
		rows = append(rows, row{e.URL, e.Method, e.Status, e.Size, e.Fresh})
	}
	return rows
}

func libCaches(t *testing.T) map[string]libCache {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "app.db")
	caches := map[string]libCache{
		"sqlite two tables": {store: db + "?table=responses", redirects: db + "?table=redirects"},
		"badger":            {store: "badger://" + filepath.Join(dir, "badger")},
		"file":              {store: "file://" + filepath.Join(dir, "files")},
	}
	if addr := redisAddr(t); addr != "" {
		prefix := fmt.Sprintf("kvcache-test-%d:", time.Now().UnixNano())
		caches["redis prefix"] = libCache{store: "redis://" + addr + "/0?prefix=" + prefix}
	}
	return caches
}

// redisAddr is the test Redis server's address; empty (the Redis case
// skipped) when it is not set, a failure under CI.
func redisAddr(t *testing.T) string {
	var addr string
	t.Run("redis available", func(t *testing.T) { addr = testenv.Server(t, "KV_TEST_REDIS_ADDR") })
	return addr
}

// TestLibraryCaches fills caches through the library (httpcache.NewFromStores
// as the README shows it) on every local backend and Redis, and runs every
// command of the command line on them: it lists, counts, copies, purges,
// removes and clears the same responses the library sees, and what it
// fetches the library sees too. On the old command line, which kept its
// data under its own key prefixes, ls listed nothing.
func TestLibraryCaches(t *testing.T) {
	srv := libOrigin(t)
	for name, c := range libCaches(t) {
		t.Run(name, func(t *testing.T) {
			t.Cleanup(func() { kvcache(t, append([]string{"clear"}, c.flags()...)...) })
			c.fill(t, srv.URL, "/a", "/big", "/old", "/stale")
			// The reverse: what the command line fetches, the library sees.
			if _, errOut, code := kvcache(t, append([]string{"fetch"}, append(c.flags(), srv.URL+"/c")...)...); code != 0 {
				t.Fatalf("fetch: exit %d, %q", code, errOut)
			}
			want := c.entries(t)
			// /a, /big, /old (its 301 has max-age: stored, RFC 9111 3), /stale, /c.
			if len(want) != 5 {
				t.Fatalf("the library stored %d responses, want 5: %v", len(want), want)
			}
			checkListAndStats(t, c, want)
			checkCopy(t, c, want)
			checkPurgeRmClear(t, c, srv.URL)
		})
	}
}

func checkListAndStats(t *testing.T, c libCache, want []row) {
	t.Helper()
	if diff := cmp.Diff(want, lsJSON(t, c)); diff != "" {
		t.Fatalf("ls --json against Transport.Entries (-want +got):\n%s", diff)
	}
	out, errOut, code := kvcache(t, append([]string{"stats", "--json"}, c.flags()...)...)
	if code != 0 {
		t.Fatalf("stats: exit %d, %q", code, errOut)
	}
	var s summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stats --json %q: %v", out, err)
	}
	var bytes int64
	for _, r := range want {
		bytes += int64(r.Size)
	}
	if s.Responses != len(want) || s.BodyBytes != bytes || s.Stale != 1 {
		t.Fatalf("stats --json says %+v; want %d responses, %d body bytes, 1 stale", s, len(want), bytes)
	}
	if s.Requests == nil || s.Requests.Miss != 1 {
		t.Fatalf("stats --json counters %+v; want the command's one miss", s.Requests)
	}
}

// checkCopy copies c into a new cache, twice: the copy holds what c
// holds, the first run counts the responses only, and the second copies
// nothing again.
func checkCopy(t *testing.T, c libCache, want []row) {
	t.Helper()
	dir := t.TempDir()
	to := libCache{store: "sqlite://" + filepath.Join(dir, "copy.db") + "?table=responses"}
	args := []string{"copy", "--from", c.store, "--to", to.store}
	if c.redirects != "" {
		to.redirects = "sqlite://" + filepath.Join(dir, "copy.db") + "?table=redirects"
		args = append(args, "--from-redirects", c.redirects, "--to-redirects", to.redirects)
	}
	out, errOut, code := kvcache(t, args...)
	if code != 0 || !strings.HasPrefix(out, fmt.Sprintf("copied %d entries from ", len(want))) {
		t.Fatalf("copy: exit %d, stdout %q, stderr %q; want %d entries", code, out, errOut, len(want))
	}
	if diff := cmp.Diff(want, to.entries(t)); diff != "" {
		t.Fatalf("the copy through Transport.Entries (-want +got):\n%s", diff)
	}
	out, _, code = kvcache(t, args...)
	if code != 0 || !strings.HasPrefix(out, "copied 0 entries") || !strings.Contains(out, fmt.Sprintf("(%d already there)", len(want))) {
		t.Fatalf("second copy: exit %d, %q; want nothing copied again", code, out)
	}
	// The redirect was copied: /old is answered from the copy.
	to.with(t, func(tr *httpcache.Transport) {
		req, _ := http.NewRequestWithContext(httpcache.OnlyIfCached(context.Background()), http.MethodGet, want[0].URL[:strings.LastIndex(want[0].URL, "/")]+"/old", nil)
		resp, err := tr.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/old from the copy, only if cached: %s; want the redirect followed from the cache", resp.Status)
		}
	})
}

func checkPurgeRmClear(t *testing.T, c libCache, base string) {
	t.Helper()
	out, errOut, code := kvcache(t, append([]string{"purge"}, c.flags()...)...)
	if code != 0 || out != "deleted 1 expired response\n" {
		t.Fatalf("purge: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = kvcache(t, append(append([]string{"rm"}, c.flags()...), base+"/big")...)
	if code != 0 || out != "deleted 1 response of "+base+"/big\n" {
		t.Fatalf("rm: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	var urls []string
	for _, r := range c.entries(t) {
		urls = append(urls, strings.TrimPrefix(r.URL, base))
	}
	if diff := cmp.Diff([]string{"/a", "/c", "/old"}, urls); diff != "" {
		t.Fatalf("after purge and rm, the library has (-want +got):\n%s", diff)
	}
	if out, errOut, code = kvcache(t, append([]string{"clear"}, c.flags()...)...); code != 0 || out != "cleared\n" {
		t.Fatalf("clear: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if left := c.entries(t); len(left) != 0 {
		t.Fatalf("after clear the library still has %v", left)
	}
}
