package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// action is what the Transport does with a request once it knows what is
// stored for it.
type action uint8

const (
	// actFetch: ask the origin (conditionally when the decision's entry
	// has validators), and store the answer when it may be.
	actFetch action = iota
	// actBypass: forward the request as it is, and store nothing.
	actBypass
	// actHit: serve the entry, fresh enough for the request.
	actHit
	// actStale: serve the entry, stale, which the request accepts.
	actStale
	// actStaleRevalidate: serve the stale entry and revalidate it in the
	// background.
	actStaleRevalidate
	// actNotModified: answer the caller's conditional request with 304.
	actNotModified
	// actAliasHit: serve the entry a redirect alias leads to.
	actAliasHit
	// actGatewayTimeout: answer 504, as the request forbids contacting
	// the origin and nothing usable is stored.
	actGatewayTimeout
)

var actionNames = [...]string{"fetch", "bypass", "hit", "stale", "stale-while-revalidate", "not-modified", "alias-hit", "gateway-timeout"}

func (a action) String() string { return actionNames[a] }

// decision is the action for a request, the entry it applies to (for
// actFetch the stale entry to revalidate, or nil), and the rule that
// chose it, for tests and logs.
type decision struct {
	act   action
	entry *Response
	why   string
}

// policy is what the decision needs of the Transport's options.
type policy struct {
	staleRevalidate time.Duration // WithStaleWhileRevalidate
}

// decide chooses what to do with the request lk given what is stored for
// it, at now. It is pure: no I/O, no clock; everything it needs is
// passed in.
func decide(lk *lookup, s stored, p policy, now time.Time) decision {
	switch {
	case lk.ctl.forceRefresh:
		return decision{act: actFetch, why: "force refresh"}
	case lk.conditional:
		return decideConditional(lk, s.entry, now)
	case s.entry != nil:
		return decideStored(lk, s.entry, p, now)
	case s.aliased != nil && aliasUsable(lk, s.aliased, now):
		return decision{act: actAliasHit, entry: s.aliased, why: "redirect alias to a fresh response"}
	case lk.ctl.onlyIfCached || lk.dir.onlyIfCached:
		return decision{act: actGatewayTimeout, why: "only-if-cached, nothing stored (RFC 9111 5.2.1.7)"}
	}
	return decision{act: actFetch, why: "nothing stored"}
}

// aliasUsable reports whether the response e a redirect alias leads to
// may be served to lk's request: fresh for it, or under OnlyIfCached
// unless e is stale and must be revalidated (RFC 9111 5.2.2.2).
func aliasUsable(lk *lookup, e *Response, now time.Time) bool {
	if lk.ctl.onlyIfCached {
		return !e.MustRevalidate || e.fresh(now)
	}
	return !lk.dir.noCache && !lk.ctl.refresh && freshFor(e, lk.dir, now)
}

// decideConditional answers the caller's own conditional request from a
// fresh stored response, or forwards it as it is (RFC 9111 4.3.2).
func decideConditional(lk *lookup, e *Response, now time.Time) decision {
	usable := e != nil && !lk.dir.noCache && !lk.ctl.refresh && freshFor(e, lk.dir, now)
	switch {
	case !usable && (lk.ctl.onlyIfCached || lk.dir.onlyIfCached):
		// Forwarding would contact the origin, which the request
		// forbids (RFC 9111 5.2.1.7).
		return decision{act: actGatewayTimeout, why: "conditional, only-if-cached, nothing fresh enough stored (RFC 9111 5.2.1.7)"}
	case e == nil:
		return decision{act: actBypass, why: "conditional, nothing stored"}
	case !usable:
		return decision{act: actBypass, why: "conditional, nothing fresh enough stored"}
	case notModified(lk.req, e):
		return decision{act: actNotModified, entry: e, why: "conditional, validator matches"}
	}
	return decision{act: actHit, entry: e, why: "conditional, validator does not match"}
}

// decideStored chooses among serving e (fresh, or stale when something
// allows it), revalidating it, and 504.
func decideStored(lk *lookup, e *Response, p policy, now time.Time) decision {
	noCache := lk.dir.noCache || (lk.ctl.refresh && !(e.Immutable && e.fresh(now)))
	switch {
	case !noCache && freshFor(e, lk.dir, now):
		return decision{act: actHit, entry: e, why: "fresh (RFC 9111 4.2)"}
	case lk.ctl.onlyIfCached:
		return decideOffline(e, now)
	case !noCache && staleForRequest(e, lk.dir, now):
		return decision{act: actStale, entry: e, why: "max-stale (RFC 9111 5.2.1.2)"}
	case !noCache && staleWhileRevalidate(e, p.staleRevalidate, now):
		return decision{act: actStaleRevalidate, entry: e, why: "stale-while-revalidate (RFC 5861 3)"}
	case lk.dir.onlyIfCached:
		return decision{act: actGatewayTimeout, why: "only-if-cached, stored response not usable (RFC 9111 5.2.1.7)"}
	}
	return decision{act: actFetch, entry: e, why: "stale or no-cache: revalidate (RFC 9111 4.3.1)"}
}

// decideOffline serves e to a request that may not reach the origin
// (OnlyIfCached): fresh, or stale unless it must be revalidated, which
// a cache that cannot revalidate answers with 504 (RFC 9111 5.2.2.2,
// 4.2.4).
func decideOffline(e *Response, now time.Time) decision {
	switch {
	case e.fresh(now):
		return decision{act: actHit, entry: e, why: "OnlyIfCached, fresh"}
	case e.MustRevalidate:
		return decision{act: actGatewayTimeout, why: "OnlyIfCached, stale and must-revalidate: 504 (RFC 9111 5.2.2.2)"}
	}
	return decision{act: actStale, entry: e, why: "OnlyIfCached, stale"}
}

// freshFor reports whether e may be served without contacting the origin
// under the request directives d (RFC 9111 4.2, 5.2.1.1, 5.2.1.3).
func freshFor(e *Response, d directives, now time.Time) bool {
	if !e.fresh(now) {
		return false
	}
	if d.maxAge >= 0 && e.age(now) > d.maxAge {
		return false
	}
	if d.minFresh >= 0 && !e.Expires.IsZero() && e.Expires.Sub(now) < d.minFresh {
		return false
	}
	return true
}

// staleForRequest reports whether the request's max-stale accepts stale e
// (RFC 9111 5.2.1.2); must-revalidate forbids it (5.2.2.2).
func staleForRequest(e *Response, d directives, now time.Time) bool {
	if e.MustRevalidate || (!d.maxStaleAny && d.maxStale < 0) {
		return false
	}
	if d.maxAge >= 0 && e.age(now) > d.maxAge {
		return false
	}
	return d.maxStaleAny || e.staleFor(now) <= d.maxStale
}

// staleWhileRevalidate reports whether stale e may be served while it is
// revalidated in the background (RFC 5861 3); configured is
// WithStaleWhileRevalidate's window, which must-revalidate responses do
// not get.
func staleWhileRevalidate(e *Response, configured time.Duration, now time.Time) bool {
	window := e.StaleWhileRevalidate
	if !e.MustRevalidate {
		window = max(window, configured)
	}
	return window > 0 && e.staleFor(now) <= window
}

// staleIfError reports whether stale e may be served when the origin fails
// (RFC 5861 4): the response's stale-if-error, and the request's and
// configured (WithStaleIfError) unless e must be revalidated: neither
// the client nor the configuration may overrule the origin's
// must-revalidate (RFC 9111 5.2.2.2, 4.2.4), as max-stale may not.
func staleIfError(e *Response, d directives, configured time.Duration, now time.Time) bool {
	window := e.StaleIfError
	if !e.MustRevalidate {
		window = max(window, d.staleIfError, configured)
	}
	return window > 0 && e.staleFor(now) <= window
}

// notModified evaluates the caller's If-None-Match, or else
// If-Modified-Since, against a stored response (RFC 9110 13.1.2, 13.1.3).
func notModified(req *http.Request, e *Response) bool {
	if inm := req.Header.Values("If-None-Match"); len(inm) > 0 {
		return etagMatches(inm, strings.TrimPrefix(e.Header.Get("ETag"), "W/"))
	}
	ims, err := http.ParseTime(req.Header.Get("If-Modified-Since"))
	if err != nil {
		return false
	}
	lm, ok := modifiedAt(e)
	return ok && !lm.After(ims)
}

// modifiedAt is the time If-Modified-Since is compared with for a
// stored response: its Last-Modified; without one, its Date; without
// that, when it was received (RFC 9111 4.3.2).
func modifiedAt(e *Response) (time.Time, bool) {
	for _, name := range []string{"Last-Modified", "Date"} {
		if v := e.Header.Get(name); v != "" {
			t, err := http.ParseTime(v)
			return t, err == nil
		}
	}
	return e.ResponseTime, !e.ResponseTime.IsZero()
}

// etagMatches reports whether an If-None-Match list names etag (weak
// comparison) or is "*".
func etagMatches(inm []string, etag string) bool {
	for _, v := range inm {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || (etag != "" && strings.TrimPrefix(tag, "W/") == etag) {
				return true
			}
		}
	}
	return false
}

// answer is what the Transport does with the origin's answer to a fetch.
type answer uint8

const (
	// ansPass: pass the answer on, storing it when it may be.
	ansPass answer = iota
	// ansError: the origin failed and nothing stale may stand in.
	ansError
	// ansStaleOnError: serve the stale entry instead of the failure.
	ansStaleOnError
	// ansMerge: a 304 to the revalidation: refresh the stale entry.
	ansMerge
	// ansGatewayTimeout: the origin could not be reached to revalidate a
	// stale entry that must be revalidated: answer 504, neither serving
	// the entry nor returning the transport error as when nothing is
	// stored (RFC 9111 5.2.2.2).
	ansGatewayTimeout
)

// decideAnswer chooses what to do with the origin's answer (failed: a
// transport error; else its status) to a fetch that revalidated stale
// (nil when there was none; conditional when validators were sent). It
// is pure.
func decideAnswer(lk *lookup, stale *Response, conditional, failed bool, status int, staleIfErrorWindow time.Duration, now time.Time) answer {
	mayServeStale := stale != nil && staleIfError(stale, lk.dir, staleIfErrorWindow, now)
	switch {
	case failed && mayServeStale:
		return ansStaleOnError
	case failed && stale != nil && stale.MustRevalidate:
		return ansGatewayTimeout
	case failed:
		return ansError
	case conditional && status == http.StatusNotModified:
		return ansMerge
	case isServerError(status) && mayServeStale:
		return ansStaleOnError
	}
	return ansPass
}

// forwardReason says why the request lk, decided d with what is stored
// s at now, goes to the origin (RFC 9211 2.2), or "" when it does not.
// It is pure.
func forwardReason(lk *lookup, s stored, d decision, now time.Time) string {
	e := s.entry
	if e == nil {
		e = s.aliased
	}
	switch {
	case d.act != actFetch && d.act != actBypass:
		return ""
	case lk.ctl.forceRefresh:
		return fwdRequest
	case e == nil && s.varyMiss:
		return fwdVaryMiss
	case e == nil:
		return fwdURIMiss
	case e.fresh(now):
		return fwdRequest
	}
	return fwdStale
}

// isServerError reports the statuses stale-if-error applies to.
func isServerError(code int) bool {
	return code == 500 || code == 502 || code == 503 || code == 504
}
