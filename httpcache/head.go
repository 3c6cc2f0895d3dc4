package httpcache

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// headMatches reports whether a HEAD's 200 with header head describes
// the representation of stored, a stored GET response (RFC 9111 4.3.5):
// each validator field it carries (ETag, Last-Modified) has the stored
// value, and so has its Content-Length when it has one. A HEAD response
// with no validator matches only a stored response with none, as a 304
// without one selects only such a response (4.3.4). It is pure.
func headMatches(stored *Response, head http.Header) bool {
	etag, lm := head.Get("ETag"), head.Get("Last-Modified")
	switch {
	case etag == "" && lm == "" && stored.hasValidator():
		return false
	case etag != "" && etag != stored.Header.Get("ETag"):
		return false
	case lm != "" && !sameDate(lm, stored.Header.Get("Last-Modified")):
		return false
	}
	cl := head.Get("Content-Length")
	return cl == "" || cl == storedLength(stored)
}

// storedLength is the Content-Length of a stored response.
func storedLength(e *Response) string {
	if cl := e.Header.Get("Content-Length"); cl != "" {
		return cl
	}
	return strconv.Itoa(len(e.Body))
}

// freshenFromHead updates the stored GET response a HEAD request could
// have been answered with from the origin's answer resp when it is a 200
// that matches (headMatches), and makes it stale when it does not (RFC
// 9111 4.3.5). stale is the entry the HEAD's lookup found, nil when none.
// Other requests and answers are left alone.
func (t *Transport) freshenFromHead(lk *lookup, stale *Response, resp *http.Response, reqTime, now time.Time) {
	if lk.req.Method != http.MethodHead || resp.StatusCode != http.StatusOK || !t.o.methods[http.MethodGet] {
		return
	}
	h := resp.Header
	ctx, key := context.WithoutCancel(lk.req.Context()), t.getKey(lk)
	e := stale
	if e == nil || e.Method != http.MethodGet {
		e = t.resp.load(ctx, lk.wait, key, lk.req.Header)
	}
	if e == nil {
		return
	}
	var updated *Response
	if headMatches(e, h) {
		updated = t.refreshed(lk, e, h, reqTime, now)
	}
	if updated == nil {
		if !e.fresh(now) {
			return
		}
		marked := *e
		marked.Expires = now
		updated = &marked
	}
	t.resp.store(ctx, lk.wait, key, lk.req.Header, updated, updated.Vary)
}
