package httpcache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/kvkit/kv"
)

// maxVariants bounds the variant list of one URL; the oldest are forgotten
// (they stay reachable, but are no longer invalidated together).
const maxVariants = 64

// report hands a store error to the hook and the logger.
func (t *Transport) report(err error) {
	if t.o.hook != nil {
		t.o.hook(err)
	}
	if t.o.logger != nil {
		t.o.logger.Warn("httpcache: store error; using the origin", "err", err)
	}
}

// storeCtx bounds a store call.
func (t *Transport) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if t.o.storeTimeout > 0 && !t.inMemory {
		return context.WithTimeout(ctx, t.o.storeTimeout)
	}
	return ctx, func() {}
}

// settle records in b how a store call that b let through ended, and
// reports a failure: every one when b is nil (the breaker is off), else
// the one that opens b and each failed probe. ctx is the caller's: a
// call that failed because it ended is not the store's fault. A miss and
// a corrupt entry are answers (the reads report a corrupt entry
// themselves, with what they do about it); a key or value the store
// refuses is reported, but says nothing of the store either.
func (t *Transport) settle(ctx context.Context, b *breaker, tk ticket, err error, op, key string) {
	if err == nil && !tk.probe {
		return // the hit path
	}
	switch {
	case err == nil || errors.Is(err, kv.ErrNotFound):
	case errors.Is(err, kv.ErrCorrupt):
		if op != "get" && op != "get redirect" {
			t.report(fmt.Errorf("httpcache: %s %s: %w", op, key, err))
		}
	case errors.Is(err, kv.ErrTooLarge) || errors.Is(err, kv.ErrInvalidTTL):
		t.report(fmt.Errorf("httpcache: %s %s: %w", op, key, err))
	case ctx.Err() != nil:
		b.abandoned(tk)
		return
	default:
		if period, report := b.failed(tk); report {
			if period > 0 {
				t.report(fmt.Errorf("httpcache: %s %s: %w (skipping the %s store for %v)", op, key, err, b.name, period.Round(time.Millisecond)))
			} else {
				t.report(fmt.Errorf("httpcache: %s %s: %w", op, key, err))
			}
		}
		return
	}
	if b != nil {
		if down := b.answered(tk); down > 0 && t.o.logger != nil {
			t.o.logger.Info("httpcache: store answers again", "store", b.name, "skipped_for", down.Round(time.Millisecond))
		}
	}
}

// get returns the entry under key, or nil when it is absent, unreadable,
// of another format version (those are reported as kv.ErrCorrupt and
// deleted), or the store fails or is skipped.
func (t *Transport) get(ctx context.Context, key string) *Response {
	tk, ok := t.respBreaker.allow()
	if !ok {
		return nil
	}
	sctx, cancel := t.storeCtx(ctx)
	e, err := t.responses.Get(sctx, key)
	cancel()
	t.settle(ctx, t.respBreaker, tk, err, "get", key)
	switch {
	case err == nil && e != nil && e.Version == FormatVersion:
		return e
	case err == nil:
		// Decodable, but written in another format (or a CBOR null):
		// as unusable as bytes that do not decode.
		version := -1
		if e != nil {
			version = e.Version
		}
		t.report(fmt.Errorf("httpcache: dropping entry %s: format version %d, want %d: %w", key, version, FormatVersion, kv.ErrCorrupt))
		t.del(ctx, key)
		return nil
	case errors.Is(err, kv.ErrCorrupt):
		t.report(fmt.Errorf("httpcache: dropping entry %s: %w", key, err))
		t.del(ctx, key)
		return nil
	default:
		return nil
	}
}

// load returns the stored response for a request with header h under
// primary, following a variant list, and the key it is stored under.
func (t *Transport) load(ctx context.Context, primary string, h http.Header) (*Response, string) {
	e := t.get(ctx, primary)
	if e == nil {
		return nil, ""
	}
	switch e.Kind {
	case KindResponse:
		return e, primary
	case KindVariants:
		vk := variantKey(primary, e.Vary, h)
		if v := t.get(ctx, vk); v != nil && v.Kind == KindResponse {
			return v, vk
		}
	}
	return nil, ""
}

// set writes e under key with a TTL from e.Until. It reports whether the
// entry was written.
func (t *Transport) set(ctx context.Context, key string, e *Response) bool {
	var opts []kv.SetOption
	if !e.Until.IsZero() {
		ttl := e.Until.Sub(t.o.now())
		if ttl <= 0 {
			return false
		}
		opts = append(opts, kv.WithTTL(ttl))
	}
	tk, ok := t.respBreaker.allow()
	if !ok {
		return false
	}
	ctx = context.WithoutCancel(ctx)
	sctx, cancel := t.storeCtx(ctx)
	err := t.responses.Set(sctx, key, e, opts...)
	cancel()
	t.settle(ctx, t.respBreaker, tk, err, "set", key)
	return err == nil
}

func (t *Transport) del(ctx context.Context, key string) {
	tk, ok := t.respBreaker.allow()
	if !ok {
		return
	}
	ctx = context.WithoutCancel(ctx)
	sctx, cancel := t.storeCtx(ctx)
	err := t.responses.Delete(sctx, key)
	cancel()
	t.settle(ctx, t.respBreaker, tk, err, "delete", key)
}

// store writes e for req: under the primary key, or, when it varies by
// request headers, under its variant key with the variant list under the
// primary key.
func (t *Transport) store(req *http.Request, lk lookup, e *Response, names []string) bool {
	ctx := req.Context()
	if len(names) == 0 {
		return t.set(ctx, lk.primary, e)
	}
	vk := variantKey(lk.primary, names, req.Header)
	if !t.set(ctx, vk, e) {
		return false
	}
	t.idxMu.Lock()
	defer t.idxMu.Unlock()
	idx := &Response{Version: FormatVersion, Kind: KindVariants, Method: e.Method, URL: e.URL, Vary: names, Variants: []string{vk}, Until: e.Until}
	if old := t.get(ctx, lk.primary); old != nil && old.Kind == KindVariants {
		vs := slices.DeleteFunc(slices.Clone(old.Variants), func(k string) bool { return k == vk })
		if len(vs) >= maxVariants {
			vs = vs[len(vs)-maxVariants+1:]
		}
		idx.Variants = append(vs, vk)
		if old.Until.IsZero() || (!idx.Until.IsZero() && old.Until.After(idx.Until)) {
			idx.Until = old.Until
		}
	}
	return t.set(ctx, lk.primary, idx)
}

// alias returns the key a redirect alias from primary points to.
func (t *Transport) alias(ctx context.Context, primary string) (string, bool) {
	k := aliasKey(primary)
	if t.redirects == nil {
		if e := t.get(ctx, k); e != nil && e.Kind == KindAlias {
			return e.Alias, true
		}
		return "", false
	}
	tk, ok := t.redirBreaker.allow()
	if !ok {
		return "", false
	}
	sctx, cancel := t.storeCtx(ctx)
	target, err := t.redirects.Get(sctx, k)
	cancel()
	t.settle(ctx, t.redirBreaker, tk, err, "get redirect", k)
	if err != nil {
		if errors.Is(err, kv.ErrCorrupt) {
			t.report(fmt.Errorf("httpcache: get redirect %s: %w", k, err))
		}
		return "", false
	}
	return target, true
}

// recordRedirects stores an alias to final from every hop of the redirect
// chain that led to req (http.Client sets Request.Response on each
// redirected request).
func (t *Transport) recordRedirects(req *http.Request, final string, until time.Time) {
	ctx := context.WithoutCancel(req.Context())
	for hop := req.Response; hop != nil && hop.Request != nil; hop = hop.Request.Response {
		hr := hop.Request
		if hr.Method != http.MethodGet && hr.Method != http.MethodHead {
			continue
		}
		primary := t.o.primaryKey(hr, t.o.normalizeURL(hr.URL), nil)
		if primary == final {
			continue
		}
		k := aliasKey(primary)
		if t.redirects == nil {
			t.set(ctx, k, &Response{Version: FormatVersion, Kind: KindAlias, Method: hr.Method, URL: t.o.normalizeURL(hr.URL), Alias: final, Until: until})
			continue
		}
		var opts []kv.SetOption
		if !until.IsZero() {
			ttl := until.Sub(t.o.now())
			if ttl <= 0 {
				continue
			}
			opts = append(opts, kv.WithTTL(ttl))
		}
		tk, ok := t.redirBreaker.allow()
		if !ok {
			return
		}
		sctx, cancel := t.storeCtx(ctx)
		err := t.redirects.Set(sctx, k, final, opts...)
		cancel()
		t.settle(ctx, t.redirBreaker, tk, err, "set redirect", k)
	}
}

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
func (t *Transport) invalidateAfter(req *http.Request, resp *http.Response) {
	if !unsafe(req.Method) || resp.StatusCode >= 400 {
		return
	}
	ctx := context.WithoutCancel(req.Context())
	targets := []*url.URL{req.URL}
	for _, name := range []string{"Location", "Content-Location"} {
		if v := resp.Header.Get(name); v != "" {
			if u, err := req.URL.Parse(v); err == nil && sameOrigin(u, req.URL) {
				targets = append(targets, u)
			}
		}
	}
	for _, u := range targets {
		t.deleteURL(ctx, u)
	}
}

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Host == b.Host
}

// deleteURL deletes the GET and HEAD entries of u, their variants and
// aliases.
func (t *Transport) deleteURL(ctx context.Context, u *url.URL) {
	norm := t.o.normalizeURL(u)
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r := &http.Request{Method: m, URL: u, Host: u.Host, Header: http.Header{}}
		r = r.WithContext(ctx)
		t.deleteURLKey(ctx, t.o.primaryKey(r, norm, nil))
	}
}

// deleteURLKey deletes the entry under primary, its variants and its alias.
func (t *Transport) deleteURLKey(ctx context.Context, primary string) {
	if e := t.get(ctx, primary); e != nil && e.Kind == KindVariants {
		for _, vk := range e.Variants {
			t.del(ctx, vk)
		}
	}
	t.del(ctx, primary)
	t.deleteAlias(ctx, aliasKey(primary))
}

func (t *Transport) deleteAlias(ctx context.Context, k string) {
	if t.redirects == nil {
		t.del(ctx, k)
		return
	}
	tk, ok := t.redirBreaker.allow()
	if !ok {
		return
	}
	sctx, cancel := t.storeCtx(ctx)
	err := t.redirects.Delete(sctx, k)
	cancel()
	t.settle(ctx, t.redirBreaker, tk, err, "delete redirect", k)
}

// revalidateInBackground refreshes stale for req in a goroutine, unless a
// refresh of the same key is running or t is closed.
func (t *Transport) revalidateInBackground(req *http.Request, lk lookup, stale *Response) {
	key := flightKey(lk.primary, req.Header)
	t.bgMu.Lock()
	if t.closed.Load() || t.bgKeys[key] {
		t.bgMu.Unlock()
		return
	}
	t.bgKeys[key] = true
	t.bgWG.Add(1)
	t.bgMu.Unlock()

	ctx, cancel := context.WithCancel(context.WithoutCancel(req.Context()))
	breq := req.Clone(ctx)
	breq.Response = nil
	go func() {
		defer t.bgWG.Done()
		defer func() {
			t.bgMu.Lock()
			delete(t.bgKeys, key)
			t.bgMu.Unlock()
		}()
		stop := context.AfterFunc(t.bgCtx, cancel)
		defer stop()
		defer cancel()
		// A revalidation that ended between this request's lookup and now
		// has done the work already.
		if e, _ := t.load(ctx, lk.primary, breq.Header); e != nil && e.ResponseTime.After(stale.ResponseTime) && e.fresh(t.o.now()) {
			return
		}
		resp, _, err := t.fetchOrigin(breq, lk, stale)
		if err != nil {
			if t.o.logger != nil {
				t.o.logger.Debug("httpcache: background revalidation failed", "url", lk.normURL, "err", err)
			}
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if t.o.logger != nil {
			t.o.logger.Debug("httpcache: revalidated in the background", "url", lk.normURL, "status", resp.StatusCode)
		}
	}()
}
