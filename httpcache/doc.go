// Package httpcache is an HTTP response cache for net/http: a
// [Transport] (an http.RoundTripper) that answers requests from responses
// kept in any kv.Store, and follows RFC 9111 (HTTP Caching).
//
//	t := httpcache.New(responses, redirects, httpcache.WithExpireAfter(httpcache.After(time.Hour)))
//	defer t.Close()
//	client := t.Client()
//
// [New] takes two typed stores: responses (kv.Store[string, *Response])
// and redirect aliases (kv.Store[string, string]). [NewFromStores] builds
// them from byte stores of any backend (SQLite, Redis, ...) with the CBOR
// and string codecs, and [NewMemory] keeps everything in memory.
//
// Every response the Transport returns carries its [Status] (hit, miss,
// stale, revalidated, bypass) in the X-Cache-Status header; read it with
// [CacheStatus]. It also carries the standard Cache-Status header (RFC
// 9211), whose last member is the Transport's: "kvcache; hit; ttl=50",
// "kvcache; fwd=uri-miss; stored; ttl=60", "kvcache; fwd=stale;
// fwd-status=304; stored; ttl=60" (fwd is uri-miss, vary-miss, stale,
// request, method or bypass; ttl is the freshness left, negative once
// stale). Members that caches nearer the origin set are kept before it.
// [WithCacheStatusName] names the member, [WithCacheStatusKey] adds the
// cache key. A 504 the Transport makes up (only-if-cached) gets none.
//
// # Expiry and its precedence
//
// Whether a stored response may be served is decided, for each request, in
// this order:
//
//  1. Per-request control through the context: [Disable] skips the cache,
//     [ForceRefresh] ignores what is stored, [Refresh] revalidates,
//     [OnlyIfCached] never contacts the origin.
//  2. Request headers (unless WithCacheControl(false)): no-store skips the
//     cache; no-cache revalidates; max-age, min-fresh and max-stale narrow
//     or widen what counts as fresh enough; only-if-cached answers 504
//     rather than contact the origin.
//  3. The stored expiry, worked out when the response was stored or
//     revalidated from, first that applies:
//     a. response headers (unless WithCacheControl(false)): s-maxage (shared
//     mode), max-age, Expires; no-cache forces revalidation; in shared
//     mode a targeted field (CDN-Cache-Control, RFC 9213; see
//     [WithTargetedCacheControl]) that is present and valid replaces
//     Cache-Control and Expires;
//     b. the per-request expiry, [ExpireAfter];
//     c. the first matching per-URL pattern, [WithURLExpiry] /
//     [WithURLExpiryRegexp];
//     d. the global expiry, [WithExpireAfter];
//     e. heuristic freshness: 10% of the time since Last-Modified, at most
//     [MaxHeuristicLifetime] (with Cache-Control honoured), or never
//     expiring (with it off);
//     f. otherwise the response is stale at once, and stored only when it
//     can be revalidated or served stale on error.
//
// [DoNotCache] at levels b to d skips the cache for the request whatever the
// headers say. no-store and (in shared mode) private responses are never
// stored unless Cache-Control is off.
//
// Which status codes are stored follows RFC 9111 3 unless
// [WithAllowedCodes] lists them: a final status defined by RFC 9110 (but
// 206 and 304) when the response sets its own freshness (level a), is
// public, or is private in a private cache; the heuristically cacheable
// ones (200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501) also with
// levels b to e. A 500 is thus stored only when its headers ask for it,
// and a configured expiry never makes it so. must-understand (RFC 9111
// 5.2.2.3) makes no-store void with one of those codes, and forbids
// storing with any other. A qualified no-cache="Set-Cookie" stores the
// response but serves it without the named fields unless it was just
// revalidated; a qualified private="X-User" stores it, in shared mode
// without the named fields (RFC 9111 5.2.2.4, 5.2.2.7).
//
// A GET of one byte range is answered from a stored complete 200 with a
// 206 (or a 416 when the range is unsatisfiable), If-Range honoured; a
// stale one is revalidated whole first. The origin's 206 to such a
// request is stored as a part, which answers ranges within it, and is
// combined with parts of the same strong ETag it meets (RFC 9111 3.3,
// 3.4); parts that make the whole are a complete response. Other range
// requests go through uncached.
//
// A stale response is revalidated with If-None-Match / If-Modified-Since
// when it has a validator; a 304 refreshes the stored headers and expiry.
// A HEAD's 200 from the origin refreshes the stored GET response the same
// way when its validators and Content-Length match that response's, and
// makes it stale when they do not (RFC 9111 4.3.5).
// Stale responses may also be served by stale-if-error and
// stale-while-revalidate ([WithStaleIfError], [WithStaleWhileRevalidate]
// and the RFC 5861 directives), except must-revalidate and no-cache ones,
// to which only the directives apply.
//
// # Keys, variants and redirects
//
// A key is the SHA-256 (hex) of the method, the normalised URL (scheme and
// host lower-cased, default port and fragment dropped, query sorted,
// ignored parameters removed) and, for methods with a body, the body's
// digest (form and JSON bodies without their ignored parameters, sorted). Responses with Vary, and every response when [WithMatchHeaders]
// is given, are stored per variant: the URL's key then holds the header
// names and the list of variant keys; request header values are compared
// after normalisation (Accept-Language and Accept-Encoding: order, case
// and whitespace; Accept: whitespace; [WithVaryNormalizer] for others).
// Vary: * is never stored.
// Credentials (Authorization, Cookie, API keys; see [WithIgnoredParams])
// are kept out of keys and are never stored in clear.
//
// When a request was redirected (http.Client follows redirects above the
// RoundTripper and sets Request.Response on each hop), every earlier URL of
// the chain is recorded as an alias of the final response's key. A later
// request to any of them is answered from the cache, with no origin
// request, while the final response is fresh; the response's Request then
// names the final URL, as after the redirects it stands for.
//
// # What stays in the store
//
// Every entry is written with a store TTL covering its freshness, the
// stale-serving windows that apply, and a keep-for-revalidation window
// ([WithKeepStale], default [DefaultKeepStale]), so no backend grows
// without bound; until then a stale response can be revalidated, and
// served by max-stale, stale-if-error or [OnlyIfCached].
// [Transport.DeleteExpired] removes stale entries sooner. Responses that
// are stale at once and have no validator are not stored at all. With
// [WithReadOnly], requests only read: nothing is stored, refreshed or
// invalidated.
//
// Received dates (Expires, Date, Last-Modified) are HTTP-dates in one
// field line exactly as RFC 9110 5.6.7 defines them; anything else is
// invalid, and an invalid Expires means already stale. A received Age
// counts by its first member, and is ignored when that is not a
// non-negative integer (RFC 9111 5.1).
//
// # Concurrency and failures
//
// A request is resolved once (keys, directives, what is stored), a pure
// function decides what to do with it, and small executors do it.
//
// Identical concurrent requests that miss reach the origin once; the
// others share its response (each gets its own body): a stored one
// always, an uncacheable one in a private cache, never in a shared cache
// when it is private, no-store or answers a request with credentials.
//
// A store that fails or times out never fails a request: the origin is
// used and the error goes to [WithErrorHook] and [WithLogger]. A request
// waits on stores for one store timeout at most in all
// ([WithStoreTimeout], default 1s): a call that has not answered by then
// is abandoned, whatever the store does. After a failure the store is
// skipped for a while (1s at first, doubling up to 30s,
// [WithStoreBreaker]), and one probe at a time finds out whether it is
// back. An entry that does not decode, or was written in another
// [FormatVersion], is a miss, is deleted and is reported as
// kv.ErrCorrupt. Bodies larger than [WithMaxBodySize] stream through
// uncached.
//
// # Coalescing across processes
//
// [WithLeases] merges identical misses across the Transports (in one
// process or several) that share a lease store with kv.ConditionalWriter
// (memory within one process; SQLite, Redis, PostgreSQL, DynamoDB and
// the other backends that have it across processes). The request that
// leads a miss in its Transport stores a random token under the key's
// lease key (SetIfAbsent, with the lease TTL), looks for a response
// stored meanwhile, fetches, stores the response, then deletes its own
// lease (CompareAndDelete of its token). A request that finds the lease
// held polls it (5 ms, doubling to 100 ms, jittered) and, once it is
// gone, serves the response stored under the key — only what it would
// serve from the store anyway. It fetches itself when the holder's answer
// was not stored (the holder leaves a pass value for 2 seconds), when the
// lease store fails or is skipped, or once the lease TTL or its context
// is over: it never hangs. Every lease call is guarded like the others
// (store timeout, its own breaker, named leases). A lease is not a
// fencing lock: a holder slower than the TTL loses it, and another
// Transport may fetch too. Lease keys start with "httpcache-lease:";
// [Transport.Entries] and [Transport.DeleteExpired] skip them, so the
// lease store may be the responses store.
//
// Leases are off by default. A Transport cannot tell whether other
// processes share its store, and for a store no other process uses they
// cost two writes more on every miss (the lease and its release; a write
// transaction each on SQLite) and spare nothing: identical requests of
// one Transport are merged already. Turn them on where several processes
// share a store and a fetch from the origin is what costs.
//
// # Metrics
//
// The Transport records metrics through the OpenTelemetry API, with the
// provider of [WithMeterProvider] (the global one by default) and a meter
// named after the package's import path: httpcache.requests (by
// cache.status) and httpcache.request.duration, httpcache.origin.requests
// (by outcome), httpcache.store.errors (by store and operation),
// httpcache.breaker.state (1 while a store is skipped) and
// httpcache.revalidations (background ones, by result). docs/httpcache.md
// lists their units and attributes.
//
// # Closing
//
// Close only what you opened: [New] and [NewFromStores] never close the
// stores they are given; the in-memory stores of [NewMemory] (and of New
// with a nil responses store) are the Transport's, and [Transport.Close]
// closes them.
//
// # Sharing a store
//
// Several Transports may use the same stores: entries are plain values
// under hashed keys. With a nil redirects store, aliases are kept in the
// responses store, so one table or key prefix holds the whole cache.
package httpcache
