package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/otelkv"
	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// proxyMetrics serves the proxy's metrics as Prometheus text (proxy
// --metrics): the operations of its stores, recorded by otelkv, and how
// its responses were served, through one OpenTelemetry MeterProvider whose
// reader is the Prometheus exporter. A nil *proxyMetrics records nothing.
type proxyMetrics struct {
	provider  *sdkmetric.MeterProvider
	server    *http.Server
	backend   string
	responses metric.Int64Counter
	statuses  map[httpcache.Status]metric.AddOption
}

// startMetrics serves the metrics on addr under /metrics, or returns nil
// when addr is empty. storeURL names the backend of the spans' and
// measurements' db.system.name.
func startMetrics(addr, storeURL string, stderr io.Writer) (*proxyMetrics, error) {
	if addr == "" {
		return nil, nil
	}
	reg := promclient.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("proxy: metrics: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError{fmt.Errorf("proxy: --metrics %s: %w", addr, err)}
	}
	m := &proxyMetrics{
		provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)),
		backend:  "kv",
		statuses: map[httpcache.Status]metric.AddOption{},
	}
	if u, err := url.Parse(storeURL); err == nil && u.Scheme != "" {
		m.backend = u.Scheme
	}
	m.responses, err = m.provider.Meter("github.com/kvkit/kv/cmd/kvcache").Int64Counter("kvcache.proxy.responses",
		metric.WithUnit("{response}"),
		metric.WithDescription("Responses of the proxy, by how the cache served them (the counters of kvcache stats)."))
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("proxy: metrics: %w", err)
	}
	for _, s := range []httpcache.Status{httpcache.Hit, httpcache.Miss, httpcache.Stale, httpcache.Revalidated, httpcache.Bypass} {
		m.statuses[s] = metric.WithAttributes(attribute.String("http.cache.status", string(s)))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go m.server.Serve(ln)
	fmt.Fprintf(stderr, "kvcache: metrics on http://%s/metrics\n", ln.Addr())
	return m, nil
}

// cacheOptions has the Transport record its own metrics (requests by
// cache status, origin requests, store errors, breaker state,
// revalidations) through the same provider; none when m is nil.
func (m *proxyMetrics) cacheOptions() []httpcache.Option {
	if m == nil {
		return nil
	}
	return []httpcache.Option{httpcache.WithMeterProvider(m.provider)}
}

// instrument wraps the stores of ch so that their operations are
// recorded; ch still owns and closes what it opened.
func (m *proxyMetrics) instrument(ch *cache) {
	if m == nil {
		return
	}
	ch.responses = otelkv.Wrap(ch.responses, m.storeOptions("responses")...)
	if ch.redirects != nil {
		ch.redirects = otelkv.Wrap(ch.redirects, m.storeOptions("redirects")...)
	}
}

func (m *proxyMetrics) storeOptions(namespace string) []otelkv.Option {
	return []otelkv.Option{
		otelkv.WithMeterProvider(m.provider),
		otelkv.WithTracerProvider(tracenoop.NewTracerProvider()),
		otelkv.WithBackendName(m.backend),
		otelkv.WithAttributes(attribute.String("db.namespace", namespace)),
	}
}

// count records one response served with status s.
func (m *proxyMetrics) count(ctx context.Context, s httpcache.Status) {
	if m == nil {
		return
	}
	opt, ok := m.statuses[s]
	if !ok {
		opt = m.statuses[httpcache.Bypass] // as counters.count does
	}
	m.responses.Add(ctx, 1, opt)
}

// Close stops serving the metrics and shuts the provider down.
func (m *proxyMetrics) Close() error {
	if m == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(m.server.Shutdown(ctx), m.provider.Shutdown(ctx))
}
