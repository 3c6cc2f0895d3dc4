package httpcache

import (
	"bytes"
	"io"
	"net/http"
	"time"
)

// lookup is what the Transport works out about a request once (resolve)
// and passes down to the decision and the executors; nothing in it is
// computed again.
type lookup struct {
	req     *http.Request
	primary string // the key of the request's URL (and body)
	normURL string
	body    []byte     // the buffered request body; nil without one
	expiry  Expiry     // the configured expiry (per request, per URL, global)
	ctl     control    // per-request control from the context
	dir     directives // request directives (none when Cache-Control is off)
	// conditional: the request carries the caller's own validators.
	conditional bool
	// rng: the request's one byte range (GET only), when hasRange.
	rng      rangeSpec
	hasRange bool
	wait     *budget // what the request may still wait on stores
	fkey     string  // flightKey, once computed
	// fwd: why a request that resolve lets through untouched goes to
	// the origin (a Cache-Status forward reason).
	fwd string
	out outcome // what the executors did, for Cache-Status
}

// flightKey returns (and remembers) the key identical requests share.
func (lk *lookup) flightKey() string {
	if lk.fkey == "" {
		lk.fkey = flightKey(lk.primary, lk.req.Header)
	}
	return lk.fkey
}

var noDirectives = directives{maxAge: -1, sMaxAge: -1, maxStale: -1, minFresh: -1, staleIfError: -1, staleRevalidate: -1}

// resolve works out lk, the lookup of req, without calling a store; lk
// is the zero lookup (its fields are set one by one, not copied over it
// whole). It returns false when the request is to go to the origin
// untouched (bypass): lk.req is then the request to send, whose body may
// have been read in part.
func (t *Transport) resolve(req *http.Request, lk *lookup) bool {
	lk.req, lk.ctl, lk.conditional = req, controlOf(req.Context()), conditional(req.Header)
	lk.rng, lk.hasRange = requestRange(req)
	if t.o.cacheControl && (len(req.Header["Cache-Control"]) > 0 || len(req.Header["Pragma"]) > 0) {
		lk.dir = parseDirectives(req.Header)
	} else {
		lk.dir = noDirectives
	}
	if allowed := t.o.methods[req.Method]; bypassRequest(lk, allowed) {
		lk.fwd = fwdBypass
		if !allowed {
			lk.fwd = fwdMethod
		}
		return false
	}
	lk.fwd = fwdBypass
	if hasBody(req) && !t.bufferBody(lk) {
		return false
	}
	lk.normURL = t.o.normalizeURL(lk.req.URL)
	lk.expiry = t.configuredExpiry(lk.ctl, lk.normURL)
	if lk.expiry.kind == expiryDoNotCache || (lk.ctl.forceRefresh && lk.conditional) {
		return false
	}
	lk.primary = t.o.primaryKey(lk.req, lk.normURL, lk.body)
	lk.wait = t.newBudget()
	return true
}

// bufferBody reads the request body into lk when it is at most the body
// size limit, and makes lk.req a copy that can send it again. A larger
// body (or one that fails) is left to stream to the origin: lk.req then
// carries what was read and the rest, and bufferBody returns false.
func (t *Transport) bufferBody(lk *lookup) bool {
	req := lk.req
	body, rest, err := readUpTo(req.Body, t.o.maxBody)
	if rest != nil || err != nil {
		r2 := shallowCopy(req)
		r2.Body = &joinedBody{Reader: io.MultiReader(bytes.NewReader(body), errOr(rest, err)), c: req.Body}
		lk.req = r2
		return false
	}
	req.Body.Close()
	req = shallowCopy(req)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	lk.req = req
	lk.body = body
	if lk.body == nil {
		lk.body = []byte{}
	}
	return true
}

// stored is what the stores hold for a request: its entry, and the entry
// a redirect alias from its URL leads to.
type stored struct {
	entry   *Response
	aliased *Response
	// varyMiss: responses of other variants are stored for the URL,
	// none for the request's headers.
	varyMiss bool
}

// lookupStored reads what the stores hold for lk: the entry under its key
// (without one, its stand-in: standIn), and, when there is
// none and the decision may use one, the entry its redirect alias leads
// to. Entries the filter (WithFilter) rejects count as absent. It returns
// the time the decision is to be made at, read once the entry is in.
func (t *Transport) lookupStored(lk *lookup) (stored, time.Time) {
	var s stored
	if lk.ctl.forceRefresh {
		return s, t.o.now()
	}
	ctx, req := lk.req.Context(), lk.req
	s.entry, s.varyMiss = t.resp.loadVariant(ctx, lk.wait, lk.primary, req.Header)
	if s.entry == nil {
		s.entry = t.standIn(lk)
	}
	now := t.o.now()
	if s.entry != nil && !t.passes(req, s.entry, now) {
		s.entry = nil
	}
	if s.entry != nil || lk.conditional || (req.Method != http.MethodGet && req.Method != http.MethodHead) {
		return s, now
	}
	if target, ok := t.aliases.target(ctx, lk.wait, aliasKey(lk.primary)); ok {
		if e := t.resp.load(ctx, lk.wait, target, req.Header); e != nil && t.passes(req, e, now) {
			s.aliased = e
		}
	}
	return s, now
}

// standIn returns the stored response that may answer lk when nothing
// is stored under its key: for a HEAD the GET's (RFC 9110 9.3.2), for a
// one-range GET a stored part holding the range (RFC 9111 3.3); else nil.
func (t *Transport) standIn(lk *lookup) *Response {
	switch {
	case lk.req.Method == http.MethodHead && t.o.methods[http.MethodGet]:
		return t.resp.load(lk.req.Context(), lk.wait, t.getKey(lk), lk.req.Header)
	case lk.hasRange:
		return t.storedPart(lk)
	}
	return nil
}

// passes applies the filter (WithFilter) to a stored response.
func (t *Transport) passes(req *http.Request, e *Response, now time.Time) bool {
	return t.o.filter == nil || t.o.filter(e.httpResponse(req, Hit, now))
}

// bypassRequest reports a request that goes to the origin untouched,
// whatever is stored: the cache disabled for it (Disable), a method not
// cached, request no-store (RFC 9111 5.2.1.5), a Range request other
// than a GET of one byte range (several ranges, another unit; RFC 9111
// 3.4 leaves combining parts to caches that choose to), If-Range without
// such a Range, or preconditions a cache cannot evaluate for the origin
// (If-Match, If-Unmodified-Since: RFC 9110 13.2.1).
func bypassRequest(lk *lookup, methodAllowed bool) bool {
	h := lk.req.Header
	otherRange := !lk.hasRange && (len(h["Range"]) > 0 || len(h["If-Range"]) > 0)
	return lk.ctl.disable || !methodAllowed || lk.dir.noStore || otherRange || bypassHeaders(h)
}

// bypassHeaders reports a request with preconditions a cache cannot
// evaluate for the origin (If-Match, If-Unmodified-Since): it goes to
// the origin untouched.
func bypassHeaders(h http.Header) bool {
	return len(h["If-Match"]) > 0 || len(h["If-Unmodified-Since"]) > 0
}

// conditional reports a request carrying the caller's own validators.
func conditional(h http.Header) bool {
	return len(h["If-None-Match"]) > 0 || len(h["If-Modified-Since"]) > 0
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
