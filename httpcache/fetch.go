package httpcache

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// fetch gets the response to lk's request from the origin, revalidating
// stale when given, with identical concurrent fetches merged into one: the
// first leads, the others follow (wait for its result), unless the key is
// marked as answered uncacheably of late, in which case waiting gains
// nothing and each goes to the origin at once.
func (t *Transport) fetch(lk *lookup, stale *Response) (*http.Response, error) {
	key := lk.flightKey()
	if t.uncacheable.has(key) {
		resp, _, err := t.fetchOrigin(lk, stale, nil)
		return resp, err
	}
	c, leader := t.flight.join(key)
	if !leader {
		return t.follow(lk, stale, c)
	}
	var res flightResult
	defer func() { t.flight.finish(key, c, res) }()
	resp, res, err := t.lead(lk, stale, c)
	return resp, err
}

// lead fetches for lk as the leader of call c.
func (t *Transport) lead(lk *lookup, stale *Response, c *call) (*http.Response, flightResult, error) {
	if lk.ctl.forceRefresh || lk.ctl.refresh || lk.dir.noCache {
		return t.fetchOrigin(lk, stale, c)
	}
	if t.leases != nil {
		return t.leadAcross(lk, stale, c) // it looks again once it holds the lease
	}
	// An identical request may have stored a response between this
	// request's lookup and its turn to lead: look again.
	if e, now := t.storedFresh(lk, stale); e != nil {
		return t.serve(lk, e, Hit, now), flightResult{entry: e, status: Hit}, nil
	}
	return t.fetchOrigin(lk, stale, c)
}

// storedFresh returns the response stored for lk when it may be served
// fresh and is newer than stale (nil when none), and the time it read it.
func (t *Transport) storedFresh(lk *lookup, stale *Response) (*Response, time.Time) {
	e := t.resp.load(lk.req.Context(), lk.wait, lk.primary, lk.req.Header)
	now := t.o.now()
	if e != nil && (stale == nil || e.ResponseTime.After(stale.ResponseTime)) && freshFor(e, lk.dir, now) && t.passes(lk.req, e, now) {
		lk.out.entry = e
		return e, now
	}
	return nil, now
}

// follow waits for the leader of c and serves what it shares; when it
// shares nothing, lk's request goes to the origin itself.
func (t *Transport) follow(lk *lookup, stale *Response, c *call) (*http.Response, error) {
	res, err := c.wait(lk.req.Context())
	if err != nil {
		return nil, err
	}
	if res.entry != nil {
		lk.out.collapsed = true
		if !res.transient {
			lk.out.entry = res.entry
		}
	}
	switch {
	case res.entry == nil:
		resp, _, err := t.fetchOrigin(lk, stale, nil)
		return resp, err
	case res.transient:
		// Not stored (uncacheable): served as the origin's answer it is.
		return res.entry.httpResponse(lk.req, Miss, t.o.now()), nil
	case res.status == Miss:
		return t.serve(lk, res.entry, Hit, t.o.now()), nil
	}
	return t.serve(lk, res.entry, res.status, t.o.now()), nil
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

// fetchOrigin sends lk's request (conditionally when stale has
// validators) and handles the answer: 304 refreshes stale, errors may
// serve stale, other answers are stored when they may be. c is the call
// lk leads (nil when none): its followers may share the answer.
func (t *Transport) fetchOrigin(lk *lookup, stale *Response, c *call) (*http.Response, flightResult, error) {
	out, cond := t.originRequest(lk, stale)
	reqTime := t.o.now()
	resp, err := t.sendOrigin(out)
	now := t.o.now()
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	lk.out = outcome{forwarded: true, fwdStatus: status}
	switch decideAnswer(lk, stale, cond, err != nil, status, t.o.staleIfError, now) {
	case ansError:
		return nil, flightResult{}, err
	case ansGatewayTimeout:
		if lk.req.Context().Err() != nil {
			return nil, flightResult{}, err // the caller has gone: no one reads a 504
		}
		lk.out.entry = stale
		return gatewayTimeout(lk.req), flightResult{}, nil
	case ansStaleOnError:
		if resp != nil {
			drain(resp.Body)
		}
		lk.out.entry = stale
		return t.serve(lk, stale, Stale, now), flightResult{entry: stale, status: Stale}, nil
	case ansMerge:
		drain(resp.Body)
		if !updates(stale.Header, resp.Header) {
			// The 304 names another representation: it may update
			// nothing (RFC 9111 4.3.4). Ask again, unconditionally.
			return t.fetchOrigin(lk, nil, c)
		}
		lk.out.entry = stale
		if merged := t.merge(lk, stale, resp, reqTime, now); merged != nil {
			lk.out.entry, lk.out.stored = merged, true
			return t.serve(lk, merged, Revalidated, now), flightResult{entry: merged, status: Revalidated}, nil
		}
		return t.serve(lk, stale, Revalidated, now), flightResult{}, nil
	}
	return t.keep(lk, stale, resp, reqTime, now, c)
}

// originRequest returns the request to send to the origin for lk: a
// conditional one when stale has validators (RFC 9111 4.3.1), and
// whether it is.
func (t *Transport) originRequest(lk *lookup, stale *Response) (*http.Request, bool) {
	if stale == nil || lk.ctl.forceRefresh || !stale.hasValidator() {
		return lk.req, false
	}
	out := lk.req.Clone(lk.req.Context())
	// A Range request revalidates the whole stored response it is to
	// be answered from.
	delete(out.Header, "Range")
	delete(out.Header, "If-Range")
	if lk.body != nil {
		out.Body = io.NopCloser(bytes.NewReader(lk.body))
	}
	if v := stale.Header.Get("ETag"); v != "" {
		out.Header.Set("If-None-Match", v)
	}
	if v := stale.Header.Get("Last-Modified"); v != "" {
		out.Header.Set("If-Modified-Since", v)
	}
	return out, true
}

// keep passes the origin's answer on, and stores it when it may be
// stored; c's followers share it when they may.
func (t *Transport) keep(lk *lookup, stale *Response, resp *http.Response, reqTime, now time.Time, c *call) (*http.Response, flightResult, error) {
	req := lk.req
	t.invalidateAfter(req, resp, lk.wait)
	t.freshenFromHead(lk, stale, resp, reqTime, now)
	resp.Header.Set(StatusHeader, string(Miss))
	if !t.mayStore(req, resp) {
		if stale != nil && resp.StatusCode < 500 {
			_ = t.deleteURLKey(context.WithoutCancel(req.Context()), lk.wait, lk.primary)
		}
		return t.passUncacheable(lk, resp, now, c)
	}
	if t.o.maxBody > 0 && resp.ContentLength > t.o.maxBody && req.Method != http.MethodHead {
		t.uncacheable.mark(lk.flightKey())
		return resp, flightResult{}, nil
	}
	// Decide from the headers alone whether the response is worth keeping,
	// so that one that is not (an event stream, say) is never buffered.
	entry, names := t.newEntry(lk, resp, reqTime, now)
	if entry == nil {
		return t.passUncacheable(lk, resp, now, c)
	}
	body, ok := t.buffer(resp)
	if !ok {
		return resp, flightResult{}, nil
	}
	entry.Body = body
	if req.Method != http.MethodHead {
		entry.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	t.uncacheable.clear(lk.flightKey())
	key := lk.primary
	if entry.StatusCode == http.StatusPartialContent {
		if entry, key = t.withStoredPart(lk, stale, entry); entry == nil {
			return resp, flightResult{}, nil
		}
	}
	lk.out.entry = entry
	if t.resp.store(req.Context(), lk.wait, key, req.Header, entry, names) {
		lk.out.stored = true
		t.recordRedirects(lk, entry.Until)
	}
	if t.o.answersGet(req, lk.normURL, entry, now) {
		t.storeAsGet(lk, entry, names)
	}
	if lk.hasRange {
		// The origin sent the whole response to a Range request: the
		// range is cut from it, as from any stored response.
		return t.serve(lk, entry, Miss, now), flightResult{entry: entry, status: Miss}, nil
	}
	// Identical requests waiting for this one share the response even when
	// the store did not take it (down, or skipped by the breaker): it is
	// one the cache would have served them, and while a store is down is
	// when sparing the origin matters most.
	return resp, flightResult{entry: entry, status: Miss}, nil
}

// buffer reads resp's body when it is at most the body size limit, and
// gives resp a body that reads the buffer. A larger body, or one that
// fails part way, is passed on unbuffered: it returns false.
func (t *Transport) buffer(resp *http.Response) ([]byte, bool) {
	body, rest, err := readUpTo(resp.Body, t.o.maxBody)
	if rest != nil || err != nil {
		resp.Body = &joinedBody{Reader: io.MultiReader(bytes.NewReader(body), errOr(rest, err)), c: resp.Body}
		return nil, false
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return body, true
}

// passUncacheable passes on an answer that is not stored. Followers of c
// (identical requests that arrived while it was fetched) share it when the
// cache's mode allows (see shareable); when it does not, the key is
// marked for a while, so that identical requests go straight to the
// origin rather than queue behind one another.
func (t *Transport) passUncacheable(lk *lookup, resp *http.Response, now time.Time, c *call) (*http.Response, flightResult, error) {
	if !t.shareable(lk.req, resp) {
		t.uncacheable.mark(lk.flightKey())
		return resp, flightResult{}, nil
	}
	if c == nil || !c.followed() {
		return resp, flightResult{}, nil
	}
	body, ok := t.buffer(resp)
	if !ok {
		return resp, flightResult{}, nil
	}
	e := &Response{
		Version: FormatVersion, Method: lk.req.Method, URL: lk.normURL,
		StatusCode: resp.StatusCode, Proto: resp.Proto, Header: storedHeader(resp.Header), Body: body,
		RequestTime: now, ResponseTime: now, InitialAge: initialAge(resp.Header, now, now), Expires: now,
	}
	return resp, flightResult{entry: e, status: Miss, transient: true}, nil
}

// shareable reports whether an answer that is not stored may be handed
// to identical concurrent requests. A private cache serves one user: it
// may, unless the answer is an endless event stream. A shared cache
// serves many, who may send identical requests: it never shares a
// response marked private, no-store or no-cache (qualified or not), one that
// sets a cookie, nor one to a request with credentials (RFC 9111 3.5,
// 5.2.2.3, 5.2.2.4, 5.2.2.7).
func (t *Transport) shareable(req *http.Request, resp *http.Response) bool {
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return false
	}
	if !t.o.shared {
		return true
	}
	if len(req.Header["Authorization"]) > 0 || len(req.Header["Cookie"]) > 0 || len(resp.Header["Set-Cookie"]) > 0 {
		return false
	}
	d := t.o.responseDirectives(resp.Header)
	return !d.private && !d.noStore && !d.noCache && len(d.privateFields) == 0 && len(d.noCacheFields) == 0
}

// mayStore applies the configured filters and the RFC 9111 rules that do
// not need the body.
func (t *Transport) mayStore(req *http.Request, resp *http.Response) bool {
	if !t.storableCode(req, resp) {
		return false
	}
	if t.o.filter != nil && !t.o.filter(resp) {
		return false
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return false // a stream without end
	}
	return t.o.storableResponse(resp.StatusCode, resp.Header, len(req.Header["Authorization"]) > 0)
}

// storableCode reports a status code whose responses are stored: an
// allowed one (WithAllowedCodes), or a single-part 206 to a one-range GET
// when 200 is allowed (RFC 9111 3.3; a 206 to any other request is never
// stored).
func (t *Transport) storableCode(req *http.Request, resp *http.Response) bool {
	if resp.StatusCode != http.StatusPartialContent {
		return t.o.codeAllowed(resp.StatusCode)
	}
	_, oneRange := requestRange(req)
	return oneRange && t.o.codeAllowed(http.StatusOK) && len(resp.Header["Content-Range"]) == 1
}

// storable applies the response directives that forbid storing (RFC 9111
// 3, 3.5, 5.2.2.5, 5.2.2.7) in a private or shared cache, for a request
// with or without Authorization.
func storable(d directives, shared, authorized bool) bool {
	switch {
	case d.noStore:
		return false
	case !shared:
		return true
	case d.private:
		return false
	}
	return !authorized || d.public || d.sMaxAge >= 0 || d.mustRevalidate
}

// newEntry builds the stored form of a response, or returns nil when it
// could never be used (Vary: *, or stale at once with nothing to
// revalidate with).
func (t *Transport) newEntry(lk *lookup, resp *http.Response, reqTime, respTime time.Time) (*Response, []string) {
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
		Method:        lk.req.Method,
		URL:           lk.normURL,
		RequestHeader: t.o.storedRequestHeader(lk.req.Header, names),
		StatusCode:    resp.StatusCode,
		Proto:         resp.Proto,
		Header:        h,
		RequestTime:   reqTime,
		ResponseTime:  respTime,
		Vary:          names,
	}
	if !t.setFreshness(e, lk.expiry, resp.Header) {
		return nil, nil
	}
	return e, names
}

// merge refreshes stale with a 304 answer (RFC 9111 4.3.4): the 304's
// headers replace the stored ones, and freshness is worked out anew. It
// returns the refreshed entry, stored, or nil when the 304 forbids
// storing.
func (t *Transport) merge(lk *lookup, stale *Response, resp *http.Response, reqTime, respTime time.Time) *Response {
	e := t.refreshed(lk, stale, resp.Header, reqTime, respTime)
	if e == nil || !t.resp.store(lk.req.Context(), lk.wait, t.entryKey(lk, stale), lk.req.Header, e, e.Vary) {
		return nil
	}
	return e
}

// refreshed returns a copy of stored updated with the header h of a 304
// or of a HEAD's 200 (RFC 9111 3.2): h's fields replace the stored ones
// (Content-Length aside), and freshness is worked out anew. It returns
// nil when h forbids storing, or the result could never be used.
func (t *Transport) refreshed(lk *lookup, stored *Response, h http.Header, reqTime, respTime time.Time) *Response {
	if t.o.cacheControl {
		if d := t.o.responseDirectives(h); !d.applyMustUnderstand(stored.StatusCode) || d.noStore {
			return nil
		}
	}
	e := *stored
	e.Header = stored.Header.Clone()
	for k, v := range storedHeader(h) {
		if k == "Content-Length" {
			continue
		}
		e.Header[k] = v
	}
	e.RequestTime, e.ResponseTime = reqTime, respTime
	if !t.setFreshness(&e, lk.expiry, h) {
		return nil
	}
	return &e
}

// entryKey returns the key e, a stored response selected for lk's
// request, lives under: the GET's for a HEAD answered from the GET's
// response (RFC 9110 9.3.2), else lk's own.
func (t *Transport) entryKey(lk *lookup, e *Response) string {
	switch {
	case e.StatusCode == http.StatusPartialContent:
		return partialKey(lk.primary)
	case lk.req.Method == http.MethodHead && e.Method == http.MethodGet:
		return t.getKey(lk)
	}
	return lk.primary
}

// getKey returns the key of a GET of lk's URL.
func (t *Transport) getKey(lk *lookup) string {
	get := shallowCopy(lk.req)
	get.Method = http.MethodGet
	return t.o.primaryKey(get, lk.normURL, nil)
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
