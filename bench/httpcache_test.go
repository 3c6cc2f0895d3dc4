package bench

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bartventer "github.com/bartventer/httpcache"
	_ "github.com/bartventer/httpcache/store/memcache" // registers memcache://
	gregjones "github.com/gregjones/httpcache"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/sqlite"
)

// httpBodySize is the body of the responses of the HTTP benchmarks.
const httpBodySize = 10 << 10

// origin is an httptest server that counts the requests it answers:
//
//	/fresh/...  200, cacheable for an hour
//	/reval/...  200 with an ETag and no-cache (every use revalidates), or
//	            304 to a request that names the ETag
//	/slow/...   as /fresh, answered after a delay (for concurrent misses)
type origin struct {
	*httptest.Server
	body     []byte
	requests atomic.Int64
}

func newOrigin(b *testing.B) *origin {
	o := &origin{body: bytes.Repeat([]byte("0123456789abcdef"), httpBodySize/16)}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	b.Cleanup(o.Close)
	return o
}

const etag = `"v1-5f2b3c9a"`

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	o.requests.Add(1)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	switch {
	case strings.HasPrefix(r.URL.Path, "/reval/"):
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	case strings.HasPrefix(r.URL.Path, "/slow/"):
		time.Sleep(2 * time.Millisecond)
		h.Set("Cache-Control", "max-age=3600")
	default:
		h.Set("Cache-Control", "max-age=3600")
	}
	w.Write(o.body)
}

// httpImpl is an HTTP client: straight to the origin, through kv's
// httpcache over its default memory store or over SQLite (one database,
// responses and redirects in two tables), or through gregjones/httpcache
// or bartventer/httpcache over their memory caches.
type httpImpl struct {
	name string
	new  func(b *testing.B, base http.RoundTripper) *http.Client
	// hit reports whether a response came from the cache (fresh or
	// revalidated).
	hit func(*http.Response) bool
}

var (
	implKV = httpImpl{
		name: "kv",
		new: func(b *testing.B, base http.RoundTripper) *http.Client {
			t := httpcache.NewMemory(httpcache.WithTransport(base))
			b.Cleanup(func() { t.Close() })
			return t.Client()
		},
		hit: func(r *http.Response) bool {
			s := httpcache.CacheStatus(r)
			return s == httpcache.Hit || s == httpcache.Revalidated
		},
	}
	implGregjones = httpImpl{
		name: "gregjones",
		new: func(b *testing.B, base http.RoundTripper) *http.Client {
			t := gregjones.NewMemoryCacheTransport()
			t.Transport = base
			return t.Client()
		},
		hit: func(r *http.Response) bool { return r.Header.Get(gregjones.XFromCache) == "1" },
	}
	implKVSQLite = httpImpl{
		name: "kv-sqlite",
		new: func(b *testing.B, base http.RoundTripper) *http.Client {
			responses, err := sqlite.Open(filepath.Join(b.TempDir(), "http.db"), sqlite.WithTable("responses"))
			if err != nil {
				b.Fatal(err)
			}
			redirects, err := responses.Table("redirects")
			if err != nil {
				b.Fatal(err)
			}
			t := httpcache.NewFromStores(responses, redirects, httpcache.WithTransport(base))
			b.Cleanup(func() { t.Close(); redirects.Close(); responses.Close() })
			return t.Client()
		},
		hit: implKV.hit,
	}
	implBartventer = httpImpl{
		name: "bartventer",
		new: func(b *testing.B, base http.RoundTripper) *http.Client {
			return &http.Client{Transport: bartventer.NewTransport("memcache://", bartventer.WithUpstream(base))}
		},
		hit: func(r *http.Response) bool {
			s := r.Header.Get(bartventer.CacheStatusHeader)
			return s == "HIT" || s == "REVALIDATED"
		},
	}
	implOrigin = httpImpl{
		name: "origin",
		new: func(b *testing.B, base http.RoundTripper) *http.Client {
			return &http.Client{Transport: base}
		},
		hit: func(*http.Response) bool { return false },
	}
)

func baseTransport(b *testing.B) *http.Transport {
	t := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}
	b.Cleanup(t.CloseIdleConnections)
	return t
}

// fetch GETs url, reads the whole body and checks its length.
func fetch(c *http.Client, url string, want int) (*http.Response, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if n != int64(want) {
		return nil, fmt.Errorf("GET %s: %d bytes of body, want %d", url, n, want)
	}
	return resp, nil
}

// BenchmarkHTTPCache compares the paths of kv's httpcache (on its memory
// store and on SQLite) with gregjones/httpcache (the baseline) and
// bartventer/httpcache on the same origin and 10 KB body:
//
//   - path=hit: a fresh stored response;
//   - path=miss: a URL not seen before, fetched and stored;
//   - path=revalidate: a stored response that must be revalidated, which
//     the origin confirms with 304.
func BenchmarkHTTPCache(b *testing.B) {
	o := newOrigin(b)
	for _, path := range []string{"hit", "miss", "revalidate"} {
		b.Run("path="+path, func(b *testing.B) {
			for _, im := range []httpImpl{implGregjones, implBartventer, implKV, implKVSQLite} {
				b.Run("impl="+im.name, func(b *testing.B) {
					c := im.new(b, baseTransport(b))
					url := o.URL + "/fresh/hit"
					if path == "revalidate" {
						url = o.URL + "/reval/x"
					}
					// Warm the cache and check the path is the one measured.
					for range 2 {
						if _, err := fetch(c, url, httpBodySize); err != nil {
							b.Fatal(err)
						}
					}
					if path != "miss" {
						resp, err := fetch(c, url, httpBodySize)
						if err != nil {
							b.Fatal(err)
						}
						if !im.hit(resp) {
							b.Fatalf("%s: the %s path served no cached response", im.name, path)
						}
					}
					b.ReportAllocs()
					n := 0
					for b.Loop() {
						u := url
						if path == "miss" {
							u = fmt.Sprintf("%s/fresh/miss-%d", o.URL, n)
						}
						if _, err := fetch(c, u, httpBodySize); err != nil {
							b.Fatal(err)
						}
						n++
					}
				})
			}
		})
	}
}

// BenchmarkHTTPHitVsOrigin compares a cache hit of kv's httpcache with
// the same GET sent straight to the loopback origin (the baseline).
func BenchmarkHTTPHitVsOrigin(b *testing.B) {
	o := newOrigin(b)
	for _, im := range []httpImpl{implOrigin, implKV} {
		b.Run("impl="+im.name, func(b *testing.B) {
			c := im.new(b, baseTransport(b))
			url := o.URL + "/fresh/direct"
			if _, err := fetch(c, url, httpBodySize); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fetch(c, url, httpBodySize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHTTPHitParallel measures hit throughput with 1, 2 and 8
// goroutines sharing one client (ns/op is wall time per hit over all of
// them; the machine's GOMAXPROCS bounds the speed-up). The goroutines are
// started by hand, since b.SetParallelism counts in multiples of
// GOMAXPROCS and cannot give exactly one or two.
func BenchmarkHTTPHitParallel(b *testing.B) {
	o := newOrigin(b)
	for _, g := range []int{1, 2, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			for _, im := range []httpImpl{implGregjones, implBartventer, implKV, implKVSQLite} {
				b.Run("impl="+im.name, func(b *testing.B) {
					c := im.new(b, baseTransport(b))
					url := o.URL + "/fresh/parallel"
					if _, err := fetch(c, url, httpBodySize); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.ResetTimer()
					var next atomic.Int64
					var wg sync.WaitGroup
					errc := make(chan error, g)
					for range g {
						wg.Go(func() {
							for next.Add(1) <= int64(b.N) {
								if _, err := fetch(c, url, httpBodySize); err != nil {
									errc <- err
									return
								}
							}
						})
					}
					wg.Wait()
					b.StopTimer()
					close(errc)
					if err := <-errc; err != nil {
						b.Fatal(err)
					}
				})
			}
		})
	}
}

// concurrentMisses is how many goroutines ask for the same new URL at
// once in BenchmarkHTTPConcurrentMiss.
const concurrentMisses = 8

// BenchmarkHTTPConcurrentMiss sends concurrentMisses identical requests
// for a URL not yet cached, at once, to an origin that answers after 2 ms.
// The metric origin-requests is how many of them reached the origin (1 is
// the ideal: the others wait and share its answer).
func BenchmarkHTTPConcurrentMiss(b *testing.B) {
	o := newOrigin(b)
	for _, im := range []httpImpl{implGregjones, implKV} {
		b.Run("impl="+im.name, func(b *testing.B) {
			c := im.new(b, baseTransport(b))
			b.ReportAllocs()
			before := o.requests.Load()
			n := 0
			for b.Loop() {
				url := fmt.Sprintf("%s/slow/%s-%d", o.URL, im.name, n)
				var wg sync.WaitGroup
				errs := make([]error, concurrentMisses)
				for i := range concurrentMisses {
					wg.Go(func() { _, errs[i] = fetch(c, url, httpBodySize) })
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				n++
			}
			b.ReportMetric(float64(o.requests.Load()-before)/float64(n), "origin-requests/op")
		})
	}
}
