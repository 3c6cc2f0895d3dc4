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

func concat(groups ...[]stepsCase) []stepsCase {
	var out []stepsCase
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func init() { stepsCases = append(stepsCases, targetedCases...) }
