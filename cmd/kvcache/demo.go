package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores"
)

// demoCmd shows the cache at work with nothing but this program: it starts
// a small origin server on loopback, fetches from it through the cache, and
// says how each response was served.
type demoCmd struct {
	Store string `placeholder:"URL" help:"Store URL of the cache to use (default: a SQLite file in a new temporary directory, removed at the end)."`
}

// demoOrigin is the origin the demo fetches from. It counts the requests
// that reach it.
func demoOrigin(requests *atomic.Int64) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/fresh", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintln(w, "fresh for a minute")
	})
	mux.HandleFunc("/validated", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprintln(w, "revalidated on every use")
	})
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		http.Redirect(w, r, "/fresh", http.StatusMovedPermanently)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		mux.ServeHTTP(w, r)
	})
}

func (d *demoCmd) Run(e *env) error {
	var requests atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	srv := &http.Server{Handler: demoOrigin(&requests), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	store := d.Store
	if store == "" {
		dir, err := os.MkdirTemp("", "kvcache-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		store = "sqlite://" + filepath.ToSlash(filepath.Join(dir, "cache.db"))
	}
	return withTransport(e.ctx, cacheFlags{Store: store}, create, func(_ *cache, t *httpcache.Transport) error {
		return demo(e, store, base, &requests, t)
	})
}

// demo fetches from the origin at base through t and reports each response.
func demo(e *env, store, base string, requests *atomic.Int64, t *httpcache.Transport) error {
	h := &hops{next: t}
	client := &http.Client{Transport: h}

	fmt.Fprintf(e.stdout, "origin: %s (in this process)\ncache:  %s\n\n", base, stores.Redact(store))
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "REQUEST\tSERVED\tSTATUS\tTIME\tORIGIN REQUESTS SO FAR")
	var seen counters
	for _, path := range []string{"/fresh", "/fresh", "/validated", "/validated", "/old", "/old"} {
		req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return err
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("demo: GET %s: %w", path, err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("demo: GET %s: %w", path, err)
		}
		status := served(h.take())
		seen.count(status)
		fmt.Fprintf(w, "GET %s\t%s\t%s\t%s\t%d\n", path, status, resp.Status, time.Since(start).Round(10*time.Microsecond), requests.Load())
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%d requests, %d reached the origin (a revalidation is one that did, answered 304)\n", seen.total(), requests.Load())

	// The origin's port changes each run: leave nothing of it behind.
	var errs []error
	for _, path := range []string{"/fresh", "/validated", "/old"} {
		errs = append(errs, t.DeleteURL(context.WithoutCancel(e.ctx), base+path))
	}
	return errors.Join(errs...)
}
