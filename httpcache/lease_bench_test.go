package httpcache_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/sqlite"
)

// BenchmarkLeaseMiss measures the miss path (a GET of a URL not yet
// cached, 1 KB body, loopback origin answering at once) over one store,
// without leases and with them (WithLeases on the same store), in the same
// run:
//
//	go test -run=^$ -bench=LeaseMiss -benchmem -count=6 ./httpcache/ | tee lease.txt
//	benchstat -col /lease lease.txt
func BenchmarkLeaseMiss(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1<<10)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write(body)
	}))
	defer origin.Close()
	base := &http.Transport{MaxIdleConnsPerHost: 4}
	defer base.CloseIdleConnections()
	stores := []struct {
		name string
		open func(b *testing.B) kv.Store[string, []byte]
	}{
		{"memory", func(b *testing.B) kv.Store[string, []byte] {
			s := memory.New[string, []byte]()
			b.Cleanup(func() { s.Close() })
			return s
		}},
		{"sqlite", func(b *testing.B) kv.Store[string, []byte] {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "cache.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		for _, lease := range []string{"off", "on"} {
			b.Run("store="+st.name+"/lease="+lease, func(b *testing.B) {
				s := st.open(b)
				opts := []httpcache.Option{httpcache.WithTransport(base)}
				if lease == "on" {
					opts = append(opts, httpcache.WithLeases(s, 0))
				}
				tr := httpcache.NewFromStores(s, nil, opts...)
				defer tr.Close()
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					n++
					req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/m/%d", origin.URL, n), nil)
					resp, err := tr.RoundTrip(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if s := httpcache.CacheStatus(resp); s != httpcache.Miss {
						b.Fatalf("status %s, want a miss", s)
					}
				}
			})
		}
	}
}
