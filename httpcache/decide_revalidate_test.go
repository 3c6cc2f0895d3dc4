package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// TestDecideMustRevalidate checks the decisions for a stored response
// that must be revalidated once stale (must-revalidate, no-cache, and in
// a shared cache proxy-revalidate and s-maxage: see TestMustRevalidateSet)
// when the origin cannot be asked: such a response is never served stale,
// whatever the client or the configuration allows, and a cache that
// cannot reach the origin answers 504 (RFC 9111 5.2.2.2, 4.2.4).
func TestDecideMustRevalidate(t *testing.T) {
	staleMR := entry(70*time.Second, -10*time.Second, nil, mustRevalidate)
	freshMR := entry(10*time.Second, time.Minute, nil, mustRevalidate)
	offline := control{onlyIfCached: true}
	decisions := []struct {
		rfc, name string
		lk        *lookup
		s         stored
		want      action
	}{
		{"RFC 9111 5.2.2.2", "OnlyIfCached, stale must-revalidate response: 504", req(nil, offline), stored{entry: staleMR}, actGatewayTimeout},
		{"RFC 9111 5.2.2.2", "OnlyIfCached follows no alias to a stale must-revalidate response: 504", req(nil, offline), stored{aliased: staleMR}, actGatewayTimeout},
		{"RFC 9111 5.2.2.2", "OnlyIfCached, fresh must-revalidate response: served", req(nil, offline), stored{entry: freshMR}, actHit},
	}
	for _, r := range decisions {
		if d := decide(r.lk, r.s, policy{}, t0); d.act != r.want {
			t.Errorf("%s: %s: decide = %v (%s), want %v", r.rfc, r.name, d.act, d.why, r.want)
		}
	}
	ownSIE := entry(70*time.Second, -10*time.Second, nil, mustRevalidate, func(e *Response) { e.StaleIfError = time.Minute })
	answers := []struct {
		rfc, name  string
		lk         *lookup
		stale      *Response
		failed     bool
		status     int
		configured time.Duration
		want       answer
	}{
		{"RFC 9111 5.2.2.2", "origin unreachable: 504, not the transport error", req(nil, control{}), staleMR, true, 0, 0, ansGatewayTimeout},
		{"RFC 9111 5.2.2.2", "origin unreachable, WithStaleIfError: 504", req(nil, control{}), staleMR, true, 0, time.Minute, ansGatewayTimeout},
		{"RFC 9111 5.2.2.2", "origin unreachable, request stale-if-error: 504", req(cc("stale-if-error=600"), control{}), staleMR, true, 0, 0, ansGatewayTimeout},
		{"RFC 9111 5.2.2.2", "request stale-if-error does not overrule must-revalidate on a 503", req(cc("stale-if-error=600"), control{}), staleMR, false, 503, 0, ansPass},
		{"RFC 5861 4", "the response's own stale-if-error still applies", req(nil, control{}), ownSIE, true, 0, 0, ansStaleOnError},
	}
	for _, r := range answers {
		if got := decideAnswer(r.lk, r.stale, true, r.failed, r.status, r.configured, t0); got != r.want {
			t.Errorf("%s: %s: decideAnswer = %d, want %d", r.rfc, r.name, got, r.want)
		}
	}
}

// TestDecideConditionalOnlyIfCached: a conditional request that may not
// reach the origin (only-if-cached, OnlyIfCached) and finds nothing fresh
// enough stored is answered 504, not forwarded (RFC 9111 5.2.1.7).
func TestDecideConditionalOnlyIfCached(t *testing.T) {
	stale := entry(70*time.Second, -10*time.Second, http.Header{"Etag": {`"a"`}})
	inm := func(h http.Header) http.Header { h.Set("If-None-Match", `"a"`); return h }
	rows := []struct {
		name string
		lk   *lookup
		s    stored
		want action
	}{
		{"only-if-cached, stale response", req(inm(cc("only-if-cached")), control{}), stored{entry: stale}, actGatewayTimeout},
		{"only-if-cached, nothing stored", req(inm(cc("only-if-cached")), control{}), stored{}, actGatewayTimeout},
		{"OnlyIfCached, nothing stored", req(inm(http.Header{}), control{onlyIfCached: true}), stored{}, actGatewayTimeout},
	}
	for _, r := range rows {
		if d := decide(r.lk, r.s, policy{}, t0); d.act != r.want {
			t.Errorf("RFC 9111 5.2.1.7: %s: decide = %v (%s), want %v", r.name, d.act, d.why, r.want)
		}
	}
}

// TestDecideIfModifiedSinceFallback: a stored response without
// Last-Modified is compared with the caller's If-Modified-Since by its
// Date, and without that by the time it was received (RFC 9111 4.3.2).
func TestDecideIfModifiedSinceFallback(t *testing.T) {
	ims := func(at time.Time) *lookup {
		return req(http.Header{"If-Modified-Since": {at.Format(http.TimeFormat)}}, control{})
	}
	dated := entry(0, time.Minute, http.Header{"Date": {t0.Add(-time.Hour).Format(http.TimeFormat)}})
	undated := entry(time.Hour, time.Minute, nil) // received an hour ago
	rows := []struct {
		name string
		lk   *lookup
		e    *Response
		want action
	}{
		{"Date before If-Modified-Since: 304", ims(t0), dated, actNotModified},
		{"Date after If-Modified-Since: the response", ims(t0.Add(-2 * time.Hour)), dated, actHit},
		{"received before If-Modified-Since: 304", ims(t0), undated, actNotModified},
		{"received after If-Modified-Since: the response", ims(t0.Add(-2 * time.Hour)), undated, actHit},
	}
	for _, r := range rows {
		if d := decide(r.lk, stored{entry: r.e}, policy{}, t0); d.act != r.want {
			t.Errorf("RFC 9111 4.3.2: %s: decide = %v (%s), want %v", r.name, d.act, d.why, r.want)
		}
	}
}
