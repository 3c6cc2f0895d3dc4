package httpcache_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// step is one request of a stepsCase, after moving the clock by advance.
type step struct {
	advance time.Duration
	method  string // GET when empty
	path    string // "/a" when empty
	body    string
	header  http.Header
	ctx     func(context.Context) context.Context
	want    httpcache.Status
	code    int   // 200 when 0
	hits    int64 // origin requests so far; checked when > 0
}

type stepsCase struct {
	name  string
	opts  []httpcache.Option
	hdr   map[string]string // response headers (see validating)
	steps []step
}

func cc(v string) http.Header { return http.Header{"Cache-Control": {v}} }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var stepsCases = []stepsCase{
	// Expiry settings and their precedence.
	{name: "no headers, no expiry: not stored", steps: []step{{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	{name: "global After", opts: opts(httpcache.WithExpireAfter(httpcache.After(time.Minute))), steps: []step{
		{want: httpcache.Miss}, {advance: 59 * time.Second, want: httpcache.Hit, hits: 1}, {advance: 2 * time.Second, want: httpcache.Miss, hits: 2}}},
	{name: "global Never", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), steps: []step{
		{want: httpcache.Miss}, {advance: 1000 * time.Hour, want: httpcache.Hit, hits: 1}}},
	{name: "global DoNotCache", opts: opts(httpcache.WithExpireAfter(httpcache.DoNotCache())), hdr: map[string]string{"Cache-Control": "max-age=60"}, steps: []step{
		{want: httpcache.Bypass}, {want: httpcache.Bypass, hits: 2}}},
	{name: "global ExpireImmediately with validator revalidates", opts: opts(httpcache.WithExpireAfter(httpcache.ExpireImmediately())), hdr: map[string]string{"ETag": `"v1"`}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Revalidated, hits: 2}, {want: httpcache.Revalidated, hits: 3}}},
	{name: "global ExpireImmediately without validator is not stored", opts: opts(httpcache.WithExpireAfter(httpcache.ExpireImmediately())), steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	{name: "global At", opts: opts(httpcache.WithExpireAfter(httpcache.At(epoch.Add(90 * time.Second)))), steps: []step{
		{want: httpcache.Miss}, {advance: 60 * time.Second, want: httpcache.Hit}, {advance: 60 * time.Second, want: httpcache.Miss, hits: 2}}},
	{name: "per-URL glob beats global", opts: opts(httpcache.WithExpireAfter(httpcache.After(time.Second)), httpcache.WithURLExpiry("127.0.0.1:*/static", httpcache.After(time.Hour))), steps: []step{
		{path: "/static/x", want: httpcache.Miss}, {path: "/other", want: httpcache.Miss},
		{advance: time.Minute, path: "/static/x", want: httpcache.Hit}, {path: "/other", want: httpcache.Miss, hits: 3}}},
	{name: "per-URL glob matches at a segment end", opts: opts(httpcache.WithURLExpiry("127.0.0.1:*/static", httpcache.Never())), steps: []step{
		{path: "/statics", want: httpcache.Miss}, {path: "/statics", want: httpcache.Miss, hits: 2}}},
	{name: "per-URL regexp", opts: opts(httpcache.WithURLExpiryRegexp(regexp.MustCompile(`/img/\d+$`), httpcache.Never())), steps: []step{
		{path: "/img/12", want: httpcache.Miss}, {path: "/img/12", want: httpcache.Hit}, {path: "/img/x", want: httpcache.Miss}, {path: "/img/x", want: httpcache.Miss, hits: 3}}},
	{name: "per-URL first match wins", opts: opts(httpcache.WithURLExpiry("**/static", httpcache.DoNotCache()), httpcache.WithURLExpiry("**/static/x", httpcache.Never())), steps: []step{
		{path: "/static/x", want: httpcache.Bypass}, {path: "/static/x", want: httpcache.Bypass}}},
	{name: "per-request beats per-URL", opts: opts(httpcache.WithURLExpiry("**/a", httpcache.After(time.Second))), steps: []step{
		{ctx: expire(httpcache.After(time.Hour)), want: httpcache.Miss}, {advance: time.Minute, want: httpcache.Hit, hits: 1}}},
	{name: "per-request DoNotCache", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), steps: []step{
		{want: httpcache.Miss}, {ctx: expire(httpcache.DoNotCache()), want: httpcache.Bypass, hits: 2}, {want: httpcache.Hit, hits: 2}}},
	{name: "response max-age beats global", opts: opts(httpcache.WithExpireAfter(httpcache.After(time.Hour))), hdr: map[string]string{"Cache-Control": "max-age=10"}, steps: []step{
		{want: httpcache.Miss}, {advance: 5 * time.Second, want: httpcache.Hit}, {advance: 10 * time.Second, want: httpcache.Miss, hits: 2}}},
	{name: "cache control off ignores response headers", opts: opts(httpcache.WithCacheControl(false)), hdr: map[string]string{"Cache-Control": "no-store, max-age=0"}, steps: []step{
		{want: httpcache.Miss}, {advance: time.Hour, want: httpcache.Hit, hits: 1}}},
	{name: "cache control off ignores request headers", opts: opts(httpcache.WithCacheControl(false)), steps: []step{
		{want: httpcache.Miss}, {header: cc("no-cache"), want: httpcache.Hit, hits: 1}}},

	// Response directives.
	{name: "max-age", hdr: map[string]string{"Cache-Control": "max-age=60"}, steps: []step{
		{want: httpcache.Miss}, {advance: 59 * time.Second, want: httpcache.Hit}, {advance: time.Second, want: httpcache.Miss, hits: 2}}},
	{name: "Age from the origin shortens freshness", hdr: map[string]string{"Cache-Control": "max-age=60", "Age": "50"}, steps: []step{
		{want: httpcache.Miss}, {advance: 5 * time.Second, want: httpcache.Hit}, {advance: 6 * time.Second, want: httpcache.Miss, hits: 2}}},
	{name: "s-maxage ignored by a private cache", hdr: map[string]string{"Cache-Control": "max-age=10, s-maxage=100"}, steps: []step{
		{want: httpcache.Miss}, {advance: 50 * time.Second, want: httpcache.Miss, hits: 2}}},
	{name: "s-maxage used by a shared cache", opts: opts(httpcache.WithShared(true)), hdr: map[string]string{"Cache-Control": "max-age=10, s-maxage=100"}, steps: []step{
		{want: httpcache.Miss}, {advance: 50 * time.Second, want: httpcache.Hit, hits: 1}}},
	{name: "no-store", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), hdr: map[string]string{"Cache-Control": "no-store"}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	{name: "no-cache revalidates every time", hdr: map[string]string{"Cache-Control": "max-age=600, no-cache", "ETag": `"e"`}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Revalidated, hits: 2}, {want: httpcache.Revalidated, hits: 3}}},
	{name: "private stored by a private cache", hdr: map[string]string{"Cache-Control": "private, max-age=60"}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Hit, hits: 1}}},
	{name: "private not stored by a shared cache", opts: opts(httpcache.WithShared(true)), hdr: map[string]string{"Cache-Control": "private, max-age=60"}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	{name: "Authorization: shared cache does not store", opts: opts(httpcache.WithShared(true)), hdr: map[string]string{"Cache-Control": "max-age=60"}, steps: []step{
		{header: http.Header{"Authorization": {"Bearer x"}}, want: httpcache.Miss}, {header: http.Header{"Authorization": {"Bearer x"}}, want: httpcache.Miss, hits: 2}}},
	{name: "Authorization: shared cache stores public", opts: opts(httpcache.WithShared(true)), hdr: map[string]string{"Cache-Control": "public, max-age=60"}, steps: []step{
		{header: http.Header{"Authorization": {"Bearer x"}}, want: httpcache.Miss}, {header: http.Header{"Authorization": {"Bearer x"}}, want: httpcache.Hit, hits: 1}}},
	{name: "Expires", hdr: map[string]string{"Expires": epoch.Add(time.Minute).Format(http.TimeFormat)}, steps: []step{
		{want: httpcache.Miss}, {advance: 59 * time.Second, want: httpcache.Hit}, {advance: 2 * time.Second, want: httpcache.Miss, hits: 2}}},
	{name: "invalid Expires is already expired", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), hdr: map[string]string{"Expires": "0"}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	{name: "heuristic freshness from Last-Modified", hdr: map[string]string{"Last-Modified": epoch.Add(-30 * 24 * time.Hour).Format(http.TimeFormat)}, steps: []step{
		{want: httpcache.Miss}, {advance: 23 * time.Hour, want: httpcache.Hit, hits: 1}, {advance: 2 * time.Hour, want: httpcache.Revalidated, hits: 2}}},
	{name: "immutable is not revalidated by Refresh", hdr: map[string]string{"Cache-Control": "max-age=60, immutable", "ETag": `"i"`}, steps: []step{
		{want: httpcache.Miss}, {ctx: httpcache.Refresh, want: httpcache.Hit, hits: 1}}},
	{name: "must-revalidate ignores max-stale", hdr: map[string]string{"Cache-Control": "max-age=10, must-revalidate"}, steps: []step{
		{want: httpcache.Miss}, {advance: 20 * time.Second, header: cc("max-stale=100"), want: httpcache.Miss, hits: 2}}},

	// Request directives.
	{name: "request max-age", hdr: map[string]string{"Cache-Control": "max-age=600"}, steps: []step{
		{want: httpcache.Miss}, {advance: 100 * time.Second, header: cc("max-age=200"), want: httpcache.Hit}, {header: cc("max-age=50"), want: httpcache.Miss, hits: 2}}},
	{name: "request max-stale", hdr: map[string]string{"Cache-Control": "max-age=10"}, steps: []step{
		{want: httpcache.Miss}, {advance: 20 * time.Second, header: cc("max-stale=30"), want: httpcache.Stale, hits: 1},
		{header: cc("max-stale"), want: httpcache.Stale, hits: 1}, {header: cc("max-stale=5"), want: httpcache.Miss, hits: 2}}},
	{name: "request min-fresh", hdr: map[string]string{"Cache-Control": "max-age=60"}, steps: []step{
		{want: httpcache.Miss}, {advance: 10 * time.Second, header: cc("min-fresh=40"), want: httpcache.Hit}, {advance: 10 * time.Second, header: cc("min-fresh=45"), want: httpcache.Miss, hits: 2}}},
	{name: "request no-cache revalidates", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"n"`}, steps: []step{
		{want: httpcache.Miss}, {header: cc("no-cache"), want: httpcache.Revalidated, hits: 2}, {want: httpcache.Hit, hits: 2}}},
	{name: "request Pragma no-cache revalidates", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"n"`}, steps: []step{
		{want: httpcache.Miss}, {header: http.Header{"Pragma": {"no-cache"}}, want: httpcache.Revalidated, hits: 2}}},
	{name: "request no-store bypasses", hdr: map[string]string{"Cache-Control": "max-age=60"}, steps: []step{
		{header: cc("no-store"), want: httpcache.Bypass}, {want: httpcache.Miss, hits: 2}, {header: cc("no-store"), want: httpcache.Bypass, hits: 3}}},
	{name: "request only-if-cached", hdr: map[string]string{"Cache-Control": "max-age=60"}, steps: []step{
		{header: cc("only-if-cached"), want: httpcache.Miss, code: http.StatusGatewayTimeout, hits: 0}, {want: httpcache.Miss, hits: 1},
		{header: cc("only-if-cached"), want: httpcache.Hit, hits: 1},
		{advance: time.Hour, header: cc("only-if-cached"), want: httpcache.Miss, code: http.StatusGatewayTimeout},
		{header: cc("only-if-cached, max-stale"), want: httpcache.Stale, hits: 1}}},

	// The caller's own conditional requests.
	{name: "If-None-Match answered from the cache", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"c"`}, steps: []step{
		{want: httpcache.Miss}, {header: http.Header{"If-None-Match": {`W/"x", "c"`}}, want: httpcache.Hit, code: 304, hits: 1},
		{header: http.Header{"If-None-Match": {`"other"`}}, want: httpcache.Hit, hits: 1},
		{advance: 2 * time.Minute, header: http.Header{"If-None-Match": {`"c"`}}, want: httpcache.Bypass, code: 304, hits: 2}}},
	{name: "If-Modified-Since answered from the cache", hdr: map[string]string{"Cache-Control": "max-age=60", "Last-Modified": epoch.Add(-time.Hour).Format(http.TimeFormat)}, steps: []step{
		{want: httpcache.Miss}, {header: http.Header{"If-Modified-Since": {epoch.Format(http.TimeFormat)}}, want: httpcache.Hit, code: 304, hits: 1},
		{header: http.Header{"If-Modified-Since": {epoch.Add(-2 * time.Hour).Format(http.TimeFormat)}}, want: httpcache.Hit, hits: 1}}},
	{name: "If-Match goes to the origin", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"c"`}, steps: []step{
		{want: httpcache.Miss}, {header: http.Header{"If-Match": {`"c"`}}, want: httpcache.Bypass, hits: 2}}},

	// Per-request control.
	{name: "Disable", hdr: map[string]string{"Cache-Control": "max-age=60"}, steps: []step{
		{want: httpcache.Miss}, {ctx: httpcache.Disable, want: httpcache.Bypass, hits: 2}, {want: httpcache.Hit, hits: 2}}},
	{name: "Refresh revalidates a fresh response", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"r"`}, steps: []step{
		{want: httpcache.Miss}, {ctx: httpcache.Refresh, want: httpcache.Revalidated, hits: 2}, {want: httpcache.Hit, hits: 2}}},
	{name: "ForceRefresh fetches unconditionally", hdr: map[string]string{"Cache-Control": "max-age=60", "ETag": `"r"`}, steps: []step{
		{want: httpcache.Miss}, {ctx: httpcache.ForceRefresh, want: httpcache.Miss, hits: 2}, {want: httpcache.Hit, hits: 2}}},
	{name: "OnlyIfCached", hdr: map[string]string{"Cache-Control": "max-age=60"}, steps: []step{
		{ctx: httpcache.OnlyIfCached, want: httpcache.Miss, code: http.StatusGatewayTimeout}, {want: httpcache.Miss, hits: 1},
		{advance: time.Hour, ctx: httpcache.OnlyIfCached, want: httpcache.Stale, hits: 1}}},

	// Filters.
	{name: "status not allowed", opts: opts(httpcache.WithExpireAfter(httpcache.Never()), httpcache.WithAllowedCodes(200)), hdr: map[string]string{":status": "404"}, steps: []step{
		{want: httpcache.Miss, code: 404}, {want: httpcache.Miss, code: 404, hits: 2}}},
	{name: "status allowed", opts: opts(httpcache.WithExpireAfter(httpcache.Never()), httpcache.WithAllowedCodes(200, 404)), hdr: map[string]string{":status": "404"}, steps: []step{
		{want: httpcache.Miss, code: 404}, {want: httpcache.Hit, code: 404, hits: 1}}},
	{name: "method not allowed", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), steps: []step{
		{method: "POST", body: "x", want: httpcache.Bypass}, {method: "POST", body: "x", want: httpcache.Bypass, hits: 2}}},
	{name: "method allowed, body in the key", opts: opts(httpcache.WithExpireAfter(httpcache.Never()), httpcache.WithAllowedMethods("GET", "POST")), steps: []step{
		{method: "POST", body: "x", want: httpcache.Miss}, {method: "POST", body: "x", want: httpcache.Hit, hits: 1},
		{method: "POST", body: "y", want: httpcache.Miss, hits: 2}}},
	{name: "filter on write", opts: opts(httpcache.WithExpireAfter(httpcache.Never()), httpcache.WithFilter(func(r *http.Response) bool { return r.Request.URL.Path != "/a" })), steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}, {path: "/b", want: httpcache.Miss}, {path: "/b", want: httpcache.Hit, hits: 3}}},
	{name: "HEAD answered from a stored GET", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), steps: []step{
		{want: httpcache.Miss}, {method: "HEAD", want: httpcache.Hit, hits: 1}}},
	{name: "HEAD cached apart from GET", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), steps: []step{
		{method: "HEAD", want: httpcache.Miss}, {method: "HEAD", want: httpcache.Hit, hits: 1}, {want: httpcache.Miss, hits: 2}}},
	{name: "Range answered from the stored response", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), steps: []step{
		{header: http.Header{"Range": {"bytes=0-1"}}, want: httpcache.Miss, code: 206}, {want: httpcache.Hit, hits: 1}, {header: http.Header{"Range": {"bytes=0-1"}}, want: httpcache.Hit, code: 206, hits: 1}}},
	{name: "multi-range bypasses", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), steps: []step{
		{want: httpcache.Miss}, {header: http.Header{"Range": {"bytes=0-1,3-4"}}, want: httpcache.Bypass, hits: 2}}},
	{name: "206 not stored", opts: opts(httpcache.WithExpireAfter(httpcache.Never()), httpcache.WithAllowedCodes(200, 206)), hdr: map[string]string{":status": "206", "Content-Range": "bytes 0-3/10"}, steps: []step{
		{want: httpcache.Miss, code: 206}, {want: httpcache.Miss, code: 206, hits: 2}}},
}

func opts(o ...httpcache.Option) []httpcache.Option { return o }

func expire(e httpcache.Expiry) func(context.Context) context.Context {
	return func(ctx context.Context) context.Context { return httpcache.ExpireAfter(ctx, e) }
}

func testSteps(t *testing.T, b backend) {
	for _, c := range stepsCases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, b, validating(c.hdr), c.opts...)
			for i, s := range c.steps {
				e.clk.Add(s.advance)
				ctx := context.Background()
				if s.ctx != nil {
					ctx = s.ctx(ctx)
				}
				method, path := s.method, s.path
				if method == "" {
					method = http.MethodGet
				}
				if path == "" {
					path = "/a"
				}
				got := e.do(e.req(ctx, method, path, s.body, s.header))
				code := s.code
				if code == 0 {
					code = http.StatusOK
				}
				if got.status != s.want || got.code != code {
					t.Fatalf("step %d: got %s %d, want %s %d", i, got.status, got.code, s.want, code)
				}
				if s.hits > 0 && e.hits.Load() != s.hits {
					t.Fatalf("step %d: %d origin requests, want %d", i, e.hits.Load(), s.hits)
				}
			}
			if errs := e.storeErrors(); len(errs) > 0 {
				t.Errorf("store errors: %v", errs)
			}
		})
	}
}
