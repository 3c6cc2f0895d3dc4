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
	Listen   string        `default:"127.0.0.1:8080" help:"Address to listen on (host:port; port 0 picks a free one)."`
	Upstream string        `required:"" help:"The origin server's base URL, e.g. https://example.com."`
	Expire   time.Duration `help:"Keep responses this long when their headers say nothing (default: only what the headers allow)."`
	Grace    time.Duration `default:"10s" help:"How long shutdown waits for requests in flight."`
	Metrics  string        `placeholder:"ADDR" help:"Serve Prometheus metrics of the proxy and its store on ADDR (host:port) under /metrics."`
}

func (p *proxyCmd) Run(e *env, c *cli) error {
	up, err := parseUpstream(p.Upstream)
	if err != nil {
		return err
	}
	ch, err := openCache(e.ctx, c.Store)
	if err != nil {
		return err
	}
	defer ch.Close()
	m, err := startMetrics(p.Metrics, c.Store, e.stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	m.instrument(ch)

	var mu sync.Mutex
	var seen counters
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	opts := []httpcache.Option{
		httpcache.WithShared(true),
		httpcache.WithErrorHook(func(err error) { logger.Warn("cache store error", "err", err) }),
	}
	if p.Expire > 0 {
		opts = append(opts, httpcache.WithExpireAfter(httpcache.After(p.Expire)))
	}
	opts = append(opts, m.cacheOptions()...)
	t := ch.transport(opts...)
	defer t.Close()

	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(up)
			r.SetXForwarded()
		},
		Transport: t,
		ModifyResponse: func(resp *http.Response) error {
			status := httpcache.CacheStatus(resp)
			m.count(context.Background(), status)
			mu.Lock()
			seen.count(status)
			mu.Unlock()
			return nil
		},
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", p.Listen)
	if err != nil {
		return usageError{fmt.Errorf("proxy: listen %s: %w", p.Listen, err)}
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 30 * time.Second}
	fmt.Fprintf(e.stderr, "kvcache: proxying http://%s -> %s\n", ln.Addr(), up)

	flush := func() {
		mu.Lock()
		d := seen
		seen = counters{}
		mu.Unlock()
		if err := ch.addStats(context.Background(), d); err != nil {
			logger.Warn("saving counters", "err", err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			flush()
			return fmt.Errorf("proxy: %w", err)
		case <-tick.C:
			flush()
		case <-e.ctx.Done():
			ctx, cancel := context.WithTimeout(context.Background(), p.Grace)
			err := srv.Shutdown(ctx)
			cancel()
			flush()
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("proxy: shutdown: %w", err)
			}
			fmt.Fprintln(e.stderr, "kvcache: proxy stopped")
			return nil
		}
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
