package httpcache_test

import (
	"net/http"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// byMode returns a case run by a private cache with the steps private and
// by a shared cache (WithShared(true)) with the steps shared.
func byMode(name string, o []httpcache.Option, hdr map[string]string, private, shared []step) []stepsCase {
	return []stepsCase{
		{name: "private: " + name, opts: o, hdr: hdr, steps: private},
		{name: "shared: " + name, opts: append(opts(httpcache.WithShared(true)), o...), hdr: hdr, steps: shared},
	}
}

// stored: the second request is a hit; notStored: it reaches the origin.
var (
	stored    = []step{{want: httpcache.Miss}, {want: httpcache.Hit, hits: 1}}
	notStored = []step{{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}
)

// Targeted cache control (RFC 9213): a shared cache obeys the first
// targeted field over Cache-Control and Expires; a private one ignores it.
var targetedCases = concat(
	byMode("CDN-Cache-Control max-age overrides Cache-Control (RFC 9213 2.2)", nil,
		map[string]string{"Cache-Control": "max-age=10", "CDN-Cache-Control": "max-age=100"},
		[]step{{want: httpcache.Miss}, {advance: 50 * time.Second, want: httpcache.Miss, hits: 2}},
		[]step{{want: httpcache.Miss}, {advance: 50 * time.Second, want: httpcache.Hit, hits: 1}, {advance: 51 * time.Second, want: httpcache.Miss, hits: 2}}),
	byMode("CDN-Cache-Control fresh, Cache-Control no-store: stored (RFC 9213 2.2)", nil,
		map[string]string{"Cache-Control": "no-store", "CDN-Cache-Control": "max-age=60"}, notStored, stored),
	byMode("CDN-Cache-Control no-store (RFC 9213 2.2, RFC 9111 5.2.2.5)", nil,
		map[string]string{"Cache-Control": "max-age=60", "CDN-Cache-Control": "no-store"}, stored, notStored),
	byMode("CDN-Cache-Control private (RFC 9213 2.2, RFC 9111 5.2.2.7)", nil,
		map[string]string{"Cache-Control": "max-age=60", "CDN-Cache-Control": "private, max-age=60"}, stored, notStored),
	byMode("CDN-Cache-Control no-cache (RFC 9213 2.2, RFC 9111 5.2.2.4)", nil,
		map[string]string{"Cache-Control": "max-age=60", "CDN-Cache-Control": "no-cache", "ETag": `"t"`}, stored,
		[]step{{want: httpcache.Miss}, {want: httpcache.Revalidated, hits: 2}}),
	byMode("CDN-Cache-Control replaces Expires (RFC 9213 2.2)", nil,
		map[string]string{"Expires": epoch.Add(time.Hour).Format(http.TimeFormat), "CDN-Cache-Control": "must-revalidate"}, stored, notStored),
	byMode("invalid CDN-Cache-Control is ignored (RFC 9213 2.1)", nil,
		map[string]string{"Cache-Control": "max-age=10", "CDN-Cache-Control": "MAX-AGE=100"},
		[]step{{want: httpcache.Miss}, {advance: 50 * time.Second, want: httpcache.Miss, hits: 2}},
		[]step{{want: httpcache.Miss}, {advance: 50 * time.Second, want: httpcache.Miss, hits: 2}}),
	byMode("CDN-Cache-Control with a trailing comma is ignored (RFC 9213 2.1)", nil,
		map[string]string{"Cache-Control": "max-age=60", "CDN-Cache-Control": "no-store,"}, stored, stored),
	byMode("WithTargetedCacheControl: the first field listed wins (RFC 9213 2.2)", opts(httpcache.WithTargetedCacheControl("Surrogate-Control", "CDN-Cache-Control")),
		map[string]string{"Cache-Control": "no-store", "Surrogate-Control": "max-age=60", "CDN-Cache-Control": "no-store"}, notStored, stored),
	byMode("WithTargetedCacheControl(): targeting off", opts(httpcache.WithTargetedCacheControl()),
		map[string]string{"Cache-Control": "no-store", "CDN-Cache-Control": "max-age=60"}, notStored, notStored),
)

// storedAs and notStoredAs are stored and notStored for a status code.
func storedAs(code int) []step {
	return []step{{want: httpcache.Miss, code: code}, {want: httpcache.Hit, code: code, hits: 1}}
}

func notStoredAs(code int) []step {
	return []step{{want: httpcache.Miss, code: code}, {want: httpcache.Miss, code: code, hits: 2}}
}

var lastModifiedLongAgo = epoch.Add(-30 * 24 * time.Hour).Format(http.TimeFormat)

// Status codes (RFC 9111 3, RFC 9110 15.1): explicit freshness makes any
// understood final status storable; heuristic freshness (and a
// configured expiry) only the heuristically cacheable ones.
var statusCases = concat(
	byMode("404 with max-age (RFC 9111 3)", nil, map[string]string{":status": "404", "Cache-Control": "max-age=60"}, storedAs(404), storedAs(404)),
	byMode("500 with max-age (RFC 9111 3)", nil, map[string]string{":status": "500", "Cache-Control": "max-age=60"}, storedAs(500), storedAs(500)),
	byMode("302 with Expires (RFC 9111 3)", nil, map[string]string{":status": "302", "Expires": epoch.Add(time.Hour).Format(http.TimeFormat)}, storedAs(302), storedAs(302)),
	byMode("503 with s-maxage (RFC 9111 3, 5.2.2.10)", nil, map[string]string{":status": "503", "Cache-Control": "s-maxage=60"}, notStoredAs(503), storedAs(503)),
	byMode("410 with Last-Modified alone: heuristic (RFC 9110 15.1)", nil, map[string]string{":status": "410", "Last-Modified": lastModifiedLongAgo}, storedAs(410), storedAs(410)),
	byMode("403 with Last-Modified alone: not heuristically cacheable (RFC 9110 15.1)", nil, map[string]string{":status": "403", "Last-Modified": lastModifiedLongAgo}, notStoredAs(403), notStoredAs(403)),
	byMode("500 with a configured expiry alone is not stored (RFC 9110 15.1)", opts(httpcache.WithExpireAfter(httpcache.After(time.Hour))), map[string]string{":status": "500"}, notStoredAs(500), notStoredAs(500)),
	byMode("404 with a configured expiry (RFC 9110 15.1)", opts(httpcache.WithExpireAfter(httpcache.After(time.Hour))), map[string]string{":status": "404"}, storedAs(404), storedAs(404)),
	byMode("429 with max-age is not stored (RFC 6585 4)", nil, map[string]string{":status": "429", "Cache-Control": "max-age=60"}, notStoredAs(429), notStoredAs(429)),
	byMode("WithAllowedCodes(200) restricts", opts(httpcache.WithAllowedCodes(200)), map[string]string{":status": "404", "Cache-Control": "max-age=60"}, notStoredAs(404), notStoredAs(404)),
)

// must-understand (RFC 9111 5.2.2.3): no-store is ignored when the cache
// understands the status code; with one it does not, nothing is stored.
var mustUnderstandCases = concat(
	byMode("must-understand, no-store with 200 (RFC 9111 5.2.2.3)", nil, map[string]string{"Cache-Control": "must-understand, no-store, max-age=60"}, stored, stored),
	byMode("must-understand, no-store with 404 (RFC 9111 5.2.2.3)", nil, map[string]string{":status": "404", "Cache-Control": "max-age=60, no-store, must-understand"}, storedAs(404), storedAs(404)),
	byMode("must-understand with a code not understood (RFC 9111 3)", opts(httpcache.WithAllowedCodes(200, 429)), map[string]string{":status": "429", "Cache-Control": "must-understand, max-age=60"}, notStoredAs(429), notStoredAs(429)),
)

// s-maxage implies proxy-revalidate for a shared cache (RFC 9111
// 5.2.2.10): max-stale does not serve it stale.
var sMaxAgeCases = byMode("s-maxage forbids serving stale in a shared cache (RFC 9111 5.2.2.10)", nil,
	map[string]string{"Cache-Control": "max-age=10, s-maxage=10"},
	[]step{{want: httpcache.Miss}, {advance: 20 * time.Second, header: cc("max-stale=100"), want: httpcache.Stale, hits: 1}},
	[]step{{want: httpcache.Miss}, {advance: 20 * time.Second, header: cc("max-stale=100"), want: httpcache.Miss, hits: 2}})

func concat(groups ...[]stepsCase) []stepsCase {
	var out []stepsCase
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func init() {
	stepsCases = append(stepsCases, concat(targetedCases, statusCases, mustUnderstandCases, sMaxAgeCases)...)
}
