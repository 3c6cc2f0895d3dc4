package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// setFreshness works out e's expiry, directives and store TTL from its
// headers and the configured expiry (see the package documentation for
// the precedence), and drops from its header the fields a shared cache
// may not store (qualified private, RFC 9111 5.2.2.7); respHeader is the
// header as received, with its Age. It returns false when e could never
// be used.
func (t *Transport) setFreshness(e *Response, expiry Expiry, respHeader http.Header) bool {
	e.InitialAge = initialAge(respHeader, e.RequestTime, e.ResponseTime)
	d := noDirectives
	if t.o.cacheControl {
		d = t.o.responseDirectives(e.Header)
	}
	lifetime, never := t.o.lifetime(e, expiry, d)
	// s-maxage carries proxy-revalidate for a shared cache (RFC 9111
	// 5.2.2.10).
	e.MustRevalidate = d.mustRevalidate || d.noCache || (t.o.shared && (d.proxyRevalidate || d.sMaxAge >= 0))
	e.Immutable = d.immutable
	e.StaleIfError = max(d.staleIfError, 0)
	e.StaleWhileRevalidate = max(d.staleRevalidate, 0)
	e.NoCacheFields = d.noCacheFields
	if t.o.shared {
		for _, k := range d.privateFields {
			delete(e.Header, k) // RFC 9111 5.2.2.7
		}
	}
	if never {
		e.Expires, e.Until = time.Time{}, time.Time{}
		return true
	}
	e.Expires = e.ResponseTime.Add(max(lifetime, 0))
	window := t.o.staleWindow(e)
	if lifetime <= 0 && window <= 0 && !e.hasValidator() {
		return false
	}
	e.Until = storeUntil(e.Expires, window, t.o.keepStale)
	return true
}

// lifetime returns e's freshness lifetime less its initial age, or never
// (no limit): from the response headers (RFC 9111 4.2.1), else the
// configured expiry, else heuristically (4.2.2); no-cache makes it 0
// (5.2.2.4).
func (o *options) lifetime(e *Response, expiry Expiry, d directives) (lifetime time.Duration, never bool) {
	decided := false
	if o.cacheControl {
		lifetime, decided = explicitLifetime(e.Header, d, o.shared, e.ResponseTime)
		if decided {
			lifetime -= e.InitialAge
		}
	}
	switch {
	case decided:
	case expiry.IsSet():
		var limited bool
		lifetime, limited = expiry.lifetime(e.ResponseTime)
		never = !limited
	case !o.cacheControl:
		never = true
	default:
		if h, ok := heuristicLifetime(e.Header, e.StatusCode, d, e.ResponseTime); ok {
			lifetime = h - e.InitialAge
		}
	}
	if o.cacheControl && d.noCache {
		never, lifetime = false, 0
	}
	return lifetime, never
}

// staleWindow returns how long after it is stale e may still be served
// without revalidation: its stale-if-error and stale-while-revalidate
// (RFC 5861), and the configured ones unless e must be revalidated.
func (o *options) staleWindow(e *Response) time.Duration {
	window := max(e.StaleIfError, e.StaleWhileRevalidate)
	if !e.MustRevalidate {
		window = max(window, o.staleIfError, o.staleRevalidate)
	}
	return window
}

// storeUntil returns when an entry stale at expires, servable stale for
// window after that, leaves the store: once the window and keep (the
// time it is kept to be revalidated, WithKeepStale) are both over. A
// keep < 0 keeps it until DeleteExpired: zero time, no store TTL.
func storeUntil(expires time.Time, window, keep time.Duration) time.Time {
	if keep < 0 {
		return time.Time{}
	}
	return expires.Add(max(window, keep))
}

// updates reports whether a 304 with header received may update the
// stored response with header stored (RFC 9111 4.3.4): not when it
// carries an entity tag other than the stored one (a strong one compared
// strongly, a weak one weakly), nor, without an entity tag, when its
// Last-Modified differs from the stored one (the weak validator it
// carries then corresponds to no stored response). A 304 without either
// is taken to confirm the response whose validators were sent: RFC 9110
// 15.4.5 does not require a 304 to repeat Last-Modified.
func updates(stored, received http.Header) bool {
	tag := received.Get("Etag")
	if tag == "" {
		lm, have := received.Get("Last-Modified"), stored.Get("Last-Modified")
		return lm == "" || have == "" || sameDate(lm, have)
	}
	have := stored.Get("Etag")
	if strings.HasPrefix(tag, "W/") {
		return strings.TrimPrefix(have, "W/") == strings.TrimPrefix(tag, "W/")
	}
	return have == tag
}

// sameDate reports whether two Last-Modified values name the same
// instant: compared as HTTP-dates, or as text when either is not one.
// Both are read against one reference time, so an RFC 850 date's
// two-digit year lands in the same century for both.
func sameDate(a, b string) bool {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	ta, okA := parseHTTPDate(a, ref)
	tb, okB := parseHTTPDate(b, ref)
	if !okA || !okB {
		return a == b
	}
	return ta.Equal(tb)
}
