package httpcache

import "context"

// Per-request control. Each function returns a context that carries one
// instruction for the Transport; make the request with it
// (http.NewRequestWithContext or req.WithContext). Instructions combine:
// Refresh(OnlyIfCached(ctx)) carries both.

type control struct {
	disable, refresh, forceRefresh, onlyIfCached bool
	expiry                                       Expiry
}

type controlKey struct{}

func controlOf(ctx context.Context) control {
	c, _ := ctx.Value(controlKey{}).(control)
	return c
}

func withControl(ctx context.Context, f func(*control)) context.Context {
	c := controlOf(ctx)
	f(&c)
	return context.WithValue(ctx, controlKey{}, c)
}

// Disable makes requests with the returned context skip the cache: nothing
// is read from it or written to it (unsafe methods still invalidate). The
// response's status is Bypass.
func Disable(ctx context.Context) context.Context {
	return withControl(ctx, func(c *control) { c.disable = true })
}

// Refresh makes requests with the returned context revalidate a stored
// response with the origin before using it, even when it is fresh (a
// conditional request when it has a validator), except for a fresh
// response marked immutable. The answer is stored.
func Refresh(ctx context.Context) context.Context {
	return withControl(ctx, func(c *control) { c.refresh = true })
}

// ForceRefresh makes requests with the returned context fetch from the
// origin unconditionally, ignoring what is stored, and store the answer.
func ForceRefresh(ctx context.Context) context.Context {
	return withControl(ctx, func(c *control) { c.forceRefresh = true })
}

// OnlyIfCached makes requests with the returned context never reach the
// origin: a stored response is served, fresh or stale (status Hit or
// Stale), and a 504 Gateway Timeout response (status Miss) is returned
// when none is stored, when the stored one is stale and must be
// revalidated (must-revalidate, no-cache; in a shared cache also
// proxy-revalidate and s-maxage: RFC 9111 5.2.2.2), and for a
// conditional request with nothing fresh stored. The request header "Cache-Control: only-if-cached"
// does the same under RFC 9111 rules, which serve stale responses only
// within max-stale.
func OnlyIfCached(ctx context.Context) context.Context {
	return withControl(ctx, func(c *control) { c.onlyIfCached = true })
}

// ExpireAfter sets the expiry of the response to requests with the
// returned context, above per-URL and global settings (see the package
// documentation for the precedence). DoNotCache makes the request skip the
// cache.
func ExpireAfter(ctx context.Context, e Expiry) context.Context {
	return withControl(ctx, func(c *control) { c.expiry = e })
}
