package httpcache_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/kvkit/kv/httpcache"
)

// BenchmarkHit compares a cache hit (memory store, 10 KB body) with the
// same request sent straight to a loopback origin, in the same run:
//
//	go test -run=^$ -bench=Hit -benchtime=2000x -count=3 ./httpcache/
func BenchmarkHit(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 10<<10)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	}))
	defer origin.Close()
	base := &http.Transport{MaxIdleConnsPerHost: 4}
	defer base.CloseIdleConnections()

	run := func(b *testing.B, rt http.RoundTripper) {
		req, err := http.NewRequest(http.MethodGet, origin.URL+"/bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n != int64(len(body)) {
				b.Fatalf("read %d bytes", n)
			}
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, base) })
	b.Run("cached", func(b *testing.B) {
		tr := httpcache.NewMemory(httpcache.WithTransport(base))
		defer tr.Close()
		resp, err := tr.Client().Get(origin.URL + "/bench")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		run(b, tr)
		if s := httpcache.CacheStatus(resp); s != httpcache.Miss {
			b.Fatalf("warm-up: %s", s)
		}
	})
}

// BenchmarkHitMetered is BenchmarkHit's cache hit with the default
// (global, unset: no-op) meter provider and with the OpenTelemetry SDK's
// (a ManualReader never read), to compare in the same run:
//
//	go test -run=^$ -bench=HitMetered -benchmem -count=6 ./httpcache/
func BenchmarkHitMetered(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 10<<10)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write(body)
	}))
	defer origin.Close()
	run := func(b *testing.B, opts ...httpcache.Option) {
		tr := httpcache.NewMemory(opts...)
		defer tr.Close()
		req, err := http.NewRequest(http.MethodGet, origin.URL+"/bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		get := func() httpcache.Status {
			resp, err := tr.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return httpcache.CacheStatus(resp)
		}
		get() // the miss that stores it
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if s := get(); s != httpcache.Hit {
				b.Fatalf("%s, want hit", s)
			}
		}
	}
	b.Run("noop", func(b *testing.B) { run(b) })
	b.Run("sdk", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		defer mp.Shutdown(context.Background())
		run(b, httpcache.WithMeterProvider(mp))
	})
}
