package httpcache

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// unsafe reports methods that change state on the origin.
func unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// invalidateAfter deletes what a successful unsafe request made stale
// (RFC 9111 4.4): the GET and HEAD responses of the target URI and of a
// same-origin Location or Content-Location.
func (t *Transport) invalidateAfter(req *http.Request, resp *http.Response, b *budget) {
	if !unsafe(req.Method) || resp.StatusCode >= 400 {
		return
	}
	ctx := context.WithoutCancel(req.Context())
	for _, u := range invalidated(req.URL, resp.Header) {
		_ = t.deleteURL(ctx, b, u)
	}
}

// invalidated returns the URLs a successful unsafe request to target
// makes stale (RFC 9111 4.4): target, and the Location and
// Content-Location of the answer when they are of the same origin.
func invalidated(target *url.URL, h http.Header) []*url.URL {
	urls := []*url.URL{target}
	for _, name := range []string{"Location", "Content-Location"} {
		if v := h.Get(name); v != "" {
			if u, err := target.Parse(v); err == nil && sameOrigin(u, target) {
				urls = append(urls, u)
			}
		}
	}
	return urls
}

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Host == b.Host
}

// deleteURL deletes the GET and HEAD entries of u, their variants and
// aliases, and returns the errors of the deletes.
func (t *Transport) deleteURL(ctx context.Context, b *budget, u *url.URL) error {
	norm := t.o.normalizeURL(u)
	var errs []error
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r := &http.Request{Method: m, URL: u, Host: u.Host, Header: http.Header{}}
		r = r.WithContext(ctx)
		primary := t.o.primaryKey(r, norm, nil)
		errs = append(errs, t.deleteURLKey(ctx, b, primary))
		if m == http.MethodGet {
			errs = append(errs, t.resp.deleteKey(ctx, b, partialKey(primary)))
		}
	}
	return errors.Join(errs...)
}

// deleteURLKey deletes the entry under primary, its variants and its
// alias.
func (t *Transport) deleteURLKey(ctx context.Context, b *budget, primary string) error {
	return errors.Join(t.resp.deleteKey(ctx, b, primary), t.aliases.remove(ctx, b, aliasKey(primary)))
}
