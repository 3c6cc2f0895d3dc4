package httpcache

import (
	"net/http"
	"strconv"
	"strings"
)

// partialKey is the key the stored parts of primary's representation
// (a 206, RFC 9111 3.3) are kept under, apart from the complete response.
func partialKey(primary string) string { return hashKey("partial", primary) }

// storedPart returns the stored part of lk's representation when it
// holds lk's range (the only requests a part may answer, RFC 9111 3.3),
// else nil.
func (t *Transport) storedPart(lk *lookup) *Response {
	e := t.resp.load(lk.req.Context(), lk.wait, partialKey(lk.primary), lk.req.Header)
	if e == nil {
		return nil
	}
	if a, _ := selectRange(lk.rng, lk.req.Header.Get("If-Range"), e); a == rangeMiss {
		return nil
	}
	return e
}

// withStoredPart returns the part e (a 206 to lk's range request)
// combined with the part stored before it when they combine
// (combineParts), and the key to store the result under: the part's
// key, or the complete response's once the parts make it whole (the
// stored part is then deleted). stale is the entry lk's lookup found. It
// returns nil when e is not a part that can be stored (several parts,
// or a body that is not its Content-Range).
func (t *Transport) withStoredPart(lk *lookup, stale, e *Response) (*Response, string) {
	if _, ok := partOf(e); !ok {
		return nil, ""
	}
	key := partialKey(lk.primary)
	old := stale
	if old == nil || old.StatusCode != http.StatusPartialContent {
		old = t.resp.load(lk.req.Context(), lk.wait, key, lk.req.Header)
	}
	if old != nil {
		if c := combineParts(old, e); c != nil {
			e = c
		}
	}
	if e.StatusCode == http.StatusOK {
		_ = t.resp.deleteKey(lk.req.Context(), lk.wait, key)
		return e, lk.primary
	}
	return e, key
}

// parseContentRange parses the Content-Range of a single-part 206,
// "bytes first-last/size" with the size known (RFC 9110 14.4); the part
// is first to last of size bytes. It is pure.
func parseContentRange(v string) (byteRange, bool) {
	unit, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return byteRange{}, false
	}
	span, sizeS, ok := strings.Cut(rest, "/")
	firstS, lastS, ok2 := strings.Cut(span, "-")
	if !ok || !ok2 {
		return byteRange{}, false
	}
	first, ok1 := digits(firstS)
	last, ok2 := digits(lastS)
	size, ok3 := digits(sizeS)
	if !ok1 || !ok2 || !ok3 || last < first || last >= size {
		return byteRange{}, false
	}
	return byteRange{first: first, last: last, size: size}, true
}

// partOf returns the part a stored 206 holds, and false when e is not
// one whose body is exactly its Content-Range.
func partOf(e *Response) (byteRange, bool) {
	if e.StatusCode != http.StatusPartialContent {
		return byteRange{}, false
	}
	p, ok := parseContentRange(e.Header.Get("Content-Range"))
	return p, ok && p.last-p.first+1 == int64(len(e.Body))
}

// strongETag returns e's ETag when it is a strong one.
func strongETag(e *Response) (string, bool) {
	etag := e.Header.Get("ETag")
	return etag, etag != "" && !strings.HasPrefix(etag, "W/")
}

// combineParts combines a stored part old with a newer part new of the
// same representation (RFC 9111 3.4): both with the same strong ETag and
// size, their ranges overlapping or adjacent. The result has new's
// headers (3.2) and the union of the bytes; once it holds them all it is
// a complete 200. It returns nil when the parts cannot be combined. It
// is pure.
func combineParts(old, new *Response) *Response {
	po, ok1 := partOf(old)
	pn, ok2 := partOf(new)
	eo, strong1 := strongETag(old)
	en, strong2 := strongETag(new)
	switch {
	case !ok1 || !ok2 || !strong1 || !strong2 || eo != en || po.size != pn.size:
		return nil
	case pn.first > po.last+1 || po.first > pn.last+1:
		return nil // a gap between them
	}
	first, last := min(po.first, pn.first), max(po.last, pn.last)
	body := make([]byte, last-first+1)
	copy(body[po.first-first:], old.Body)
	copy(body[pn.first-first:], new.Body)
	c := *new
	c.Header = new.Header.Clone()
	c.Body = body
	if first == 0 && last == pn.size-1 {
		c.StatusCode = http.StatusOK
		delete(c.Header, "Content-Range")
	} else {
		c.Header["Content-Range"] = []string{"bytes " + strconv.FormatInt(first, 10) + "-" + strconv.FormatInt(last, 10) + "/" + strconv.FormatInt(pn.size, 10)}
	}
	c.Header["Content-Length"] = []string{strconv.Itoa(len(body))}
	return &c
}
