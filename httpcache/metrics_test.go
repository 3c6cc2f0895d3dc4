package httpcache_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

// newReader returns a meter provider of the SDK that records into the
// returned ManualReader.
func newReader(t *testing.T) (*sdkmetric.ManualReader, *sdkmetric.MeterProvider) {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return r, mp
}

// collect reads r: each data point of the httpcache meter as
// "instrument attr=value,..." and its value (for the duration
// histogram, its count).
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	key := func(name string, set attribute.Set) string {
		return name + " " + set.Encoded(attribute.DefaultEncoder())
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != "github.com/kvkit/kv/httpcache" {
			t.Errorf("meter %q, want the package's import path", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[key(m.Name, p.Attributes)] = p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					got[key(m.Name, p.Attributes)] = p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[key(m.Name, p.Attributes)] = int64(p.Count)
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return got
}

// countingOrigin is a real HTTP origin that answers with the header
// Cache-Control cc, and 304 to a request whose If-None-Match is its ETag.
func countingOrigin(t *testing.T, cc string) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", cc)
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "body of "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// hasPrefix reports a key of m that starts with prefix.
func hasPrefix(m map[string]int64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func getStatus(t *testing.T, c *http.Client, url string) httpcache.Status {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return httpcache.CacheStatus(resp)
}

// TestMetricsMissThenHit: a miss then a hit count one of each, with
// their durations, one origin request, and both breakers closed.
func TestMetricsMissThenHit(t *testing.T) {
	r, mp := newReader(t)
	origin, _ := countingOrigin(t, "max-age=600")
	tr := httpcache.NewMemory(httpcache.WithMeterProvider(mp))
	defer tr.Close()
	if s := getStatus(t, tr.Client(), origin.URL+"/a"); s != httpcache.Miss {
		t.Fatalf("first: %s, want miss", s)
	}
	if s := getStatus(t, tr.Client(), origin.URL+"/a"); s != httpcache.Hit {
		t.Fatalf("second: %s, want hit", s)
	}
	want := map[string]int64{
		"httpcache.requests cache.status=miss":         1,
		"httpcache.requests cache.status=hit":          1,
		"httpcache.request.duration cache.status=miss": 1,
		"httpcache.request.duration cache.status=hit":  1,
		"httpcache.origin.requests outcome=response":   1,
		"httpcache.breaker.state store=responses":      0,
		"httpcache.breaker.state store=redirects":      0,
	}
	if diff := cmp.Diff(want, collect(t, r)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// TestMetricsStoreErrorsAndBreaker: a failing store counts its failed
// call, and the breaker state is 1 while the store is skipped and 0
// again once a probe finds it answering.
func TestMetricsStoreErrorsAndBreaker(t *testing.T) {
	const period = 50 * time.Millisecond
	r, mp := newReader(t)
	origin, hits := countingOrigin(t, "max-age=600")
	resp := newSwitchStore[*httpcache.Response](t)
	resp.fail.Store(true)
	tr := httpcache.New(resp, nil, httpcache.WithMeterProvider(mp), httpcache.WithStoreBreaker(period, period))
	defer tr.Close()

	// The lookup fails and opens the breaker; the alias lookup and the
	// write are skipped.
	if s := getStatus(t, tr.Client(), origin.URL+"/b"); s != httpcache.Miss {
		t.Fatalf("store down: %s, want miss", s)
	}
	want := map[string]int64{
		"httpcache.requests cache.status=miss":                 1,
		"httpcache.request.duration cache.status=miss":         1,
		"httpcache.origin.requests outcome=response":           1,
		"httpcache.store.errors operation=get,store=responses": 1,
		"httpcache.breaker.state store=responses":              1,
	}
	if diff := cmp.Diff(want, collect(t, r)); diff != "" {
		t.Errorf("store down, metrics (-want +got):\n%s", diff)
	}

	resp.fail.Store(false)
	time.Sleep(period + 10*time.Millisecond)
	if s := getStatus(t, tr.Client(), origin.URL+"/b"); s != httpcache.Miss {
		t.Fatalf("store back: %s, want miss (nothing was stored)", s)
	}
	if s := getStatus(t, tr.Client(), origin.URL+"/b"); s != httpcache.Hit {
		t.Fatalf("store back, again: %s, want hit", s)
	}
	want = map[string]int64{
		"httpcache.requests cache.status=miss":                 2,
		"httpcache.requests cache.status=hit":                  1,
		"httpcache.request.duration cache.status=miss":         2,
		"httpcache.request.duration cache.status=hit":          1,
		"httpcache.origin.requests outcome=response":           2,
		"httpcache.store.errors operation=get,store=responses": 1,
		"httpcache.breaker.state store=responses":              0,
	}
	if diff := cmp.Diff(want, collect(t, r)); diff != "" {
		t.Errorf("store back, metrics (-want +got):\n%s", diff)
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("%d origin hits, want 2", got)
	}
}

// TestMetricsBackgroundRevalidation: a stale response served under
// stale-while-revalidate counts as stale, and its background
// revalidation (a 304) as a revalidation and a not-modified origin
// request. Close unregisters the breaker gauge.
func TestMetricsBackgroundRevalidation(t *testing.T) {
	r, mp := newReader(t)
	origin, hits := countingOrigin(t, "max-age=10, stale-while-revalidate=600")
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	tr := httpcache.NewMemory(httpcache.WithMeterProvider(mp), httpcache.WithClock(clock))
	if s := getStatus(t, tr.Client(), origin.URL+"/c"); s != httpcache.Miss {
		t.Fatalf("first: %s, want miss", s)
	}
	offset.Store(int64(time.Minute))
	if s := getStatus(t, tr.Client(), origin.URL+"/c"); s != httpcache.Stale {
		t.Fatalf("after a minute: %s, want stale", s)
	}
	// The revalidation runs in the background: wait for its count.
	var got map[string]int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got = collect(t, r); len(got) > 0 && hasPrefix(got, "httpcache.revalidations") {
			break
		}
	}
	want := map[string]int64{
		"httpcache.requests cache.status=miss":           1,
		"httpcache.requests cache.status=stale":          1,
		"httpcache.request.duration cache.status=miss":   1,
		"httpcache.request.duration cache.status=stale":  1,
		"httpcache.origin.requests outcome=response":     1,
		"httpcache.origin.requests outcome=not_modified": 1,
		"httpcache.revalidations result=not_modified":    1,
		"httpcache.breaker.state store=responses":        0,
		"httpcache.breaker.state store=redirects":        0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	for k := range collect(t, r) {
		if strings.HasPrefix(k, "httpcache.breaker.state") {
			t.Errorf("after Close: %s still observed", k)
		}
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("%d origin hits, want 2", got)
	}
}

// TestMetricsNoStore: no-store answers are origin requests and misses,
// each time, and nothing is stored.
func TestMetricsNoStore(t *testing.T) {
	r, mp := newReader(t)
	origin, _ := countingOrigin(t, "no-store")
	raw := memory.New[string, []byte]()
	defer raw.Close()
	tr := httpcache.NewFromStores(raw, nil, httpcache.WithMeterProvider(mp))
	defer tr.Close()
	for i := range 2 {
		if s := getStatus(t, tr.Client(), origin.URL+"/d"); s != httpcache.Miss {
			t.Fatalf("request %d: %s, want miss", i, s)
		}
	}
	want := map[string]int64{
		"httpcache.requests cache.status=miss":         2,
		"httpcache.request.duration cache.status=miss": 2,
		"httpcache.origin.requests outcome=response":   2,
		"httpcache.breaker.state store=responses":      0,
	}
	if diff := cmp.Diff(want, collect(t, r)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	n := 0
	for _, err := range raw.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 0 {
		t.Errorf("%d entries stored, want none", n)
	}
}
