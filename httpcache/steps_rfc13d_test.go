package httpcache_test

import (
	"net/http"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// A conditional request that may not reach the origin and finds nothing
// fresh enough stored is answered 504 by the cache (RFC 9111 5.2.1.7),
// not forwarded.
var conditionalOfflineCases = inBothModes(
	stepsCase{name: "conditional only-if-cached, stale response: 504 (RFC 9111 5.2.1.7)", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"c"`}, steps: []step{
		{want: httpcache.Miss},
		{advance: 2 * time.Minute, header: http.Header{"If-None-Match": {`"c"`}, "Cache-Control": {"only-if-cached"}}, want: httpcache.Miss, code: http.StatusGatewayTimeout, hits: 1}}},
	stepsCase{name: "conditional only-if-cached, nothing stored: 504 (RFC 9111 5.2.1.7)", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"c"`}, steps: []step{
		{want: httpcache.Miss},
		{path: "/b", header: http.Header{"If-None-Match": {`"c"`}, "Cache-Control": {"only-if-cached"}}, want: httpcache.Miss, code: http.StatusGatewayTimeout, hits: 1}}},
	stepsCase{name: "conditional OnlyIfCached, nothing stored: 504", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"c"`}, steps: []step{
		{want: httpcache.Miss},
		{path: "/b", ctx: httpcache.OnlyIfCached, header: http.Header{"If-None-Match": {`"c"`}}, want: httpcache.Miss, code: http.StatusGatewayTimeout, hits: 1}}},
)

func init() { stepsCases = append(stepsCases, conditionalOfflineCases...) }

// If-Modified-Since against a stored response without Last-Modified is
// evaluated with its Date (RFC 9111 4.3.2).
var imsDateCases = inBothModes(
	stepsCase{name: "If-Modified-Since against the Date of a response without Last-Modified (RFC 9111 4.3.2)", hdr: map[string]string{"Cache-Control": "max-age=600"}, steps: []step{
		{want: httpcache.Miss},
		{advance: time.Minute, header: http.Header{"If-Modified-Since": {epoch.Add(time.Second).Format(http.TimeFormat)}}, want: httpcache.Hit, code: http.StatusNotModified, hits: 1},
		{header: http.Header{"If-Modified-Since": {epoch.Add(-time.Hour).Format(http.TimeFormat)}}, want: httpcache.Hit, hits: 1}}},
)

func init() { stepsCases = append(stepsCases, imsDateCases...) }
