package httpcache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

// Transport is an http.RoundTripper that answers requests from a cache of
// responses kept in a kv.Store, and fetches from its base RoundTripper
// (the origin) what the cache cannot answer. It is safe for concurrent use.
// Make one with New, NewMemory or NewFromStores.
type Transport struct {
	o         options
	responses kv.Store[string, *Response]
	redirects kv.Store[string, string] // nil: aliases live in responses
	owned     []func() error
	inMemory  bool // responses is a memory store

	// Breakers of the two stores (nil when WithStoreBreaker turned them
	// off, and for redirects when aliases live in responses). They are
	// separate because the stores may be separate backends (Redis for
	// responses, SQLite for redirects, say): one failing says nothing
	// of the other. Two stores on one server each pay one failed call
	// before they are skipped.
	respBreaker  *breaker
	redirBreaker *breaker

	flight flight
	idxMu  sync.Mutex // serialises updates of variant lists

	closed   atomic.Bool
	bgMu     sync.Mutex
	bgKeys   map[string]bool
	bgWG     sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
}

// New returns a Transport that keeps responses in responses and redirect
// aliases in redirects. A nil responses is an in-memory store (closed by
// Close); with a nil redirects, aliases are kept in responses as entries of
// KindAlias. Stores given by the caller are not closed by Close.
func New(responses kv.Store[string, *Response], redirects kv.Store[string, string], opts ...Option) *Transport {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	slices.Sort(o.matchHeaders)
	o.matchHeaders = slices.Compact(o.matchHeaders)
	t := &Transport{o: o, responses: responses, redirects: redirects, bgKeys: map[string]bool{}}
	if t.responses == nil {
		m := memory.New[string, *Response]()
		t.responses = m
		t.owned = append(t.owned, m.Close)
	}
	// The memory store never blocks: its calls need no timeout (which
	// costs a timer per call on the hit path).
	_, t.inMemory = t.responses.(*memory.Store[string, *Response])
	t.respBreaker = newBreaker("responses", o.breakerMin, o.breakerMax)
	if t.redirects != nil {
		t.redirBreaker = newBreaker("redirects", o.breakerMin, o.breakerMax)
	}
	t.bgCtx, t.bgCancel = context.WithCancel(context.Background())
	return t
}

// NewMemory returns a Transport over two in-memory stores, which Close
// closes.
func NewMemory(opts ...Option) *Transport {
	responses := memory.New[string, *Response]()
	redirects := memory.New[string, string]()
	t := New(responses, redirects, opts...)
	t.owned = append(t.owned, responses.Close, redirects.Close)
	return t
}

// NewFromStores returns a Transport over byte stores, any backend: it
// stores responses as CBOR in responses and aliases as strings in
// redirects (kv.Typed). A nil redirects keeps aliases in responses, so one
// store (one table, one key prefix) can hold the whole cache. The
// Transport owns the stores: Close closes them.
func NewFromStores(responses, redirects kv.Store[string, []byte], opts ...Option) *Transport {
	typed := kv.Typed(responses, kv.StringKeys(), kv.CBOR[*Response]())
	var aliases kv.Store[string, string]
	if redirects != nil {
		aliases = kv.Typed(redirects, kv.StringKeys(), kv.String())
	}
	t := New(typed, aliases, opts...)
	t.owned = append(t.owned, responses.Close)
	if redirects != nil {
		t.owned = append(t.owned, redirects.Close)
	}
	return t
}

// Client returns an *http.Client that sends its requests through t.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// Close cancels background revalidations and waits for them, then closes
// the stores t owns (see New). Afterwards requests go straight to the base
// RoundTripper. Close is idempotent.
func (t *Transport) Close() error {
	t.bgMu.Lock()
	if t.closed.Swap(true) {
		t.bgMu.Unlock()
		return nil
	}
	t.bgMu.Unlock()
	t.bgCancel()
	t.bgWG.Wait()
	var errs []error
	for _, c := range t.owned {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// lookup is what RoundTrip works out about a request once.
type lookup struct {
	primary string
	normURL string
	body    []byte
	expiry  Expiry // the configured expiry (per request, per URL, global)
	ctl     control
	dir     directives // request directives (none when Cache-Control is off)
}

// RoundTrip answers req from the cache or from the origin. It never fails
// because of the cache: store errors are reported to the error hook and
// the origin is used. Errors are those of the base RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.closed.Load() {
		return t.o.base.RoundTrip(req)
	}
	lk := lookup{ctl: controlOf(req.Context()), dir: noDirectives}
	if t.o.cacheControl && (len(req.Header["Cache-Control"]) > 0 || len(req.Header["Pragma"]) > 0) {
		lk.dir = parseDirectives(req.Header)
	}
	if lk.ctl.disable || !t.o.methods[req.Method] || lk.dir.noStore || bypassHeaders(req.Header) {
		return t.bypass(req)
	}
	if hasBody(req) {
		body, rest, err := readUpTo(req.Body, t.o.maxBody)
		if rest != nil || err != nil {
			r2 := shallowCopy(req)
			r2.Body = &joinedBody{Reader: io.MultiReader(bytes.NewReader(body), errOr(rest, err)), c: req.Body}
			return t.bypass(r2)
		}
		req.Body.Close()
		req = shallowCopy(req)
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		lk.body = body
		if lk.body == nil {
			lk.body = []byte{}
		}
	}
	lk.normURL = t.o.normalizeURL(req.URL)
	lk.expiry = t.configuredExpiry(lk.ctl, lk.normURL)
	if lk.expiry.kind == expiryDoNotCache {
		return t.bypass(req)
	}
	lk.primary = t.o.primaryKey(req, lk.normURL, lk.body)
	if lk.ctl.forceRefresh && conditional(req.Header) {
		return t.bypass(req)
	}

	ctx := req.Context()
	var stale *Response
	if !lk.ctl.forceRefresh {
		entry, _ := t.load(ctx, lk.primary, req.Header)
		if entry == nil && req.Method == http.MethodHead && t.o.methods[http.MethodGet] {
			// A stored GET response answers a HEAD (RFC 9110 9.3.2).
			get := shallowCopy(req)
			get.Method = http.MethodGet
			entry, _ = t.load(ctx, t.o.primaryKey(get, lk.normURL, nil), req.Header)
		}
		now := t.o.now()
		if entry != nil && !t.passes(req, entry, now) {
			entry = nil
		}
		if conditional(req.Header) {
			// The caller's own conditional request: answered here when a
			// fresh response is stored, else forwarded as it is.
			if entry == nil || lk.dir.noCache || lk.ctl.refresh || !t.freshFor(entry, lk, now) {
				return t.bypass(req)
			}
			if notModified(req, entry) {
				return t.notModifiedResponse(req, entry, now), nil
			}
			return t.serve(req, entry, Hit, now), nil
		}
		if entry == nil && (req.Method == http.MethodGet || req.Method == http.MethodHead) {
			if target, ok := t.alias(ctx, lk.primary); ok {
				if e, _ := t.load(ctx, target, req.Header); e != nil && t.passes(req, e, now) {
					if lk.ctl.onlyIfCached || (t.freshFor(e, lk, now) && !lk.dir.noCache && !lk.ctl.refresh) {
						resp := t.serve(req, e, Hit, now)
						// As after the redirects it stands for, the response's
						// Request names the final URL.
						if u, err := url.Parse(e.URL); err == nil {
							final := shallowCopy(req)
							final.URL, final.Host = u, u.Host
							resp.Request = final
						}
						return resp, nil
					}
				}
			}
		}
		if entry != nil {
			noCache := lk.dir.noCache || (lk.ctl.refresh && !(entry.Immutable && entry.fresh(now)))
			switch {
			case !noCache && t.freshFor(entry, lk, now):
				return t.serve(req, entry, Hit, now), nil
			case lk.ctl.onlyIfCached:
				if entry.fresh(now) {
					return t.serve(req, entry, Hit, now), nil
				}
				return t.serve(req, entry, Stale, now), nil
			case !noCache && t.staleForRequest(entry, lk, now):
				return t.serve(req, entry, Stale, now), nil
			case !noCache && t.staleWhileRevalidate(entry, now):
				t.revalidateInBackground(req, lk, entry)
				return t.serve(req, entry, Stale, now), nil
			case lk.dir.onlyIfCached:
				return gatewayTimeout(req), nil
			}
			stale = entry
		} else if lk.ctl.onlyIfCached || lk.dir.onlyIfCached {
			return gatewayTimeout(req), nil
		}
	}
	return t.fetch(req, lk, stale)
}

var noDirectives = directives{maxAge: -1, sMaxAge: -1, maxStale: -1, minFresh: -1, staleIfError: -1, staleRevalidate: -1}

// bypassHeaders reports a Range request, or one with preconditions a
// cache cannot evaluate for the origin (If-Match, If-Unmodified-Since,
// If-Range): they go to the origin untouched.
func bypassHeaders(h http.Header) bool {
	for _, k := range []string{"Range", "If-Range", "If-Match", "If-Unmodified-Since"} {
		if len(h[k]) > 0 {
			return true
		}
	}
	return false
}

// conditional reports a request carrying the caller's own validators.
func conditional(h http.Header) bool {
	return len(h["If-None-Match"]) > 0 || len(h["If-Modified-Since"]) > 0
}

// notModified evaluates the caller's If-None-Match, or else
// If-Modified-Since, against a stored response (RFC 9110 13.1.2, 13.1.3).
func notModified(req *http.Request, e *Response) bool {
	if inm := req.Header.Values("If-None-Match"); len(inm) > 0 {
		etag := strings.TrimPrefix(e.Header.Get("ETag"), "W/")
		for _, v := range inm {
			for tag := range strings.SplitSeq(v, ",") {
				tag = strings.TrimSpace(tag)
				if tag == "*" || (etag != "" && strings.TrimPrefix(tag, "W/") == etag) {
					return true
				}
			}
		}
		return false
	}
	ims, err := http.ParseTime(req.Header.Get("If-Modified-Since"))
	if err != nil {
		return false
	}
	lm, err := http.ParseTime(e.Header.Get("Last-Modified"))
	return err == nil && !lm.After(ims)
}

// notModifiedResponse is the 304 a cache sends for e (RFC 9110 15.4.5).
func (t *Transport) notModifiedResponse(req *http.Request, e *Response, now time.Time) *http.Response {
	resp := e.httpResponse(req, Hit, now)
	h := make(http.Header, 8)
	for _, k := range []string{"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Vary", "Age", StatusHeader} {
		if v, ok := resp.Header[k]; ok {
			h[k] = v
		}
	}
	resp.StatusCode, resp.Status = http.StatusNotModified, "304 Not Modified"
	resp.Header, resp.Body, resp.ContentLength = h, http.NoBody, 0
	return resp
}

func hasBody(req *http.Request) bool {
	return req.Body != nil && req.Body != http.NoBody && req.Method != http.MethodGet && req.Method != http.MethodHead
}

func shallowCopy(req *http.Request) *http.Request {
	r2 := new(http.Request)
	*r2 = *req
	return r2
}

// configuredExpiry returns the first expiry set among the per-request,
// per-URL and global ones.
func (t *Transport) configuredExpiry(c control, normURL string) Expiry {
	if c.expiry.IsSet() {
		return c.expiry
	}
	for _, u := range t.o.urlExpiry {
		if u.re.MatchString(normURL) {
			return u.expiry
		}
	}
	return t.o.expire
}

// bypass sends req to the origin without the cache, and invalidates after
// a successful unsafe request.
func (t *Transport) bypass(req *http.Request) (*http.Response, error) {
	resp, err := t.o.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.invalidateAfter(req, resp)
	resp.Header.Set(StatusHeader, string(Bypass))
	return resp, nil
}

// passes applies the filter (WithFilter) to a stored response.
func (t *Transport) passes(req *http.Request, e *Response, now time.Time) bool {
	return t.o.filter == nil || t.o.filter(e.httpResponse(req, Hit, now))
}

// freshFor reports whether e may be served without contacting the origin
// under the request's directives.
func (t *Transport) freshFor(e *Response, lk lookup, now time.Time) bool {
	if !e.fresh(now) {
		return false
	}
	if lk.dir.maxAge >= 0 && e.age(now) > lk.dir.maxAge {
		return false
	}
	if lk.dir.minFresh >= 0 && !e.Expires.IsZero() && e.Expires.Sub(now) < lk.dir.minFresh {
		return false
	}
	return true
}

// staleForRequest reports whether the request's max-stale accepts stale e.
func (t *Transport) staleForRequest(e *Response, lk lookup, now time.Time) bool {
	if e.MustRevalidate || (!lk.dir.maxStaleAny && lk.dir.maxStale < 0) {
		return false
	}
	if lk.dir.maxAge >= 0 && e.age(now) > lk.dir.maxAge {
		return false
	}
	return lk.dir.maxStaleAny || e.staleFor(now) <= lk.dir.maxStale
}

// staleWhileRevalidate reports whether stale e may be served while it is
// revalidated in the background.
func (t *Transport) staleWhileRevalidate(e *Response, now time.Time) bool {
	window := e.StaleWhileRevalidate
	if !e.MustRevalidate {
		window = max(window, t.o.staleRevalidate)
	}
	return window > 0 && e.staleFor(now) <= window
}

// staleIfError reports whether stale e may be served when the origin fails.
func (t *Transport) staleIfError(e *Response, lk lookup, now time.Time) bool {
	window := max(e.StaleIfError, lk.dir.staleIfError)
	if !e.MustRevalidate {
		window = max(window, t.o.staleIfError)
	}
	return window > 0 && e.staleFor(now) <= window
}

// serve builds the response to req from a stored entry.
func (t *Transport) serve(req *http.Request, e *Response, status Status, now time.Time) *http.Response {
	if req.Response != nil {
		t.recordRedirects(req, t.o.primaryKey(req, t.o.normalizeURL(req.URL), nil), e.Until)
	}
	return e.httpResponse(req, status, now)
}

func gatewayTimeout(req *http.Request) *http.Response {
	return &http.Response{
		Status:     "504 Gateway Timeout",
		StatusCode: http.StatusGatewayTimeout,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{StatusHeader: {string(Miss)}, "Content-Length": {"0"}},
		Body:       http.NoBody,
		Request:    req,
	}
}

// fetch gets the response to req from the origin, revalidating stale when
// given, with identical concurrent fetches merged into one.
func (t *Transport) fetch(req *http.Request, lk lookup, stale *Response) (*http.Response, error) {
	var (
		resp *http.Response
		err  error
	)
	res, leader, werr := t.flight.do(req.Context(), flightKey(lk.primary, req.Header), func() flightResult {
		// An identical request may have stored a response between this
		// request's lookup and its turn to lead: look again.
		if !lk.ctl.forceRefresh && !lk.ctl.refresh && !lk.dir.noCache {
			now := t.o.now()
			e, _ := t.load(req.Context(), lk.primary, req.Header)
			if e != nil && (stale == nil || e.ResponseTime.After(stale.ResponseTime)) && t.freshFor(e, lk, now) && t.passes(req, e, now) {
				resp = t.serve(req, e, Hit, now)
				return flightResult{e, Hit}
			}
		}
		var fr flightResult
		resp, fr, err = t.fetchOrigin(req, lk, stale)
		return fr
	})
	if leader {
		return resp, err
	}
	if werr != nil {
		return nil, werr
	}
	if res.entry != nil {
		status := res.status
		if status == Miss {
			status = Hit
		}
		return t.serve(req, res.entry, status, t.o.now()), nil
	}
	resp, _, err = t.fetchOrigin(req, lk, stale)
	return resp, err
}

// flightKey identifies identical requests: same key, same headers.
func flightKey(primary string, h http.Header) string {
	if len(h) == 0 {
		return primary
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(primary)
	for _, k := range names {
		b.WriteByte(0)
		b.WriteString(k)
		for _, v := range h[k] {
			b.WriteByte(1)
			b.WriteString(v)
		}
	}
	return b.String()
}

// isServerError reports the statuses stale-if-error applies to.
func isServerError(code int) bool {
	return code == 500 || code == 502 || code == 503 || code == 504
}

// fetchOrigin sends req (conditionally when stale has validators) and
// handles the answer: 304 refreshes stale, errors may serve stale, other
// answers are stored when they may be.
func (t *Transport) fetchOrigin(req *http.Request, lk lookup, stale *Response) (*http.Response, flightResult, error) {
	out := req
	conditional := false
	if stale != nil && !lk.ctl.forceRefresh && stale.hasValidator() {
		out = req.Clone(req.Context())
		if lk.body != nil {
			out.Body = io.NopCloser(bytes.NewReader(lk.body))
		}
		if v := stale.Header.Get("ETag"); v != "" {
			out.Header.Set("If-None-Match", v)
		}
		if v := stale.Header.Get("Last-Modified"); v != "" {
			out.Header.Set("If-Modified-Since", v)
		}
		conditional = true
	}
	reqTime := t.o.now()
	resp, err := t.o.base.RoundTrip(out)
	now := t.o.now()
	if err != nil {
		if stale != nil && t.staleIfError(stale, lk, now) {
			return t.serve(req, stale, Stale, now), flightResult{stale, Stale}, nil
		}
		return nil, flightResult{}, err
	}
	if conditional && resp.StatusCode == http.StatusNotModified {
		drain(resp.Body)
		merged := t.merge(req, lk, stale, resp, reqTime, now)
		if merged == nil {
			return t.serve(req, stale, Revalidated, now), flightResult{}, nil
		}
		return t.serve(req, merged, Revalidated, now), flightResult{merged, Revalidated}, nil
	}
	if stale != nil && isServerError(resp.StatusCode) && t.staleIfError(stale, lk, now) {
		drain(resp.Body)
		return t.serve(req, stale, Stale, now), flightResult{stale, Stale}, nil
	}
	t.invalidateAfter(req, resp)
	resp.Header.Set(StatusHeader, string(Miss))
	if !t.mayStore(req, resp, lk) {
		if stale != nil && resp.StatusCode < 500 {
			t.deleteURLKey(context.WithoutCancel(req.Context()), lk.primary)
		}
		return resp, flightResult{}, nil
	}
	if t.o.maxBody > 0 && resp.ContentLength > t.o.maxBody && req.Method != http.MethodHead {
		return resp, flightResult{}, nil
	}
	// Decide from the headers alone whether the response is worth keeping,
	// so that one that is not (an event stream, say) is never buffered.
	entry, names := t.newEntry(req, lk, resp, reqTime, now)
	if entry == nil {
		return resp, flightResult{}, nil
	}
	body, rest, rerr := readUpTo(resp.Body, t.o.maxBody)
	if rest != nil || rerr != nil {
		// Too large, or the body failed part way: pass it on uncached.
		resp.Body = &joinedBody{Reader: io.MultiReader(bytes.NewReader(body), errOr(rest, rerr)), c: resp.Body}
		return resp, flightResult{}, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	entry.Body = body
	if req.Method != http.MethodHead {
		entry.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	if t.store(req, lk, entry, names) {
		t.recordRedirects(req, lk.primary, entry.Until)
	}
	// Identical requests waiting for this one share the response even when
	// the store did not take it (down, or skipped by the breaker): it is
	// one the cache would have served them, and while a store is down is
	// when sparing the origin matters most.
	return resp, flightResult{entry, Miss}, nil
}

// mayStore applies the configured filters and the RFC 9111 rules that do
// not need the body.
func (t *Transport) mayStore(req *http.Request, resp *http.Response, lk lookup) bool {
	if !t.o.codes[resp.StatusCode] || resp.StatusCode == http.StatusPartialContent {
		return false
	}
	if t.o.filter != nil && !t.o.filter(resp) {
		return false
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return false // a stream without end
	}
	if !t.o.cacheControl {
		return true
	}
	d := parseDirectives(resp.Header)
	if d.noStore {
		return false
	}
	if t.o.shared {
		if d.private {
			return false
		}
		if req.Header.Get("Authorization") != "" && !d.public && d.sMaxAge < 0 && !d.mustRevalidate {
			return false
		}
	}
	return true
}

// newEntry builds the stored form of a response, or returns nil when it
// could never be used (Vary: *, or stale at once with nothing to
// revalidate with).
func (t *Transport) newEntry(req *http.Request, lk lookup, resp *http.Response, reqTime, respTime time.Time) (*Response, []string) {
	names, star := t.o.varyNames(resp.Header)
	if star {
		return nil, nil
	}
	h := storedHeader(resp.Header)
	if t.o.carriesIgnoredParam(h) {
		// A redirect (or Content-Location) naming a credential: the
		// header cannot be stored without it, nor changed without
		// sending the client elsewhere, so the response is not stored.
		return nil, nil
	}
	e := &Response{
		Version:       FormatVersion,
		Method:        req.Method,
		URL:           lk.normURL,
		RequestHeader: t.o.storedRequestHeader(req.Header, names),
		StatusCode:    resp.StatusCode,
		Proto:         resp.Proto,
		Header:        h,
		RequestTime:   reqTime,
		ResponseTime:  respTime,
		Vary:          names,
	}
	if !t.setFreshness(e, lk, resp.Header) {
		return nil, nil
	}
	return e, names
}

// setFreshness works out e's expiry, directives and TTL from its headers
// and the configured expiry (see the package documentation for the
// precedence); respHeader is the header as received, with its Age. It
// returns false when e could never be used.
func (t *Transport) setFreshness(e *Response, lk lookup, respHeader http.Header) bool {
	var (
		lifetime time.Duration
		never    bool
		decided  bool
		d        = noDirectives
	)
	e.InitialAge = initialAge(respHeader, e.RequestTime, e.ResponseTime)
	if t.o.cacheControl {
		d = parseDirectives(e.Header)
		lifetime, decided = explicitLifetime(e.Header, d, t.o.shared, e.ResponseTime)
		if decided {
			lifetime -= e.InitialAge
		}
	}
	if !decided && lk.expiry.IsSet() {
		var limited bool
		lifetime, limited = lk.expiry.lifetime(e.ResponseTime)
		never, decided = !limited, true
	}
	if !decided {
		if t.o.cacheControl {
			if h, ok := heuristicLifetime(e.Header, e.StatusCode, d, e.ResponseTime); ok {
				lifetime = h - e.InitialAge
			}
		} else {
			never = true
		}
	}
	if t.o.cacheControl && d.noCache {
		never, lifetime = false, 0
	}
	e.MustRevalidate = d.mustRevalidate || d.noCache || (t.o.shared && d.proxyRevalidate)
	e.Immutable = d.immutable
	e.StaleIfError = max(d.staleIfError, 0)
	e.StaleWhileRevalidate = max(d.staleRevalidate, 0)
	if never {
		e.Expires, e.Until = time.Time{}, time.Time{}
		return true
	}
	e.Expires = e.ResponseTime.Add(max(lifetime, 0))
	window := max(e.StaleIfError, e.StaleWhileRevalidate)
	if !e.MustRevalidate {
		window = max(window, t.o.staleIfError, t.o.staleRevalidate)
	}
	switch {
	case lifetime <= 0 && window <= 0 && !e.hasValidator():
		return false
	case t.o.keepStale <= 0:
		e.Until = time.Time{} // kept stale until DeleteExpired removes it
	default:
		e.Until = e.Expires.Add(max(window, t.o.keepStale))
	}
	return true
}

// merge refreshes stale with a 304 answer (RFC 9111 4.3.4): the 304's
// headers replace the stored ones, and freshness is worked out anew. It
// returns the refreshed entry, stored, or nil when the 304 forbids
// storing.
func (t *Transport) merge(req *http.Request, lk lookup, stale *Response, resp *http.Response, reqTime, respTime time.Time) *Response {
	if t.o.cacheControl && parseDirectives(resp.Header).noStore {
		return nil
	}
	e := *stale
	e.Header = stale.Header.Clone()
	for k, v := range storedHeader(resp.Header) {
		if k == "Content-Length" {
			continue
		}
		e.Header[k] = v
	}
	e.RequestTime, e.ResponseTime = reqTime, respTime
	if !t.setFreshness(&e, lk, resp.Header) {
		return nil
	}
	if !t.store(req, lk, &e, e.Vary) {
		return nil
	}
	return &e
}

// drain reads a little of body so that the connection can be reused, and
// closes it.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	body.Close()
}

// readUpTo reads r to its end if it holds at most limit bytes (any size
// when limit <= 0). Otherwise it returns the limit+1 bytes read so far and
// rest, the unread remainder.
func readUpTo(r io.Reader, limit int64) (buf []byte, rest io.Reader, err error) {
	if limit <= 0 {
		buf, err = io.ReadAll(r)
		return buf, nil, err
	}
	buf, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return buf, nil, err
	}
	if int64(len(buf)) > limit {
		return buf, r, nil
	}
	return buf, nil, nil
}

// errOr returns rest, or a reader that fails with err.
func errOr(rest io.Reader, err error) io.Reader {
	if err != nil {
		return errReader{err}
	}
	return rest
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// joinedBody is a body made of what was buffered and what is left; Close
// closes the original body.
type joinedBody struct {
	io.Reader
	c io.Closer
}

func (b *joinedBody) Close() error { return b.c.Close() }
