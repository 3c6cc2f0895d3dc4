package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/kvkit/kv/httpcache"
)

type proxyCmd struct {
	cacheFlags
	statsFlags
	Listen   string        `default:"127.0.0.1:8080" help:"Address to listen on (host:port; port 0 picks a free one)."`
	Upstream string        `required:"" help:"The origin server's base URL, e.g. https://example.com."`
	Expire   time.Duration `help:"Keep responses this long when their headers say nothing (default: only what the headers allow)."`
	Grace    time.Duration `default:"10s" help:"How long shutdown waits for requests in flight."`
	Metrics  string        `placeholder:"ADDR" help:"Serve Prometheus metrics of the proxy and its store on ADDR (host:port) under /metrics."`
}

// upstreamTransport is how the proxy reaches the origin: Go's default
// transport without its transparent decompression. That transport asks
// for gzip when the client did not and hands back the decoded body
// without its Content-Encoding, which would transform the representation
// (RFC 9110 §7.7, no-transform) and store the decoded copy. Without it the
// client's Accept-Encoding reaches the origin as sent, and the body comes
// back as the origin encoded it.
func upstreamTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	return t
}

// statsFlushInterval is how often the proxy saves its counters, so that
// stats shows a running proxy's counts.
const statsFlushInterval = time.Second

func (p *proxyCmd) Run(e *env) error {
	up, err := parseUpstream(p.Upstream)
	if err != nil {
		return err
	}
	ch, err := openCache(e.ctx, p.cacheFlags, create)
	if err != nil {
		return err
	}
	defer ch.Close()
	m, err := startMetrics(p.Metrics, p.Store, e.stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	m.instrument(ch)

	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	opts := []httpcache.Option{
		httpcache.WithShared(true),
		httpcache.WithTransport(upstreamTransport()),
		httpcache.WithErrorHook(func(err error) { logger.Warn("cache store error", "err", err) }),
	}
	if p.Expire > 0 {
		opts = append(opts, httpcache.WithExpireAfter(httpcache.After(p.Expire)))
	}
	opts = append(opts, m.cacheOptions()...)
	t := ch.transport(opts...)
	defer t.Close()

	tally := &tally{e: e, stats: p.statsFlags, cache: p.Store, logger: logger}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(up)
			r.SetXForwarded()
		},
		Transport: t,
		ModifyResponse: func(resp *http.Response) error {
			status := httpcache.CacheStatus(resp)
			m.count(context.Background(), status)
			tally.count(status)
			return nil
		},
		ErrorHandler: upstreamError(logger),
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", p.Listen)
	if err != nil {
		return fmt.Errorf("proxy: listen %s: %w", p.Listen, err)
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 30 * time.Second}
	fmt.Fprintf(e.stderr, "kvcache: proxying http://%s -> %s\n", ln.Addr(), up)
	return p.serve(e, srv, ln, tally)
}

// serve serves on ln until the server fails or e.ctx is done, saving the
// counters every statsFlushInterval and at the end.
func (p *proxyCmd) serve(e *env, srv *http.Server, ln net.Listener, tally *tally) error {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tick := time.NewTicker(statsFlushInterval)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			tally.flush()
			return fmt.Errorf("proxy: %w", err)
		case <-tick.C:
			tally.flush()
		case <-e.ctx.Done():
			ctx, cancel := context.WithTimeout(context.Background(), p.Grace)
			err := srv.Shutdown(ctx)
			cancel()
			tally.flush()
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("proxy: shutdown: %w", err)
			}
			fmt.Fprintln(e.stderr, "kvcache: proxy stopped")
			return nil
		}
	}
}

// upstreamError answers 502 when the upstream cannot be reached, with the
// cache status header like every other answer: the cache held nothing it
// could serve, so the request went to the origin (a miss).
func upstreamError(logger *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		logger.Warn("upstream", "url", r.URL.String(), "err", err)
		w.Header().Set(httpcache.StatusHeader, string(httpcache.Miss))
		w.WriteHeader(http.StatusBadGateway)
	}
}

// tally counts the proxy's responses by cache status and adds them to the
// stored counters on flush.
type tally struct {
	e      *env
	stats  statsFlags
	cache  string // the cache's URL, which keys its counters
	logger *slog.Logger
	mu     sync.Mutex
	seen   counters
	failed bool // warned once already
}

func (t *tally) count(s httpcache.Status) {
	t.mu.Lock()
	t.seen.count(s)
	t.mu.Unlock()
}

func (t *tally) flush() {
	t.mu.Lock()
	d := t.seen
	t.seen = counters{}
	t.mu.Unlock()
	if d.total() == 0 {
		return
	}
	s, err := openStats(context.WithoutCancel(t.e.ctx), t.stats, t.cache, create)
	if err == nil {
		err = errors.Join(s.add(context.WithoutCancel(t.e.ctx), d), s.Close())
	}
	if err != nil && !t.failed {
		t.failed = true
		t.logger.Warn("counters not saved (set --stats-store or $KVCACHE_STATS to a writable store)", "err", err)
	}
}

// parseUpstream parses the --upstream URL: absolute, http or https.
func parseUpstream(s string) (*url.URL, error) {
	up, err := url.Parse(s)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return nil, usageError{fmt.Errorf("proxy: --upstream %q is not an absolute http or https URL", s)}
	}
	return up, nil
}
