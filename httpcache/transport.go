package httpcache

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

// Transport is an http.RoundTripper that answers requests from a cache of
// responses kept in a kv.Store, and fetches from its base RoundTripper
// (the origin) what the cache cannot answer. It is safe for concurrent use.
// Make one with New, NewMemory or NewFromStores.
type Transport struct {
	o       options
	resp    *responseStore
	aliases aliasStore // chosen once, in New: a redirects store, or the responses store
	owned   []func() error
	// untimed: no store call is ever timed (in-memory stores, or
	// WithStoreTimeout(0)), so requests need no budget of their own.
	untimed bool

	flight      flight
	uncacheable marks
	leases      *leases // WithLeases; nil when off

	m        *metrics
	breakers metric.Registration // the breaker state callback; nil if none

	closed   atomic.Bool
	bgMu     sync.Mutex
	bgKeys   map[string]bool
	bgWG     sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
}

// New returns a Transport that keeps responses in responses and redirect
// aliases in redirects. With a nil redirects, aliases are kept in
// responses as entries of KindAlias. A nil responses is an in-memory
// store that the Transport opens, and closes in Close. Stores given by
// the caller stay the caller's: Close does not close them.
func New(responses kv.Store[string, *Response], redirects kv.Store[string, string], opts ...Option) *Transport {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	slices.Sort(o.matchHeaders)
	o.matchHeaders = slices.Compact(o.matchHeaders)
	t := &Transport{o: o, bgKeys: map[string]bool{}, m: newMetrics(o.meterProvider)}
	if responses == nil {
		m := memory.New[string, *Response]()
		responses = m
		t.owned = append(t.owned, m.Close)
	}
	rep := &reporter{hook: o.hook, logger: o.logger}
	t.resp = &responseStore{g: newGuarded(responses, "responses", "", &o, rep, t.m), now: o.now, vary: o.normalizers()}
	t.untimed = o.storeTimeout <= 0 || (isMemory(responses) && (redirects == nil || isMemory(redirects)))
	names, brs := []string{"responses"}, []*breaker{t.resp.g.br}
	if redirects != nil {
		own := &ownAliases{g: newGuarded(redirects, "redirects", " redirect", &o, rep, t.m), now: o.now}
		t.aliases = own
		names, brs = append(names, "redirects"), append(brs, own.g.br)
	} else {
		t.aliases = inlineAliases{t.resp}
	}
	if t.leases = newLeases(&o, rep, t.m); t.leases != nil {
		names, brs = append(names, "leases"), append(brs, t.leases.g.br)
	}
	t.breakers = t.m.observeBreakers(names, brs)
	t.bgCtx, t.bgCancel = context.WithCancel(context.Background())
	return t
}

// newGuarded puts store behind its guard. Breakers are per store: the
// stores may be separate backends (Redis for responses, SQLite for
// redirects, say), and one failing says nothing of the other. The memory
// store never blocks: its calls are neither timed nor run apart (which
// would cost a timer and a goroutine per call on the hit path).
func newGuarded[V any](store kv.Store[string, V], name, suffix string, o *options, rep *reporter, m *metrics) guarded[V] {
	inMemory := isMemory(store)
	return guarded[V]{
		store: store, name: name, suffix: suffix,
		br:      newBreaker(name, o.breakerMin, o.breakerMax),
		timeout: o.storeTimeout, inMemory: inMemory, readOnly: o.readOnly, rep: rep, m: m.forStore(name),
	}
}

// isMemory reports the in-memory store, whose calls never block.
func isMemory[V any](s kv.Store[string, V]) bool {
	_, ok := s.(*memory.Store[string, V])
	return ok
}

// NewMemory returns a Transport over two in-memory stores that it opens,
// and closes in Close.
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
// store (one table, one key prefix) can hold the whole cache. The stores
// stay the caller's: Close does not close them, so the caller closes them
// after the Transport.
func NewFromStores(responses, redirects kv.Store[string, []byte], opts ...Option) *Transport {
	typed := kv.Typed(responses, kv.StringKeys(), kv.CBOR[*Response]())
	var aliases kv.Store[string, string]
	if redirects != nil {
		aliases = kv.Typed(redirects, kv.StringKeys(), kv.String())
	}
	return New(typed, aliases, opts...)
}

// Client returns an *http.Client that sends its requests through t.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// Close cancels background revalidations and waits for them,
// unregisters the callback that observes the breakers (see
// WithMeterProvider), then closes the stores t opened itself (see New and
// NewMemory); stores the caller gave are left open. Store calls abandoned
// at their deadline are not waited for. Afterwards requests go straight
// to the base RoundTripper, uncounted. Close is idempotent.
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
	if t.breakers != nil {
		if err := t.breakers.Unregister(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range t.owned {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RoundTrip answers req from the cache or from the origin. It never fails
// because of the cache: store errors are reported to the error hook and
// the origin is used. Errors are those of the base RoundTripper.
//
// A request goes through three steps: resolve works out once what the
// request is (its keys, directives, control, store budget) and reads what
// is stored for it; decide, a pure function, chooses an action; an
// executor carries it out.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.closed.Load() {
		return t.o.base.RoundTrip(req)
	}
	start := t.m.start(req.Context())
	resp, err := t.roundTrip(req)
	t.m.request(req.Context(), resp, err, start)
	return resp, err
}

// roundTrip is RoundTrip's three steps.
func (t *Transport) roundTrip(req *http.Request) (*http.Response, error) {
	var lk lookup
	if !t.resolve(req, &lk) {
		resp, err := t.bypass(lk.req)
		if err == nil {
			lk.out = outcome{forwarded: true, fwdStatus: resp.StatusCode}
			t.addCacheStatus(&lk, resp, time.Time{})
		}
		return resp, err
	}
	s, now := t.lookupStored(&lk)
	d := decide(&lk, s, t.policy(), now)
	lk.fwd = forwardReason(&lk, s, d, now)
	resp, err := t.act(&lk, d, now)
	if err != nil || d.act == actGatewayTimeout || lk.out.marked {
		// A 504 the cache makes up gets no member (RFC 9211 2); serve
		// has added it to responses built from a stored one.
		return resp, err
	}
	t.addCacheStatus(&lk, resp, t.o.now())
	return resp, nil
}

// sendOrigin sends req to the origin, and counts it.
func (t *Transport) sendOrigin(req *http.Request) (*http.Response, error) {
	resp, err := t.o.base.RoundTrip(req)
	t.m.originRequest(req.Context(), resp, err)
	return resp, err
}

// policy returns what decide needs of the options.
func (t *Transport) policy() policy { return policy{staleRevalidate: t.o.staleRevalidate} }

// act carries out decision d for lk, made at now.
func (t *Transport) act(lk *lookup, d decision, now time.Time) (*http.Response, error) {
	switch d.act {
	case actBypass:
		resp, err := t.bypass(lk.req)
		if err == nil {
			lk.out = outcome{forwarded: true, fwdStatus: resp.StatusCode}
		}
		return resp, err
	case actHit:
		return t.serve(lk, d.entry, Hit, now), nil
	case actStale:
		return t.serve(lk, d.entry, Stale, now), nil
	case actStaleRevalidate:
		t.revalidateInBackground(lk, d.entry)
		return t.serve(lk, d.entry, Stale, now), nil
	case actNotModified:
		lk.out.entry = d.entry
		return notModifiedResponse(lk.req, d.entry, now), nil
	case actAliasHit:
		return t.serveAlias(lk, d.entry, now), nil
	case actGatewayTimeout:
		return gatewayTimeout(lk.req), nil
	}
	return t.fetch(lk, d.entry)
}

// notModifiedResponse is the 304 a cache sends for e (RFC 9110 15.4.5).
func notModifiedResponse(req *http.Request, e *Response, now time.Time) *http.Response {
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

// bypass sends req to the origin without the cache, and invalidates after
// a successful unsafe request.
func (t *Transport) bypass(req *http.Request) (*http.Response, error) {
	resp, err := t.sendOrigin(req)
	if err != nil {
		return nil, err
	}
	t.invalidateAfter(req, resp, t.newBudget())
	resp.Header.Set(StatusHeader, string(Bypass))
	return resp, nil
}

// serve builds the response to lk's request from a stored entry, and
// records the redirects that led to it.
func (t *Transport) serve(lk *lookup, e *Response, status Status, now time.Time) *http.Response {
	if lk.req.Response != nil {
		t.recordRedirects(lk, e.Until)
	}
	if lk.out.entry == nil {
		lk.out.entry = e
	}
	lk.out.marked = true
	a, br := rangeFull, byteRange{}
	if lk.hasRange {
		a, br = selectRange(lk.rng, lk.req.Header.Get("If-Range"), e)
	}
	if t.o.csName == "" {
		return partialResponse(e.httpResponse(lk.req, status, now), e, a, br)
	}
	m := t.cacheStatusMember(lk, a.status(e.StatusCode), now)
	return partialResponse(e.httpResponseStatus(lk.req, status, now, t.o.csName, m), e, a, br)
}

// serveAlias serves the entry a redirect alias led to. As after the
// redirects it stands for, the response's Request names the final URL.
func (t *Transport) serveAlias(lk *lookup, e *Response, now time.Time) *http.Response {
	resp := t.serve(lk, e, Hit, now)
	if u, err := url.Parse(e.URL); err == nil {
		final := shallowCopy(lk.req)
		final.URL, final.Host = u, u.Host
		resp.Request = final
	}
	return resp
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
