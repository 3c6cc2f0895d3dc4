package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// TestForwardReason checks the fwd reason of a request that goes to the
// origin, row by row, against RFC 9211 2.2.
func TestForwardReason(t *testing.T) {
	fresh := entry(10*time.Second, time.Minute, nil)
	stale := entry(70*time.Second, -10*time.Second, nil)
	rows := []struct {
		rfc, name string
		lk        *lookup
		s         stored
		want      string
	}{
		{"RFC 9211 2.1", "a fresh hit is not forwarded", req(nil, control{}), stored{entry: fresh}, ""},
		{"RFC 9211 2.2", "nothing stored for the URI: uri-miss", req(nil, control{}), stored{}, "uri-miss"},
		{"RFC 9211 2.2", "other variants stored: vary-miss", req(nil, control{}), stored{varyMiss: true}, "vary-miss"},
		{"RFC 9211 2.2", "only a stale response: stale", req(nil, control{}), stored{entry: stale}, "stale"},
		{"RFC 9211 2.2", "request no-cache with a fresh response: request", req(cc("no-cache"), control{}), stored{entry: fresh}, "request"},
		{"RFC 9211 2.2", "request max-age below the age: request", req(cc("max-age=5"), control{}), stored{entry: fresh}, "request"},
		{"RFC 9211 2.2", "ForceRefresh: request", req(nil, control{forceRefresh: true}), stored{}, "request"},
		{"RFC 9211 2.2", "caller's conditional request, nothing fresh: stale", req(http.Header{"If-None-Match": {`"a"`}}, control{}), stored{entry: stale}, "stale"},
		{"RFC 9211 2.2", "alias to a stale response: stale", req(nil, control{}), stored{aliased: stale}, "stale"},
		{"RFC 9211 2", "only-if-cached 504 is not forwarded", req(cc("only-if-cached"), control{}), stored{}, ""},
	}
	for _, r := range rows {
		d := decide(r.lk, r.s, policy{}, t0)
		if got := forwardReason(r.lk, r.s, d, t0); got != r.want {
			t.Errorf("%s: %s: forwardReason = %q (decision %v), want %q", r.rfc, r.name, got, d.act, r.want)
		}
	}
}

// TestCacheStatusMember checks the member and its serialisation row by
// row (RFC 9211 2, RFC 8941 4.1).
func TestCacheStatusMember(t *testing.T) {
	fresh := entry(0, 376*time.Second, nil)
	stale := entry(0, -412*time.Second-time.Millisecond, nil)
	never := entry(0, 0, nil, func(e *Response) { e.Expires = time.Time{} })
	rows := []struct {
		rfc, name string
		fwd       string
		o         outcome
		served    int
		key       string
		want      string
	}{
		{"RFC 9211 2.1, 2.4", "hit with ttl", "", outcome{entry: fresh}, 200, "", "kvcache; hit; ttl=376"},
		{"RFC 9211 2.4", "stale hit: negative ttl, rounded down", "", outcome{entry: stale}, 200, "", "kvcache; hit; ttl=-413"},
		{"RFC 9211 2.4", "never expires: no ttl", "", outcome{entry: never}, 200, "", "kvcache; hit"},
		{"RFC 9211 2.2, 2.5", "miss, stored", "uri-miss", outcome{entry: fresh, forwarded: true, stored: true, fwdStatus: 200}, 200, "", "kvcache; fwd=uri-miss; stored; ttl=376"},
		{"RFC 9211 2.3", "revalidated: fwd-status 304", "stale", outcome{entry: fresh, forwarded: true, stored: true, fwdStatus: 304}, 200, "", "kvcache; fwd=stale; fwd-status=304; stored; ttl=376"},
		{"RFC 9211 2.3", "fwd-status left out when it is the status served", "bypass", outcome{forwarded: true, fwdStatus: 404}, 404, "", "kvcache; fwd=bypass"},
		{"RFC 9211 2.6", "collapsed", "uri-miss", outcome{entry: fresh, collapsed: true}, 200, "", "kvcache; fwd=uri-miss; collapsed; ttl=376"},
		{"RFC 9211 2.2", "forwarded without a reason: miss", "", outcome{forwarded: true}, 200, "", "kvcache; fwd=miss"},
		{"RFC 9211 2.7", "key as a String", "", outcome{entry: never}, 200, `a"b\c`, `kvcache; hit; key="a\"b\\c"`},
	}
	for _, r := range rows {
		m := cacheStatusMember(r.fwd, r.o, r.served, t0)
		m.key = r.key
		if got := string(m.appendTo(nil, "kvcache")); got != r.want {
			t.Errorf("%s: %s: %q, want %q", r.rfc, r.name, got, r.want)
		}
	}
}

// TestSFName checks the serialisation of the cache's name: a Token when
// it is one, else a String (RFC 9211 2, RFC 8941 3.3.3, 3.3.4).
func TestSFName(t *testing.T) {
	rows := map[string]string{
		"kvcache":           "kvcache",
		"cache-3.example:8": "cache-3.example:8",
		"*edge/1":           "*edge/1",
		"Example CDN":       `"Example CDN"`,
		"1cache":            `"1cache"`,
		`a"b\c`:             `"a\"b\\c"`,
		"caché":             `"cach??"`,
	}
	for in, want := range rows {
		if got := sfName(in); got != want {
			t.Errorf("sfName(%q) = %q, want %q", in, got, want)
		}
	}
}
