package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kvkit/kv/httpcache"
)

type fetchCmd struct {
	URL          string        `arg:"" help:"The http or https URL to fetch."`
	Include      bool          `short:"i" help:"Print the response status line and headers before the body."`
	Method       string        `short:"X" default:"GET" help:"Request method."`
	Header       []string      `short:"H" help:"Request header as 'Name: value' (repeatable)."`
	Refresh      bool          `help:"Revalidate with the origin even when the cached response is fresh."`
	OnlyIfCached bool          `name:"only-if-cached" help:"Answer from the cache only (504 when it holds nothing)."`
	NoCache      bool          `name:"no-cache" help:"Bypass the cache for this request."`
	Expire       time.Duration `help:"Keep the response this long, whatever its headers say (e.g. 10m)."`
	Timeout      time.Duration `default:"30s" help:"Give up after this long."`
}

func (f *fetchCmd) Run(e *env, c *cli) error {
	ctx := e.ctx
	if f.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.Timeout)
		defer cancel()
	}
	req, err := f.request(ctx)
	if err != nil {
		return err
	}
	return withTransport(e.ctx, c.Store, func(ch *cache, t *httpcache.Transport) error {
		return f.fetch(e, ch, t, req)
	})
}

// fetch does the request through t and prints what the flags ask for.
func (f *fetchCmd) fetch(e *env, ch *cache, t *httpcache.Transport, req *http.Request) error {
	start := time.Now()
	resp, err := t.Client().Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", f.URL, err)
	}
	defer resp.Body.Close()
	if f.Include {
		fmt.Fprintf(e.stdout, "%s %s\r\n", resp.Proto, resp.Status)
		if err := resp.Header.Write(e.stdout); err != nil {
			return err
		}
		fmt.Fprint(e.stdout, "\r\n")
	}
	if _, err := io.Copy(e.stdout, resp.Body); err != nil {
		return fmt.Errorf("fetch %s: read body: %w", f.URL, err)
	}
	status := httpcache.CacheStatus(resp)
	fmt.Fprintf(e.stderr, "%s %s %s\n", status, resp.Status, time.Since(start).Round(10*time.Microsecond))

	var n counters
	n.count(status)
	return ch.addStats(e.ctx, n)
}

// request builds the request the flags describe.
func (f *fetchCmd) request(ctx context.Context) (*http.Request, error) {
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Errorf("fetch: %q is not an absolute http or https URL", f.URL)}
	}
	switch {
	case f.NoCache:
		ctx = httpcache.Disable(ctx)
	case f.OnlyIfCached:
		ctx = httpcache.OnlyIfCached(ctx)
	case f.Refresh:
		ctx = httpcache.Refresh(ctx)
	}
	if f.Expire > 0 {
		ctx = httpcache.ExpireAfter(ctx, httpcache.After(f.Expire))
	}
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(f.Method), u.String(), nil)
	if err != nil {
		return nil, usageError{fmt.Errorf("fetch: %w", err)}
	}
	for _, h := range f.Header {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, usageError{fmt.Errorf("fetch: header %q is not 'Name: value'", h)}
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return req, nil
}
