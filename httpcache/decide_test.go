package httpcache

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// entry is a stored response received age ago that is fresh for
// lifetime (negative: stale by that much), with header h.
func entry(age, lifetime time.Duration, h http.Header, edit ...func(*Response)) *Response {
	if h == nil {
		h = http.Header{}
	}
	e := &Response{Version: FormatVersion, StatusCode: 200, Header: h, ResponseTime: t0.Add(-age), Expires: t0.Add(lifetime)}
	for _, f := range edit {
		f(e)
	}
	return e
}

// req is the lookup of a GET with request header h and control c.
func req(h http.Header, c control) *lookup {
	if h == nil {
		h = http.Header{}
	}
	r := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "http", Host: "example.test", Path: "/"}, Header: h}
	lk := &lookup{req: r, ctl: c, dir: noDirectives, conditional: conditional(h)}
	lk.rng, lk.hasRange = requestRange(r)
	if len(h["Cache-Control"]) > 0 || len(h["Pragma"]) > 0 {
		lk.dir = parseDirectives(h)
	}
	return lk
}

func cc(v string) http.Header { return http.Header{"Cache-Control": {v}} }

func mustRevalidate(e *Response) { e.MustRevalidate = true }

// TestDecide checks the decision, case by case, against the section of
// RFC 9111 (or RFC 5861, or the Transport's own contract) each row names.
func TestDecide(t *testing.T) {
	fresh := entry(10*time.Second, time.Minute, http.Header{"Etag": {`"a"`}})
	stale := entry(70*time.Second, -10*time.Second, http.Header{"Etag": {`"a"`}})
	swr := entry(70*time.Second, -10*time.Second, nil, func(e *Response) { e.StaleWhileRevalidate = 30 * time.Second })
	rows := []struct {
		rfc   string // the section the row checks
		name  string
		lk    *lookup
		s     stored
		p     policy
		want  action
		entry *Response // the entry the action applies to
	}{
		{"RFC 9111 4.2", "fresh response is served", req(nil, control{}), stored{entry: fresh}, policy{}, actHit, fresh},
		{"RFC 9111 4.2", "stale response is revalidated", req(nil, control{}), stored{entry: stale}, policy{}, actFetch, stale},
		{"RFC 9111 4.2", "never-expiring response is served", req(nil, control{}), stored{entry: entry(time.Hour, 0, nil, func(e *Response) { e.Expires = time.Time{} })}, policy{}, actHit, nil},
		{"RFC 9111 4", "nothing stored: fetch", req(nil, control{}), stored{}, policy{}, actFetch, nil},
		{"RFC 9111 5.2.1.1", "request max-age below the age", req(cc("max-age=5"), control{}), stored{entry: fresh}, policy{}, actFetch, fresh},
		{"RFC 9111 5.2.1.1", "request max-age above the age", req(cc("max-age=30"), control{}), stored{entry: fresh}, policy{}, actHit, fresh},
		{"RFC 9111 5.2.1.3", "min-fresh beyond the freshness left", req(cc("min-fresh=120"), control{}), stored{entry: fresh}, policy{}, actFetch, fresh},
		{"RFC 9111 5.2.1.3", "min-fresh within the freshness left", req(cc("min-fresh=30"), control{}), stored{entry: fresh}, policy{}, actHit, fresh},
		{"RFC 9111 5.2.1.2", "max-stale with a value covering the staleness", req(cc("max-stale=30"), control{}), stored{entry: stale}, policy{}, actStale, stale},
		{"RFC 9111 5.2.1.2", "max-stale with a value short of the staleness", req(cc("max-stale=5"), control{}), stored{entry: stale}, policy{}, actFetch, stale},
		{"RFC 9111 5.2.1.2", "max-stale without a value", req(cc("max-stale"), control{}), stored{entry: stale}, policy{}, actStale, stale},
		{"RFC 9111 5.2.2.2", "must-revalidate ignores max-stale", req(cc("max-stale"), control{}), stored{entry: entry(70*time.Second, -10*time.Second, nil, mustRevalidate)}, policy{}, actFetch, nil},
		{"RFC 9111 5.2.1.4", "request no-cache revalidates a fresh response", req(cc("no-cache"), control{}), stored{entry: fresh}, policy{}, actFetch, fresh},
		{"RFC 9111 5.4", "request Pragma: no-cache revalidates", req(http.Header{"Pragma": {"no-cache"}}, control{}), stored{entry: fresh}, policy{}, actFetch, fresh},
		{"RFC 9111 5.2.1.7", "only-if-cached with nothing stored: 504", req(cc("only-if-cached"), control{}), stored{}, policy{}, actGatewayTimeout, nil},
		{"RFC 9111 5.2.1.7", "only-if-cached with a fresh response", req(cc("only-if-cached"), control{}), stored{entry: fresh}, policy{}, actHit, fresh},
		{"RFC 9111 5.2.1.7", "only-if-cached with a stale response: 504", req(cc("only-if-cached"), control{}), stored{entry: stale}, policy{}, actGatewayTimeout, nil},
		{"RFC 9111 5.2.1.7", "only-if-cached, max-stale with a stale response", req(cc("only-if-cached, max-stale"), control{}), stored{entry: stale}, policy{}, actStale, stale},
		{"RFC 5861 3", "stale-while-revalidate within its window", req(nil, control{}), stored{entry: swr}, policy{}, actStaleRevalidate, swr},
		{"RFC 5861 3", "stale-while-revalidate past its window", req(nil, control{}), stored{entry: entry(time.Hour, -time.Minute, nil, func(e *Response) { e.StaleWhileRevalidate = 30 * time.Second })}, policy{}, actFetch, nil},
		{"RFC 5861 3", "WithStaleWhileRevalidate window", req(nil, control{}), stored{entry: stale}, policy{staleRevalidate: time.Minute}, actStaleRevalidate, stale},
		{"RFC 9111 5.2.2.2", "must-revalidate gets no configured stale-while-revalidate", req(nil, control{}), stored{entry: entry(70*time.Second, -10*time.Second, nil, mustRevalidate)}, policy{staleRevalidate: time.Minute}, actFetch, nil},
		{"RFC 5861 3", "request no-cache overrides stale-while-revalidate", req(cc("no-cache"), control{}), stored{entry: swr}, policy{}, actFetch, swr},
		{"RFC 9111 4.3.2", "conditional request, validator matches a fresh response: 304", req(http.Header{"If-None-Match": {`"a"`}}, control{}), stored{entry: fresh}, policy{}, actNotModified, fresh},
		{"RFC 9111 4.3.2", "conditional request, weak comparison matches", req(http.Header{"If-None-Match": {`W/"b", W/"a"`}}, control{}), stored{entry: fresh}, policy{}, actNotModified, fresh},
		{"RFC 9111 4.3.2", "conditional request, validator does not match: full response", req(http.Header{"If-None-Match": {`"z"`}}, control{}), stored{entry: fresh}, policy{}, actHit, fresh},
		{"RFC 9111 4.3.2", "conditional request, If-Modified-Since after Last-Modified: 304", req(http.Header{"If-Modified-Since": {t0.Format(http.TimeFormat)}}, control{}), stored{entry: entry(0, time.Minute, http.Header{"Last-Modified": {t0.Add(-time.Hour).Format(http.TimeFormat)}})}, policy{}, actNotModified, nil},
		{"RFC 9111 4.3.2", "conditional request, nothing stored: forwarded", req(http.Header{"If-None-Match": {`"a"`}}, control{}), stored{}, policy{}, actBypass, nil},
		{"RFC 9111 4.3.2", "conditional request, stored response stale: forwarded", req(http.Header{"If-None-Match": {`"a"`}}, control{}), stored{entry: stale}, policy{}, actBypass, nil},
		{"RFC 9111 4.3.2", "conditional request with no-cache: forwarded", req(http.Header{"If-None-Match": {`"a"`}, "Cache-Control": {"no-cache"}}, control{}), stored{entry: fresh}, policy{}, actBypass, nil},
		{"Refresh", "Refresh revalidates a fresh response", req(nil, control{refresh: true}), stored{entry: fresh}, policy{}, actFetch, fresh},
		{"RFC 8246 2", "Refresh serves a fresh immutable response", req(nil, control{refresh: true}), stored{entry: entry(0, time.Minute, nil, func(e *Response) { e.Immutable = true })}, policy{}, actHit, nil},
		{"ForceRefresh", "ForceRefresh ignores what is stored", req(nil, control{forceRefresh: true}), stored{entry: fresh}, policy{}, actFetch, nil},
		{"OnlyIfCached", "OnlyIfCached serves a stale response", req(nil, control{onlyIfCached: true}), stored{entry: stale}, policy{}, actStale, stale},
		{"OnlyIfCached", "OnlyIfCached with nothing stored: 504", req(nil, control{onlyIfCached: true}), stored{}, policy{}, actGatewayTimeout, nil},
		{"redirect aliases", "alias to a fresh response", req(nil, control{}), stored{aliased: fresh}, policy{}, actAliasHit, fresh},
		{"redirect aliases", "alias to a stale response: fetch", req(nil, control{}), stored{aliased: stale}, policy{}, actFetch, nil},
		{"redirect aliases", "alias with request no-cache: fetch", req(cc("no-cache"), control{}), stored{aliased: fresh}, policy{}, actFetch, nil},
		{"redirect aliases", "OnlyIfCached follows an alias to a stale response", req(nil, control{onlyIfCached: true}), stored{aliased: stale}, policy{}, actAliasHit, stale},
	}
	for _, r := range rows {
		t.Run(r.rfc+"/"+r.name, func(t *testing.T) {
			d := decide(r.lk, r.s, r.p, t0)
			if d.act != r.want {
				t.Fatalf("%s: decide = %v (%s), want %v", r.rfc, d.act, d.why, r.want)
			}
			if r.entry != nil && d.entry != r.entry {
				t.Errorf("%s: the decision applies to another entry", r.rfc)
			}
			if d.why == "" {
				t.Error("the decision names no rule")
			}
		})
	}
}

// TestDecideAnswer checks what is done with the origin's answer.
func TestDecideAnswer(t *testing.T) {
	stale := entry(70*time.Second, -10*time.Second, nil)
	sie := entry(70*time.Second, -10*time.Second, nil, func(e *Response) { e.StaleIfError = time.Minute })
	sieMR := entry(70*time.Second, -10*time.Second, nil, mustRevalidate)
	rows := []struct {
		rfc, name   string
		lk          *lookup
		stale       *Response
		conditional bool
		failed      bool
		status      int
		configured  time.Duration // WithStaleIfError
		want        answer
	}{
		{"RFC 9111 4.3.3", "304 to a revalidation refreshes the entry", req(nil, control{}), stale, true, false, 304, 0, ansMerge},
		{"RFC 9111 4.3.3", "304 to an unconditional request is passed on", req(nil, control{}), nil, false, false, 304, 0, ansPass},
		{"RFC 9111 4.3.3", "200 to a revalidation replaces the entry", req(nil, control{}), stale, true, false, 200, 0, ansPass},
		{"RFC 5861 4", "stale-if-error on a transport error", req(nil, control{}), sie, true, true, 0, 0, ansStaleOnError},
		{"RFC 5861 4", "stale-if-error on a 503", req(nil, control{}), sie, true, false, 503, 0, ansStaleOnError},
		{"RFC 5861 4", "stale-if-error does not cover a 404", req(nil, control{}), sie, true, false, 404, 0, ansPass},
		{"RFC 5861 4", "request stale-if-error", req(cc("stale-if-error=60"), control{}), stale, true, false, 500, 0, ansStaleOnError},
		{"RFC 5861 4", "WithStaleIfError", req(nil, control{}), stale, true, false, 502, time.Minute, ansStaleOnError},
		{"RFC 9111 4.2.4", "must-revalidate gets no configured stale-if-error", req(nil, control{}), sieMR, true, false, 504, time.Minute, ansPass},
		{"RFC 9111 4.2.4", "no stale-if-error: the transport error is returned", req(nil, control{}), stale, true, true, 0, 0, ansError},
		{"RFC 9111 4", "nothing stored: the transport error is returned", req(nil, control{}), nil, false, true, 0, time.Minute, ansError},
	}
	for _, r := range rows {
		t.Run(r.rfc+"/"+r.name, func(t *testing.T) {
			if got := decideAnswer(r.lk, r.stale, r.conditional, r.failed, r.status, r.configured, t0); got != r.want {
				t.Errorf("%s: decideAnswer = %d, want %d", r.rfc, got, r.want)
			}
		})
	}
}

// TestStorable checks the response directives that forbid storing.
func TestStorable(t *testing.T) {
	rows := []struct {
		rfc, cc            string
		shared, authorized bool
		want               bool
	}{
		{"RFC 9111 5.2.2.5", "no-store", false, false, false},
		{"RFC 9111 5.2.2.5", "no-store, max-age=60", true, false, false},
		{"RFC 9111 5.2.2.7", "private", false, false, true},
		{"RFC 9111 5.2.2.7", "private", true, false, false},
		{"RFC 9111 3.5", "max-age=60", true, true, false},
		{"RFC 9111 3.5", "public", true, true, true},
		{"RFC 9111 3.5", "s-maxage=60", true, true, true},
		{"RFC 9111 3.5", "must-revalidate", true, true, true},
		{"RFC 9111 3.5", "max-age=60", false, true, true},
		{"RFC 9111 3", "max-age=60", true, false, true},
	}
	for _, r := range rows {
		h := http.Header{"Cache-Control": {r.cc}}
		if got := storable(parseDirectives(h), r.shared, r.authorized); got != r.want {
			t.Errorf("%s: storable(%q, shared=%v, authorized=%v) = %v, want %v", r.rfc, r.cc, r.shared, r.authorized, got, r.want)
		}
	}
}

// TestLifetime checks the freshness lifetime of a response received at
// t0, by its source.
func TestLifetime(t *testing.T) {
	date := t0.Format(http.TimeFormat)
	rows := []struct {
		rfc, name    string
		header       http.Header
		shared, off  bool // WithShared, WithCacheControl(false)
		expiry       Expiry
		want         time.Duration
		wantNever    bool
		initialAgeOf time.Duration
	}{
		{"RFC 9111 4.2.1", "max-age", cc("max-age=60"), false, false, Expiry{}, time.Minute, false, 0},
		{"RFC 9111 5.2.2.10", "s-maxage in a shared cache", cc("max-age=60, s-maxage=120"), true, false, Expiry{}, 2 * time.Minute, false, 0},
		{"RFC 9111 5.2.2.10", "s-maxage ignored by a private cache", cc("max-age=60, s-maxage=120"), false, false, Expiry{}, time.Minute, false, 0},
		{"RFC 9111 4.2.1", "Expires minus Date", http.Header{"Date": {date}, "Expires": {t0.Add(time.Hour).Format(http.TimeFormat)}}, false, false, Expiry{}, time.Hour, false, 0},
		{"RFC 9111 5.3", "invalid Expires is already expired", http.Header{"Expires": {"0"}}, false, false, After(time.Hour), 0, false, 0},
		{"RFC 9111 4.2.1", "max-age wins over Expires", http.Header{"Cache-Control": {"max-age=60"}, "Date": {date}, "Expires": {t0.Add(time.Hour).Format(http.TimeFormat)}}, false, false, Expiry{}, time.Minute, false, 0},
		{"RFC 9111 4.2.3", "max-age less the Age received", http.Header{"Cache-Control": {"max-age=60"}, "Age": {"20"}}, false, false, Expiry{}, 40 * time.Second, false, 20 * time.Second},
		{"RFC 9111 4.2.2", "heuristic: 10% of the time since Last-Modified", http.Header{"Date": {date}, "Last-Modified": {t0.Add(-10 * time.Hour).Format(http.TimeFormat)}}, false, false, Expiry{}, time.Hour, false, 0},
		{"RFC 9111 4.2.2", "heuristic capped at MaxHeuristicLifetime", http.Header{"Date": {date}, "Last-Modified": {t0.Add(-100 * 24 * time.Hour).Format(http.TimeFormat)}}, false, false, Expiry{}, MaxHeuristicLifetime, false, 0},
		{"RFC 9111 4.2.2", "no heuristic without Last-Modified", http.Header{}, false, false, Expiry{}, 0, false, 0},
		{"configured expiry", "configured expiry when the headers set none", http.Header{}, false, false, After(time.Hour), time.Hour, false, 0},
		{"configured expiry", "headers win over the configured expiry", cc("max-age=60"), false, false, After(time.Hour), time.Minute, false, 0},
		{"configured expiry", "Never", http.Header{}, false, false, Never(), 0, true, 0},
		{"RFC 9111 5.2.2.4", "no-cache: stale at once", cc("no-cache, max-age=60"), false, false, Expiry{}, 0, false, 0},
		{"WithCacheControl(false)", "headers ignored, no expiry: never", cc("max-age=60"), false, true, Expiry{}, 0, true, 0},
		{"WithCacheControl(false)", "headers ignored, configured expiry", cc("max-age=60"), false, true, After(time.Hour), time.Hour, false, 0},
	}
	for _, r := range rows {
		t.Run(r.rfc+"/"+r.name, func(t *testing.T) {
			o := defaultOptions()
			o.shared, o.cacheControl = r.shared, !r.off
			e := &Response{StatusCode: 200, Header: r.header, RequestTime: t0, ResponseTime: t0}
			e.InitialAge = initialAge(r.header, t0, t0)
			d := noDirectives
			if o.cacheControl {
				d = parseDirectives(r.header)
			}
			lifetime, never := o.lifetime(e, r.expiry, d)
			if diff := cmp.Diff([]any{r.want, r.wantNever, r.initialAgeOf}, []any{lifetime, never, e.InitialAge}); diff != "" {
				t.Errorf("%s: lifetime, never, initial age (-want +got):\n%s", r.rfc, diff)
			}
		})
	}
}

// TestStoreUntil checks the store TTL every entry is written with.
func TestStoreUntil(t *testing.T) {
	rows := []struct {
		name         string
		window, keep time.Duration
		want         time.Time
	}{
		{"keep window (WithKeepStale)", 0, DefaultKeepStale, t0.Add(DefaultKeepStale)},
		{"RFC 5861 stale window longer than the keep window", 48 * time.Hour, DefaultKeepStale, t0.Add(48 * time.Hour)},
		{"keep 0: leaves when it can no longer be served", time.Minute, 0, t0.Add(time.Minute)},
		{"keep < 0: no store TTL", time.Minute, -1, time.Time{}},
	}
	for _, r := range rows {
		if got := storeUntil(t0, r.window, r.keep); !got.Equal(r.want) {
			t.Errorf("%s: storeUntil = %v, want %v", r.name, got, r.want)
		}
	}
}

// TestInvalidated checks what an unsafe request invalidates (RFC 9111
// 4.4).
func TestInvalidated(t *testing.T) {
	target, _ := url.Parse("https://example.test/items/1")
	rows := []struct {
		name   string
		header http.Header
		want   []string
	}{
		{"the target URI", http.Header{}, []string{"https://example.test/items/1"}},
		{"same-origin Location and Content-Location", http.Header{"Location": {"/items/2"}, "Content-Location": {"https://example.test/items/1?v=2"}}, []string{"https://example.test/items/1", "https://example.test/items/2", "https://example.test/items/1?v=2"}},
		{"another origin's Location is left alone", http.Header{"Location": {"https://elsewhere.test/items/2"}}, []string{"https://example.test/items/1"}},
	}
	for _, r := range rows {
		var got []string
		for _, u := range invalidated(target, r.header) {
			got = append(got, u.String())
		}
		if diff := cmp.Diff(r.want, got); diff != "" {
			t.Errorf("RFC 9111 4.4: %s (-want +got):\n%s", r.name, diff)
		}
	}
}

// TestBypassRequest checks the requests that go to the origin untouched.
func TestBypassRequest(t *testing.T) {
	rows := []struct {
		rfc, name string
		header    http.Header
		ctl       control
		allowed   bool
		want      bool
	}{
		{"RFC 9111 5.2.1.5", "request no-store", cc("no-store"), control{}, true, true},
		{"RFC 9111 3.4", "one byte range is looked up", http.Header{"Range": {"bytes=0-9"}}, control{}, true, false},
		{"RFC 9111 3.4", "several ranges are forwarded", http.Header{"Range": {"bytes=0-1,5-9"}}, control{}, true, true},
		{"RFC 9110 14.1", "a range of another unit is forwarded", http.Header{"Range": {"items=0-9"}}, control{}, true, true},
		{"RFC 9110 13.1.5", "If-Range without Range is forwarded", http.Header{"If-Range": {`"a"`}}, control{}, true, true},
		{"RFC 9110 13.1.5", "If-Range with one byte range is looked up", http.Header{"Range": {"bytes=0-9"}, "If-Range": {`"a"`}}, control{}, true, false},
		{"RFC 9110 13.2.1", "If-Match", http.Header{"If-Match": {`"a"`}}, control{}, true, true},
		{"RFC 9110 13.2.1", "If-Unmodified-Since", http.Header{"If-Unmodified-Since": {t0.Format(http.TimeFormat)}}, control{}, true, true},
		{"WithAllowedMethods", "method not cached", nil, control{}, false, true},
		{"Disable", "cache disabled for the request", nil, control{disable: true}, true, true},
		{"RFC 9111 4", "plain GET", nil, control{}, true, false},
		{"RFC 9111 4.3.2", "conditional GET is looked up", http.Header{"If-None-Match": {`"a"`}}, control{}, true, false},
	}
	for _, r := range rows {
		if got := bypassRequest(req(r.header, r.ctl), r.allowed); got != r.want {
			t.Errorf("%s: %s: bypass = %v, want %v", r.rfc, r.name, got, r.want)
		}
	}
}

// TestParseDirectives checks the parsing of Cache-Control.
func TestParseDirectives(t *testing.T) {
	rows := []struct {
		rfc, cc string
		check   func(directives) bool
	}{
		{"RFC 9111 1.2.2", "max-age=abc", func(d directives) bool { return d.maxAge == 0 }},
		{"RFC 9111 1.2.2", "max-age=99999999999999", func(d directives) bool { return d.maxAge == (1<<31)*time.Second }},
		{"RFC 9111 5.2", `MAX-AGE="60"`, func(d directives) bool { return d.maxAge == time.Minute }},
		{"RFC 9111 5.2.3", "community=UCI, max-age=5", func(d directives) bool { return d.maxAge == 5*time.Second }},
		{"RFC 9111 5.2.2.4", `no-cache="Set-Cookie"`, func(d directives) bool {
			return !d.noCache && len(d.noCacheFields) == 1 && d.noCacheFields[0] == "Set-Cookie"
		}},
		{"RFC 9111 5.2.2.8", "proxy-revalidate", func(d directives) bool { return d.proxyRevalidate }},
		{"RFC 5861 3", "stale-while-revalidate=30", func(d directives) bool { return d.staleRevalidate == 30*time.Second }},
		{"RFC 5861 4", "stale-if-error=60", func(d directives) bool { return d.staleIfError == time.Minute }},
		{"RFC 8246 2", "immutable", func(d directives) bool { return d.immutable }},
	}
	for _, r := range rows {
		if d := parseDirectives(cc(r.cc)); !r.check(d) {
			t.Errorf("%s: parseDirectives(%q) = %+v", r.rfc, r.cc, d)
		}
	}
}
