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
	cacheFlags
	statsFlags
	URL          string        `arg:"" help:"The http or https URL to fetch."`
	Include      bool          `short:"i" help:"Print the response status line and headers before the body."`
	Method       string        `short:"X" default:"GET" help:"Request method."`
	Header       []string      `short:"H" help:"Request header as 'Name: value' (repeatable)."`
	Refresh      bool          `help:"Revalidate with the origin even when the cached response is fresh."`
	OnlyIfCached bool          `name:"only-if-cached" help:"Answer from the cache only, never contacting the origin (504 when it holds nothing)."`
	NoCache      bool          `name:"no-cache" help:"Bypass the cache for this request."`
	Expire       time.Duration `help:"Keep the response this long, whatever its headers say (e.g. 10m)."`
	Timeout      time.Duration `default:"30s" help:"Give up after this long (exit 28)."`
	Fail         bool          `short:"f" help:"Exit 22 when the response's status is 400 or more (the body is still printed)."`
}

func (f *fetchCmd) Run(e *env) error {
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
	return withTransport(e.ctx, f.cacheFlags, create, func(_ *cache, t *httpcache.Transport) error {
		return f.fetch(e, t, req)
	})
}

// fetch does the request through t and prints what the flags ask for.
func (f *fetchCmd) fetch(e *env, t *httpcache.Transport, req *http.Request) error {
	start := time.Now()
	h := &hops{next: t}
	resp, err := (&http.Client{Transport: h}).Do(req)
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
	status := served(h.take())
	label := fetchLabel(status, resp.StatusCode, f.OnlyIfCached)
	fmt.Fprintf(e.stderr, "%s %s %s\n", label, resp.Status, time.Since(start).Round(10*time.Microsecond))

	var n counters
	n.count(status)
	recordStats(e, f.statsFlags, f.Store, n)
	if f.Fail && resp.StatusCode >= 400 {
		return httpError{status: resp.Status, label: label}
	}
	return nil
}

// notStored labels a 504 under --only-if-cached: the cache held nothing
// and the origin was not contacted (the library counts it a miss).
const notStored = "only-if-cached: not stored"

// fetchLabel is what fetch prints for a response served with status s.
func fetchLabel(s httpcache.Status, code int, onlyIfCached bool) string {
	if onlyIfCached && code == http.StatusGatewayTimeout && s == httpcache.Miss {
		return notStored
	}
	return string(s)
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
