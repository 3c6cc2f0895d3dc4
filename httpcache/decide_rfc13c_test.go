package httpcache

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseSFDictionary checks the Structured Field Dictionary parser
// (RFC 8941 4.2.2) targeted fields are read with.
func TestParseSFDictionary(t *testing.T) {
	rows := []struct {
		name  string
		lines []string
		want  []sfMember // nil: invalid
	}{
		{"boolean and integer", []string{"max-age=60, no-store"}, []sfMember{{"max-age", sfValue{kind: sfInteger, n: 60}}, {"no-store", sfValue{kind: sfBoolean, b: true}}}},
		{"field lines joined", []string{"max-age=60", "private"}, []sfMember{{"max-age", sfValue{kind: sfInteger, n: 60}}, {"private", sfValue{kind: sfBoolean, b: true}}}},
		{"string and inner list", []string{`no-cache="set-cookie, x-a", private=(x-b "x-c")`}, []sfMember{{"no-cache", sfValue{kind: sfString, s: "set-cookie, x-a"}}, {"private", sfValue{kind: sfInnerList, list: []string{"x-b", "x-c"}}}}},
		{"parameters dropped, ?0, decimal", []string{"a;x=1, b=?0, c=1.5"}, []sfMember{{"a", sfValue{kind: sfBoolean, b: true}}, {"b", sfValue{kind: sfBoolean}}, {"c", sfValue{kind: sfOther}}}},
		{"a repeated key takes the last value", []string{"max-age=60, max-age=5"}, []sfMember{{"max-age", sfValue{kind: sfInteger, n: 5}}}},
		{"upper-case key", []string{"Max-Age=60"}, nil},
		{"trailing comma", []string{"no-store,"}, nil},
		{"members not separated by a comma", []string{"max-age=60 no-store"}, nil},
		{"integer of 16 digits", []string{"max-age=1234567890123456"}, nil},
		{"unterminated string", []string{`no-cache="a`}, nil},
		{"empty value", []string{`max-age=`}, nil},
	}
	for _, r := range rows {
		got, ok := parseSFDictionary(r.lines)
		if ok != (r.want != nil) {
			t.Errorf("RFC 8941 4.2.2: %s: valid = %v, want %v", r.name, ok, r.want != nil)
			continue
		}
		if diff := cmp.Diff(r.want, got, cmp.AllowUnexported(sfMember{}, sfValue{})); ok && diff != "" {
			t.Errorf("RFC 8941 4.2.2: %s (-want +got):\n%s", r.name, diff)
		}
	}
}

// TestResponseRules checks, row by row, what the response headers decide
// for storing (may it be stored) and for freshness (its lifetime), in a
// private or a shared cache.
func TestResponseRules(t *testing.T) {
	date := t0.Format(http.TimeFormat)
	rows := []struct {
		rfc, name string
		code      int
		header    http.Header
		shared    bool
		opts      []Option
		store     bool
		lifetime  time.Duration // checked when stored
	}{
		// Targeted cache control (RFC 9213).
		{"RFC 9213 2.2", "shared: CDN-Cache-Control max-age overrides Cache-Control", 200, http.Header{"Cache-Control": {"max-age=60"}, "Cdn-Cache-Control": {"max-age=600"}}, true, nil, true, 10 * time.Minute},
		{"RFC 9213 2.2", "private: CDN-Cache-Control ignored", 200, http.Header{"Cache-Control": {"max-age=60"}, "Cdn-Cache-Control": {"max-age=600"}}, false, nil, true, time.Minute},
		{"RFC 9213 2.2", "shared: CDN-Cache-Control fresh, Cache-Control no-store: stored", 200, http.Header{"Cache-Control": {"no-store"}, "Cdn-Cache-Control": {"max-age=60"}}, true, nil, true, time.Minute},
		{"RFC 9213 2.2", "private: Cache-Control no-store still applies", 200, http.Header{"Cache-Control": {"no-store"}, "Cdn-Cache-Control": {"max-age=60"}}, false, nil, false, 0},
		{"RFC 9213 2.2", "shared: CDN-Cache-Control no-store", 200, http.Header{"Cache-Control": {"max-age=60"}, "Cdn-Cache-Control": {"no-store"}}, true, nil, false, 0},
		{"RFC 9213 2.2", "shared: CDN-Cache-Control private", 200, http.Header{"Cache-Control": {"public, max-age=60"}, "Cdn-Cache-Control": {"private"}}, true, nil, false, 0},
		{"RFC 9213 2.2", "shared: CDN-Cache-Control no-cache: stale at once", 200, http.Header{"Cache-Control": {"max-age=60"}, "Cdn-Cache-Control": {"no-cache, max-age=60"}}, true, nil, true, 0},
		{"RFC 9213 2.2", "shared: CDN-Cache-Control s-maxage", 200, http.Header{"Cdn-Cache-Control": {"max-age=60, s-maxage=120"}}, true, nil, true, 2 * time.Minute},
		{"RFC 9213 2.2", "shared: Expires ignored with a targeted field", 200, http.Header{"Date": {date}, "Expires": {t0.Add(time.Hour).Format(http.TimeFormat)}, "Cdn-Cache-Control": {"max-age=60"}}, true, nil, true, time.Minute},
		{"RFC 9213 2.1", "shared: invalid CDN-Cache-Control ignored", 200, http.Header{"Cache-Control": {"max-age=60"}, "Cdn-Cache-Control": {"max-age=600,"}}, true, nil, true, time.Minute},
		{"RFC 9213 2.2", "shared: empty CDN-Cache-Control ignored", 200, http.Header{"Cache-Control": {"max-age=60"}, "Cdn-Cache-Control": {""}}, true, nil, true, time.Minute},
		{"RFC 9213 2.1", "shared: a member of the wrong type is ignored", 200, http.Header{"Cache-Control": {"max-age=60"}, "Cdn-Cache-Control": {`max-age="600", public`}}, true, nil, true, 0},
		{"RFC 9213 2.2", "shared: the first targeted field listed wins", 200, http.Header{"Cache-Control": {"no-store"}, "Surrogate-Control": {"max-age=60"}, "Cdn-Cache-Control": {"no-store"}}, true, opts(WithTargetedCacheControl("Surrogate-Control", "CDN-Cache-Control")), true, time.Minute},
		{"RFC 9213 2.2", "shared: an invalid first field falls back to the next", 200, http.Header{"Surrogate-Control": {"MAX-AGE=1"}, "Cdn-Cache-Control": {"max-age=60"}}, true, opts(WithTargetedCacheControl("Surrogate-Control", "CDN-Cache-Control")), true, time.Minute},
		{"WithTargetedCacheControl", "shared: targeting off", 200, http.Header{"Cache-Control": {"no-store"}, "Cdn-Cache-Control": {"max-age=60"}}, true, opts(WithTargetedCacheControl()), false, 0},

		// Status codes (RFC 9111 3, RFC 9110 15.1).
		{"RFC 9110 15.1", "404 heuristically cacheable: Last-Modified alone", 404, lastModified(10 * time.Hour), false, nil, true, time.Hour},
		{"RFC 9110 15.1", "301 heuristically cacheable: Last-Modified alone", 301, lastModified(10 * time.Hour), true, nil, true, time.Hour},
		{"RFC 9110 15.1", "204 heuristically cacheable: Last-Modified alone", 204, lastModified(10 * time.Hour), true, nil, true, time.Hour},
		{"RFC 9110 15.1", "302 is not heuristically cacheable", 302, lastModified(10 * time.Hour), false, nil, false, 0},
		{"RFC 9110 15.1", "500 is not heuristically cacheable", 500, lastModified(10 * time.Hour), true, nil, false, 0},
		{"RFC 9111 3", "500 with max-age", 500, cc("max-age=60"), false, nil, true, time.Minute},
		{"RFC 9111 3", "302 with Expires", 302, http.Header{"Date": {date}, "Expires": {t0.Add(time.Hour).Format(http.TimeFormat)}}, true, nil, true, time.Hour},
		{"RFC 9111 3", "503 with s-maxage in a shared cache", 503, cc("s-maxage=30"), true, nil, true, 30 * time.Second},
		{"RFC 9111 3", "503 with s-maxage in a private cache", 503, cc("s-maxage=30"), false, nil, false, 0},
		{"RFC 9111 3", "403 public", 403, cc("public"), true, nil, true, 0},
		{"RFC 9111 3", "400 private in a private cache", 400, cc("private, max-age=0"), false, nil, true, 0},
		{"RFC 9111 3", "500 no-store with max-age", 500, cc("no-store, max-age=60"), false, nil, false, 0},
		{"RFC 9111 3", "304 is never stored", 304, cc("max-age=60"), false, nil, false, 0},
		{"RFC 6585", "429 (not an RFC 9110 code) is not stored", 429, cc("max-age=60"), true, nil, false, 0},
		{"RFC 9110 15", "an unknown code is not stored", 299, cc("max-age=60"), false, nil, false, 0},
		{"WithAllowedCodes", "restricts: 404 not listed", 404, cc("max-age=60"), false, opts(WithAllowedCodes(200)), false, 0},
		{"WithAllowedCodes", "a listed code is stored as the directives allow", 500, http.Header{}, false, opts(WithAllowedCodes(200, 500)), true, 0},
		{"WithAllowedCodes", "a listed code with no-store", 500, cc("no-store"), false, opts(WithAllowedCodes(500)), false, 0},
		{"WithCacheControl(false)", "200 alone by default", 404, cc("max-age=60"), false, opts(WithCacheControl(false)), false, 0},

		// must-understand (RFC 9111 5.2.2.3).
		{"RFC 9111 5.2.2.3", "must-understand: no-store ignored with an understood code", 200, cc("must-understand, no-store, max-age=60"), false, nil, true, time.Minute},
		{"RFC 9111 5.2.2.3", "shared: must-understand: no-store ignored with an understood code", 500, cc("must-understand, no-store, max-age=60"), true, nil, true, time.Minute},
		{"RFC 9111 5.2.2.3", "must-understand without no-store", 404, cc("must-understand, max-age=60"), true, nil, true, time.Minute},
		{"RFC 9111 3", "must-understand with a code not understood: not stored", 429, cc("must-understand, max-age=60"), false, opts(WithAllowedCodes(200, 429)), false, 0},
		{"RFC 9111 3", "without must-understand a listed code is stored", 429, cc("max-age=60"), false, opts(WithAllowedCodes(200, 429)), true, time.Minute},
		{"RFC 9111 5.2.2.3", "must-understand does not lift private in a shared cache", 200, cc("must-understand, no-store, private, max-age=60"), true, nil, false, 0},
		{"RFC 9213 2.2", "shared: must-understand in CDN-Cache-Control", 200, http.Header{"Cdn-Cache-Control": {"must-understand, no-store, max-age=60"}}, true, nil, true, time.Minute},
	}
	for _, r := range rows {
		t.Run(r.rfc+"/"+r.name, func(t *testing.T) {
			o := defaultOptions()
			for _, opt := range r.opts {
				opt(&o)
			}
			o.shared = r.shared
			if got := o.mayStoreHeaders(r.code, r.header); got != r.store {
				t.Fatalf("%s: stored = %v, want %v", r.rfc, got, r.store)
			}
			if !r.store {
				return
			}
			e := &Response{StatusCode: r.code, Header: r.header, RequestTime: t0, ResponseTime: t0}
			if lifetime, _ := o.lifetime(e, Expiry{}, o.responseDirectives(r.header)); lifetime != r.lifetime {
				t.Errorf("%s: lifetime = %v, want %v", r.rfc, lifetime, r.lifetime)
			}
		})
	}
}

func opts(o ...Option) []Option { return o }

// lastModified is the header of a response modified age before t0.
func lastModified(age time.Duration) http.Header {
	return http.Header{"Date": {t0.Format(http.TimeFormat)}, "Last-Modified": {t0.Add(-age).Format(http.TimeFormat)}}
}

// mayStoreHeaders is what mayStore decides from the status and headers of
// a response to a request without Authorization.
func (o *options) mayStoreHeaders(code int, h http.Header) bool {
	return o.codeAllowed(code) && o.storableResponse(code, h, false)
}

// TestQualifiedFields checks the qualified no-cache and private
// directives: the response is stored, and the fields they name are left
// out of what is served without revalidation (no-cache) or of what a
// shared cache stores (private).
func TestQualifiedFields(t *testing.T) {
	base := func(cc string) http.Header {
		return http.Header{"Cache-Control": {cc}, "Etag": {`"q"`}, "Set-Cookie": {"a=1"}, "X-User": {"u"}, "X-Other": {"o"}}
	}
	rows := []struct {
		rfc, name     string
		header        http.Header
		shared        bool
		status        Status // the served response's
		absent        []string
		present       []string
		wantLifetimed bool // fresh after storing
	}{
		{"RFC 9111 5.2.2.4", "no-cache=field: left out of a hit", base(`max-age=60, no-cache="Set-Cookie"`), false, Hit, []string{"Set-Cookie"}, []string{"X-User", "X-Other"}, true},
		{"RFC 9111 5.2.2.4", "shared: no-cache=field: left out of a hit", base(`max-age=60, no-cache="Set-Cookie"`), true, Hit, []string{"Set-Cookie"}, []string{"X-User", "X-Other"}, true},
		{"RFC 9111 5.2.2.4", "no-cache=field: left out of a stale response", base(`max-age=60, no-cache="Set-Cookie"`), false, Stale, []string{"Set-Cookie"}, nil, true},
		{"RFC 9111 5.2.2.4", "no-cache=field: sent after revalidation", base(`max-age=60, no-cache="Set-Cookie"`), true, Revalidated, nil, []string{"Set-Cookie"}, true},
		{"RFC 9111 5.2.2.4", "no-cache with a list of fields, any case", base(`no-cache="set-cookie, x-user", max-age=60`), false, Hit, []string{"Set-Cookie", "X-User"}, []string{"X-Other"}, true},
		{"RFC 9111 5.2.2.4", "unqualified no-cache: stale at once", base(`max-age=60, no-cache`), false, Revalidated, nil, []string{"Set-Cookie"}, false},
		{"RFC 9111 5.2.2.7", "shared: private=field is not stored", base(`max-age=60, private="X-User"`), true, Revalidated, []string{"X-User"}, []string{"Set-Cookie", "X-Other"}, true},
		{"RFC 9111 5.2.2.7", "private cache: private=field is stored", base(`max-age=60, private="X-User"`), false, Hit, nil, []string{"X-User"}, true},
		{"RFC 9213 2.1", "shared: CDN-Cache-Control private=(field)", http.Header{"Cdn-Cache-Control": {`max-age=60, private=("x-user")`}, "X-User": {"u"}, "X-Other": {"o"}}, true, Hit, []string{"X-User"}, []string{"X-Other"}, true},
	}
	get := &http.Request{Method: http.MethodGet, Header: http.Header{}}
	for _, r := range rows {
		t.Run(r.rfc+"/"+r.name, func(t *testing.T) {
			tr := &Transport{o: defaultOptions()}
			tr.o.shared = r.shared
			if !tr.o.storableResponse(200, r.header, false) {
				t.Fatalf("%s: not storable", r.rfc)
			}
			e := &Response{StatusCode: 200, Header: storedHeader(r.header), RequestTime: t0, ResponseTime: t0}
			if !tr.setFreshness(e, Expiry{}, r.header) {
				t.Fatalf("%s: not stored", r.rfc)
			}
			if e.fresh(t0) != r.wantLifetimed {
				t.Errorf("%s: fresh = %v, want %v", r.rfc, e.fresh(t0), r.wantLifetimed)
			}
			h := e.httpResponse(get, r.status, t0).Header
			for _, k := range r.absent {
				if _, ok := h[k]; ok {
					t.Errorf("%s: %s served", r.rfc, k)
				}
			}
			for _, k := range r.present {
				if _, ok := h[k]; !ok {
					t.Errorf("%s: %s not served", r.rfc, k)
				}
			}
		})
	}
}

// TestParseQualified checks the parsing of qualified no-cache and private
// in Cache-Control (RFC 9111 5.2.2.4, 5.2.2.7): a quoted list is one
// directive, and a quote left open loses no other directive.
func TestParseQualified(t *testing.T) {
	rows := []struct {
		rfc, cc            string
		noCache, private   []string
		maxAge             time.Duration
		unqualifiedNoCache bool
	}{
		{"RFC 9111 5.2.2.4", `no-cache="Set-Cookie, x-a", max-age=5`, []string{"Set-Cookie", "X-A"}, nil, 5 * time.Second, false},
		{"RFC 9111 5.2.2.7", `private="x-user", max-age=5`, nil, []string{"X-User"}, 5 * time.Second, false},
		{"RFC 9111 5.2.2.4", `no-cache=""`, nil, nil, -1, true},
		{"RFC 9111 5.2.2.4", `no-cache="a, max-age=5`, []string{"A"}, nil, 5 * time.Second, false},
	}
	for _, r := range rows {
		d := parseDirectives(cc(r.cc))
		got := []any{d.noCacheFields, d.privateFields, d.maxAge, d.noCache}
		if diff := cmp.Diff([]any{r.noCache, r.private, r.maxAge, r.unqualifiedNoCache}, got); diff != "" {
			t.Errorf("%s: parseDirectives(%q) (-want +got):\n%s", r.rfc, r.cc, diff)
		}
	}
}

// TestMustRevalidateSet checks which responses are stored as never to
// be served stale without revalidation (RFC 9111 5.2.2.2, 5.2.2.4,
// 5.2.2.8, 5.2.2.10).
func TestMustRevalidateSet(t *testing.T) {
	rows := []struct {
		rfc, cc string
		shared  bool
		want    bool
	}{
		{"RFC 9111 5.2.2.2", "max-age=10, must-revalidate", false, true},
		{"RFC 9111 5.2.2.4", "max-age=10, no-cache", false, true},
		{"RFC 9111 5.2.2.8", "max-age=10, proxy-revalidate", true, true},
		{"RFC 9111 5.2.2.8", "max-age=10, proxy-revalidate", false, false},
		{"RFC 9111 5.2.2.10", "max-age=10, s-maxage=10", true, true},
		{"RFC 9111 5.2.2.10", "max-age=10, s-maxage=10", false, false},
		{"RFC 9111 4.2.4", "max-age=10", true, false},
	}
	for _, r := range rows {
		tr := &Transport{o: defaultOptions()}
		tr.o.shared = r.shared
		h := http.Header{"Cache-Control": {r.cc}, "Etag": {`"m"`}}
		e := &Response{StatusCode: 200, Header: h, RequestTime: t0, ResponseTime: t0}
		tr.setFreshness(e, Expiry{}, h)
		if e.MustRevalidate != r.want {
			t.Errorf("%s: %q (shared %v): must revalidate = %v, want %v", r.rfc, r.cc, r.shared, e.MustRevalidate, r.want)
		}
	}
}

// TestUpdates checks which 304 responses may update a stored response
// (RFC 9111 4.3.4).
func TestUpdates(t *testing.T) {
	rows := []struct {
		name             string
		stored, received string // ETag; "" for none
		want             bool
	}{
		{"same strong tag", `"a"`, `"a"`, true},
		{"another strong tag", `"a"`, `"b"`, false},
		{"a strong tag, the stored one weak", `W/"a"`, `"a"`, false},
		{"same weak tag", `W/"a"`, `W/"a"`, true},
		{"weak tag matching a strong one weakly", `"a"`, `W/"a"`, true},
		{"another weak tag", `W/"a"`, `W/"b"`, false},
		{"no tag in the 304", `"a"`, "", true},
		{"a tag, none stored", "", `"a"`, false},
	}
	for _, r := range rows {
		stored, received := http.Header{}, http.Header{}
		if r.stored != "" {
			stored.Set("ETag", r.stored)
		}
		if r.received != "" {
			received.Set("ETag", r.received)
		}
		if got := updates(stored, received); got != r.want {
			t.Errorf("RFC 9111 4.3.4: %s: updates = %v, want %v", r.name, got, r.want)
		}
	}
}

// TestUpdatesLastModified: without an entity tag in the 304, its
// Last-Modified must correspond to the stored one for the 304 to update
// it (RFC 9111 4.3.4, second rule); a 304 without it confirms (RFC 9110
// 15.4.5 does not require it). The old check updated on any tag-less 304.
func TestUpdatesLastModified(t *testing.T) {
	const mon, tue = "Mon, 02 Nov 2026 10:00:00 GMT", "Tue, 03 Nov 2026 10:00:00 GMT"
	rows := []struct {
		name             string
		stored, received string // Last-Modified; "" for none
		want             bool
	}{
		{"same date", mon, mon, true},
		{"same instant, RFC 850 form", mon, "Monday, 02-Nov-26 10:00:00 GMT", true},
		{"another date", mon, tue, false},
		{"none in the 304", mon, "", true},
		{"one in the 304, none stored", "", tue, true},
		{"neither", "", "", true},
	}
	for _, r := range rows {
		stored, received := http.Header{}, http.Header{}
		if r.stored != "" {
			stored.Set("Last-Modified", r.stored)
		}
		if r.received != "" {
			received.Set("Last-Modified", r.received)
		}
		if got := updates(stored, received); got != r.want {
			t.Errorf("RFC 9111 4.3.4: %s: updates = %v, want %v", r.name, got, r.want)
		}
	}
}
