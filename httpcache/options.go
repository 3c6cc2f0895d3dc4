package httpcache

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Defaults of the options.
const (
	// DefaultMaxBodySize is the largest body stored when WithMaxBodySize
	// is not given.
	DefaultMaxBodySize = 10 << 20

	// DefaultStoreTimeout is what a request may wait on stores in all
	// when WithStoreTimeout is not given (see WithStoreTimeout for why
	// one second).
	DefaultStoreTimeout = time.Second

	// DefaultKeepStale is how long a stale response is kept in the store
	// to be revalidated when WithKeepStale is not given.
	DefaultKeepStale = 24 * time.Hour

	// DefaultStoreBreakerMin and DefaultStoreBreakerMax are the first and
	// the longest period for which a failing store is skipped when
	// WithStoreBreaker is not given.
	DefaultStoreBreakerMin = time.Second
	DefaultStoreBreakerMax = 30 * time.Second

	// MaxHeuristicLifetime caps the heuristic freshness lifetime (10% of
	// the time since Last-Modified) given to responses without an explicit
	// one.
	MaxHeuristicLifetime = 24 * time.Hour
)

// defaultIgnored are the query parameters and request headers that are
// always kept out of keys and out of what is stored: credentials.
var defaultIgnored = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Auth-Token", "access_token", "api_key", "apikey"}

// Option configures a Transport.
type Option func(*options)

type options struct {
	base            http.RoundTripper
	expire          Expiry
	urlExpiry       []urlExpiry
	codes           map[int]bool
	methods         map[string]bool
	filter          func(*http.Response) bool
	maxBody         int64
	ignoredParams   map[string]bool // lower-case query parameter names
	ignoredHeaders  map[string]bool // canonical header names
	matchHeaders    []string        // canonical, sorted
	keyFunc         func(*http.Request, []byte) string
	leases          leaseOptions // WithLeases
	cacheControl    bool
	shared          bool
	targeted        []string // canonical names of the targeted fields (RFC 9213)
	readOnly        bool
	staleIfError    time.Duration
	staleRevalidate time.Duration
	hook            func(error)
	logger          *slog.Logger
	now             func() time.Time
	storeTimeout    time.Duration
	keepStale       time.Duration
	breakerMin      time.Duration // <= 0: no breaker
	breakerMax      time.Duration
	meterProvider   metric.MeterProvider // nil: the global one
	varyNorm        varyNormalizers      // nil: defaultVaryNormalizers (vary.go)
	csName          string               // the serialised Cache-Status name; "": no Cache-Status
	csKey           bool                 // Cache-Status carries key=
}

type urlExpiry struct {
	re     *regexp.Regexp
	expiry Expiry
}

func defaultOptions() options {
	o := options{
		base:           http.DefaultTransport,
		methods:        map[string]bool{http.MethodGet: true, http.MethodHead: true},
		maxBody:        DefaultMaxBodySize,
		ignoredParams:  map[string]bool{},
		ignoredHeaders: map[string]bool{},
		cacheControl:   true,
		targeted:       defaultTargeted,
		now:            time.Now,
		storeTimeout:   DefaultStoreTimeout,
		breakerMin:     DefaultStoreBreakerMin,
		breakerMax:     DefaultStoreBreakerMax,
		keepStale:      DefaultKeepStale,
		csName:         DefaultCacheStatusName,
	}
	addIgnored(&o, defaultIgnored)
	return o
}

func addIgnored(o *options, names []string) {
	for _, n := range names {
		o.ignoredParams[strings.ToLower(n)] = true
		o.ignoredHeaders[http.CanonicalHeaderKey(n)] = true
	}
}

// WithTransport sets the RoundTripper that reaches the origin. The default
// is http.DefaultTransport.
func WithTransport(base http.RoundTripper) Option {
	return func(o *options) {
		if base != nil {
			o.base = base
		}
	}
}

// WithExpireAfter sets the global expiry: how long a response stays fresh
// when no setting of higher precedence decides (see the package
// documentation). Unset, freshness comes from the response headers alone
// (RFC 9111), or, with WithCacheControl(false), responses never expire.
func WithExpireAfter(e Expiry) Option { return func(o *options) { o.expire = e } }

// WithURLExpiry sets the expiry of requests whose URL matches a glob
// pattern. The pattern is matched against the URL without its scheme
// ("example.com/api/v1/items?id=1"); '*' matches any run of characters but
// '/', '**' any run at all, '?' one character but '/'. A pattern matches a
// prefix of the URL that ends at the end of a host or path segment, so
// "example.com/static" matches "example.com/static/app.js" but not
// "example.com/statics". Patterns of WithURLExpiry and WithURLExpiryRegexp
// are tried in the order given; the first match wins.
func WithURLExpiry(pattern string, e Expiry) Option {
	re := globRegexp(pattern)
	return func(o *options) { o.urlExpiry = append(o.urlExpiry, urlExpiry{re, e}) }
}

// WithURLExpiryRegexp sets the expiry of requests whose full URL (with its
// scheme) matches re, unanchored. See WithURLExpiry for the order.
func WithURLExpiryRegexp(re *regexp.Regexp, e Expiry) Option {
	return func(o *options) { o.urlExpiry = append(o.urlExpiry, urlExpiry{re, e}) }
}

// globRegexp compiles a WithURLExpiry pattern. Patterns without a scheme
// are matched against URLs without theirs; a pattern with one is matched
// against the whole URL.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	if !strings.Contains(pattern, "://") {
		b.WriteString(`[a-zA-Z][a-zA-Z0-9+.-]*://`)
	}
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			if i+1 < len(pattern) && pattern[i+1] == '*' {
				b.WriteString(`.*`)
				i++
			} else {
				b.WriteString(`[^/]*`)
			}
		case '?':
			b.WriteString(`[^/]`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if !strings.HasSuffix(pattern, "/") && !strings.HasSuffix(pattern, "*") {
		b.WriteString(`(?:[/?#:]|$)`)
	}
	return regexp.MustCompile(b.String())
}

// WithAllowedCodes sets the status codes whose responses are stored: a
// response with another is never stored, and one with a listed code is
// stored as the response directives allow. The default follows RFC 9111
// 3: a response with a final status defined by RFC 9110 (but 206 and
// 304) is stored when it sets its own freshness (max-age, s-maxage in a
// shared cache, Expires), is public, or is private in a private cache;
// one with a heuristically cacheable status (200, 203, 204, 300, 301,
// 308, 404, 405, 410, 414, 501: RFC 9110 15.1) is stored without, and
// gets a configured expiry or heuristic freshness (from Last-Modified).
// With WithCacheControl(false) the default is 200 only. requests-cache's
// allowable_codes=(200,) is WithAllowedCodes(200).
func WithAllowedCodes(codes ...int) Option {
	return func(o *options) {
		o.codes = make(map[int]bool, len(codes))
		for _, c := range codes {
			o.codes[c] = true
		}
	}
}

// WithAllowedMethods sets the request methods whose responses are stored
// and served. The default is GET and HEAD. For methods with a body (POST,
// say) the body is part of the key. The answer to a POST or PATCH that is
// fresh by its own headers (max-age, s-maxage in a shared cache, Expires)
// and whose Content-Location is the target URI also answers a later GET
// of that URI (RFC 9110 9.3.3), when GET is allowed.
func WithAllowedMethods(methods ...string) Option {
	return func(o *options) {
		o.methods = make(map[string]bool, len(methods))
		for _, m := range methods {
			o.methods[strings.ToUpper(m)] = true
		}
	}
}

// WithFilter sets a function that decides whether a response may be cached.
// It is called before a response is stored and before a stored response is
// served (the served *http.Response then carries the stored data and
// Request); returning false skips the store, or treats the stored entry as
// absent and fetches from the origin. The function must not read or close
// the body.
func WithFilter(f func(*http.Response) bool) Option { return func(o *options) { o.filter = f } }

// WithMaxBodySize sets the largest response body stored, in bytes (default
// DefaultMaxBodySize). A larger body streams through to the caller
// uncached: at most n+1 bytes are buffered. n <= 0 means no limit (whole
// bodies are buffered before the response is returned).
func WithMaxBodySize(n int64) Option { return func(o *options) { o.maxBody = n } }

// WithIgnoredParams adds query parameters and request headers (matched case
// insensitively) that are left out of cache keys and removed from the URL
// and headers that are stored. Credentials (Authorization,
// Proxy-Authorization, Cookie, X-Api-Key, X-Auth-Token, access_token,
// api_key, apikey) are always ignored.
func WithIgnoredParams(names ...string) Option {
	return func(o *options) { addIgnored(o, names) }
}

// WithMatchHeaders makes the named request headers part of the cache key:
// requests that differ in them are cached apart, as if every response
// carried Vary with these names. Ignored names (WithIgnoredParams) are
// skipped.
func WithMatchHeaders(names ...string) Option {
	return func(o *options) {
		for _, n := range names {
			o.matchHeaders = append(o.matchHeaders, http.CanonicalHeaderKey(n))
		}
	}
}

// WithKeyFunc replaces the request part of the cache key. f gets the
// request and, for methods with a body, the body (nil otherwise); it must
// not read req.Body. Its result is hashed into a fixed-length key; an empty
// result uses the default key. Vary still selects among variants.
func WithKeyFunc(f func(req *http.Request, body []byte) string) Option {
	return func(o *options) { o.keyFunc = f }
}

// WithCacheControl switches the honouring of Cache-Control, Pragma and
// Expires headers (on requests and responses) on (the default) or off.
// Off, freshness comes from the configured expiry alone (Never by
// default), and directives such as no-store are ignored; Vary and
// validators are still used.
func WithCacheControl(on bool) Option { return func(o *options) { o.cacheControl = on } }

// WithShared makes the cache a shared one (a proxy, RFC 9111): s-maxage
// applies, and responses marked private, or answering requests with
// Authorization that are not explicitly allowed (public, s-maxage,
// must-revalidate), are not stored. The default is a private cache, as in
// a browser or a client library.
func WithShared(shared bool) Option { return func(o *options) { o.shared = shared } }

// WithTargetedCacheControl sets the targeted cache-control fields (RFC
// 9213) a shared cache obeys, in order of precedence; the default is
// CDN-Cache-Control alone, and none turns targeting off. In shared mode
// the first of them that a response carries with a valid, non-empty
// Structured Field Dictionary replaces its Cache-Control and Expires:
// its no-store, no-cache and private apply, its max-age (or s-maxage)
// sets the freshness, and a response it makes fresh is stored even when
// Cache-Control says no-store. An invalid one is ignored, as if absent.
// A private cache ignores targeted fields.
func WithTargetedCacheControl(fields ...string) Option {
	return func(o *options) {
		o.targeted = make([]string, 0, len(fields))
		for _, f := range fields {
			o.targeted = append(o.targeted, http.CanonicalHeaderKey(f))
		}
	}
}

// WithReadOnly makes the cache read-only: requests are answered from what
// is stored (fresh, or revalidated with the origin, whose 304 is then
// served without refreshing the entry), and nothing they do writes to or
// deletes from the stores: no new response, no refreshed headers, no
// redirect alias, no invalidation after an unsafe method, no removal of a
// corrupt entry. The maintenance methods (DeleteURL, DeleteExpired,
// Clear), called explicitly, still act.
func WithReadOnly() Option { return func(o *options) { o.readOnly = true } }

// WithStaleIfError lets a stale response be served for up to d after it
// became stale when the origin fails (a transport error or a 500, 502,
// 503 or 504), as the stale-if-error directive (RFC 5861) does, which is
// honoured too. must-revalidate and no-cache responses are never served
// stale by this option.
func WithStaleIfError(d time.Duration) Option { return func(o *options) { o.staleIfError = d } }

// WithStaleWhileRevalidate lets a stale response be served for up to d
// after it became stale while it is revalidated in the background, as the
// stale-while-revalidate directive (RFC 5861) does, which is honoured too.
// At most one background revalidation per key runs at a time; Close
// cancels and waits for them.
func WithStaleWhileRevalidate(d time.Duration) Option {
	return func(o *options) { o.staleRevalidate = d }
}

// WithErrorHook sets a function that receives store errors (which never
// fail a request: the origin is used instead) and every entry dropped
// because it does not decode or was written in another FormatVersion
// (both wrap kv.ErrCorrupt). While the store breaker is on (the
// default, see WithStoreBreaker), a store that keeps failing is reported
// when it starts to be skipped and at each failed probe, not at every
// request. It may be called from several goroutines at once.
func WithErrorHook(f func(error)) Option { return func(o *options) { o.hook = f } }

// WithLogger makes the Transport log what it reports to the error hook
// (store errors and dropped entries) at Warn level, a skipped store
// answering again at Info level, and background revalidations at Debug
// level. Silent by default.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock makes the Transport read the time from now instead of
// time.Now (for tests of expiry). now is called from several goroutines
// at once (background revalidations among them), so it must be safe for
// concurrent use. Store TTLs are passed as durations, so a store keeps its
// own clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithStoreTimeout bounds what one request waits on stores, all its
// store calls together (default DefaultStoreTimeout, 1s). A call still
// running when the time is up is abandoned: the request goes on to the
// origin at once, whatever the store does (one that ignores its context,
// or hangs, included), the call counts as a store error, and its late
// result is dropped. So a request waits at most d for stores, then for
// the origin.
//
// The origin is the fallback, so a store answer is worth waiting for only
// while it is likely to come sooner than the origin's: one second is
// well above a healthy store's slowest answers (network stores answer in
// milliseconds) and below what an origin request is worth to most
// callers; with the store breaker (WithStoreBreaker) a store that is down
// costs one request that second, and later requests nothing. Raise it for
// an origin much slower than the store; lower it for a fast origin.
//
// d <= 0 means no bound beyond the request's context. Calls to the
// in-memory store (stores/memory) are never timed: they do not block.
func WithStoreTimeout(d time.Duration) Option { return func(o *options) { o.storeTimeout = d } }

// WithStoreBreaker sets how long a failing store is skipped. When a call
// to a store fails (an error other than kv.ErrNotFound, kv.ErrCorrupt,
// kv.ErrTooLarge or kv.ErrInvalidTTL, a timeout included, unless the
// request's own context ended), the Transport stops calling that store
// for a period, and requests go to the origin as they do on any store
// error, without waiting for the store. After the period one call is let
// through as a probe (the other requests still skip the store until it
// ends): if the store answers, it is used again; if not, the next period
// is twice as long, up to max. Each period is shortened by up to a fifth,
// at random, so that Transports that saw a store fail together do not
// probe it together.
//
// The error that starts the first period and each failed probe are
// reported (WithErrorHook, WithLogger), with the period; the calls
// skipped are not. A store answering again is logged at Info level. The
// responses and redirects stores are skipped separately: they may be
// different backends. Maintenance calls (Entries, DeleteExpired,
// DeleteURL, Clear) always reach the stores.
//
// The defaults are DefaultStoreBreakerMin (1s) and DefaultStoreBreakerMax
// (30s). min <= 0 turns the breaker off: every request then calls the
// store, and waits for it, whatever earlier calls gave. max < min means
// max = min.
func WithStoreBreaker(min, max time.Duration) Option {
	return func(o *options) { o.breakerMin, o.breakerMax = min, max }
}

// WithKeepStale sets how long a stale response stays in the store to be
// revalidated, through the store TTL that every entry is written with.
// An entry leaves the store d after it became stale, or after its
// stale-if-error / stale-while-revalidate window (the directives', or
// WithStaleIfError's and WithStaleWhileRevalidate's) when that is
// longer. Until then it can be revalidated, and served by max-stale,
// stale-if-error or OnlyIfCached. So no backend grows without bound:
// Redis, Badger, DynamoDB and Mongo delete expired entries themselves,
// the others hide them and DeleteExpired removes them.
//
// The default is DefaultKeepStale (a day). requests-cache's ttl_offset
// is the same idea (it keeps expired responses an hour past their expiry
// on its Redis backend); a day keeps a resource fetched daily
// revalidatable with a 304, which costs the origin little. d == 0 keeps no stale response beyond its stale
// windows (a response stale on arrival is then not stored, unless such a
// window applies). d < 0 writes no store TTL: stale responses stay until
// DeleteExpired or Clear removes them, as aiohttp-client-cache and
// requests-cache (without ttl) do. Responses that never expire (Never,
// or WithCacheControl(false) without an expiry) are always kept.
func WithKeepStale(d time.Duration) Option { return func(o *options) { o.keepStale = d } }

// WithMeterProvider sets the OpenTelemetry meter provider the Transport
// records its metrics with (see "Metrics" in the package documentation),
// through a meter named after the package's import path. The default (or
// a nil mp) is the global provider, otel.GetMeterProvider(), which
// records nothing until the application sets one. Only the API is used:
// the SDK and exporters are the application's choice.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

// WithCacheStatusName sets the name of the Transport's member of the
// Cache-Status header (RFC 9211) of every response it returns (default
// DefaultCacheStatusName, "kvcache"). A name that is not a
// structured-field Token is sent as a String. An empty name leaves
// Cache-Status alone (X-Cache-Status is always set).
func WithCacheStatusName(name string) Option {
	return func(o *options) {
		o.csName = ""
		if name != "" {
			o.csName = sfName(name)
		}
	}
}

// WithCacheStatusKey makes the Transport's Cache-Status member carry the
// cache key of the request (key="<hex>", RFC 9211 2.7). Off by default:
// the key says nothing to most clients, and a shared cache may not want
// to show how it keys requests.
func WithCacheStatusKey(on bool) Option { return func(o *options) { o.csKey = on } }
