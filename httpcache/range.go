package httpcache

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rangeSpec is one byte range of a Range request (RFC 9110 14.1.2):
// first-last, first- (last < 0) or, with suffix, the last n bytes
// (n in last).
type rangeSpec struct {
	first, last int64
	suffix      bool
}

// byteRange is a satisfiable range: bytes first to last, inclusive, of a
// representation of size bytes; base is the position of the first byte
// of the stored body it is cut from (a stored part's first byte).
type byteRange struct{ first, last, size, base int64 }

// parseRange parses a Range field value holding one byte range
// (first-last, first-, -suffix; the unit is case-insensitive). It
// returns false for anything else: another unit, several ranges, invalid
// syntax, last before first (14.1.1); such requests go to the origin
// untouched. It is pure.
func parseRange(v string) (rangeSpec, bool) {
	unit, set, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") || strings.Contains(set, ",") {
		return rangeSpec{}, false
	}
	firstS, lastS, ok := strings.Cut(strings.Trim(set, " \t"), "-")
	if !ok {
		return rangeSpec{}, false
	}
	if firstS == "" {
		n, ok := digits(lastS)
		return rangeSpec{last: n, suffix: true}, ok
	}
	first, ok := digits(firstS)
	if !ok {
		return rangeSpec{}, false
	}
	if lastS == "" {
		return rangeSpec{first: first, last: -1}, true
	}
	last, ok := digits(lastS)
	return rangeSpec{first: first, last: last}, ok && last >= first
}

// requestRange returns the one byte range of a GET (the only method
// range handling is defined for, RFC 9110 14.2) with a single Range
// field line, and false for any other request.
func requestRange(req *http.Request) (rangeSpec, bool) {
	if v := req.Header["Range"]; len(v) == 1 && req.Method == http.MethodGet {
		return parseRange(v[0])
	}
	return rangeSpec{}, false
}

// digits parses 1*DIGIT; values past int64 are capped (a position past
// any representation's end).
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 1<<63 - 1, true
	}
	return n, true
}

// resolve returns the bytes r selects of a representation of size bytes,
// and false when it is unsatisfiable (RFC 9110 14.1.1): a first position
// at or past the end, a zero suffix, or an empty representation.
func (r rangeSpec) resolve(size int64) (byteRange, bool) {
	switch {
	case size <= 0:
		return byteRange{}, false
	case r.suffix && r.last == 0:
		return byteRange{}, false
	case r.suffix:
		return byteRange{first: max(size-r.last, 0), last: size - 1, size: size}, true
	case r.first >= size:
		return byteRange{}, false
	case r.last < 0 || r.last >= size:
		return byteRange{first: r.first, last: size - 1, size: size}, true
	}
	return byteRange{first: r.first, last: r.last, size: size}, true
}

// rangeAnswer is how a Range request is answered from a stored response.
type rangeAnswer uint8

const (
	// rangeFull: the whole response (not a complete 200, or If-Range
	// does not match: RFC 9110 13.1.5).
	rangeFull rangeAnswer = iota
	// rangePartial: 206 with the range (RFC 9110 15.3.7).
	rangePartial
	// rangeUnsatisfiable: 416 (RFC 9110 15.5.17).
	rangeUnsatisfiable
	// rangeMiss: a stored part that does not hold the range (or an
	// If-Range that does not match it): it cannot answer (RFC 9111 3.3).
	rangeMiss
)

// status is the status code of the answer a to a stored response of
// status code stored.
func (a rangeAnswer) status(stored int) int {
	switch a {
	case rangePartial:
		return http.StatusPartialContent
	case rangeUnsatisfiable:
		return http.StatusRequestedRangeNotSatisfiable
	}
	return stored
}

// selectRange decides how the request for r, with If-Range value
// ifRange ("" when absent), is answered from stored e. It is pure.
func selectRange(r rangeSpec, ifRange string, e *Response) (rangeAnswer, byteRange) {
	if part, ok := partOf(e); ok {
		return selectFromPart(r, ifRange, e, part)
	}
	if e.StatusCode != http.StatusOK || (ifRange != "" && !ifRangeMatches(ifRange, e)) {
		return rangeFull, byteRange{}
	}
	br, ok := r.resolve(int64(len(e.Body)))
	if !ok {
		return rangeUnsatisfiable, byteRange{size: int64(len(e.Body))}
	}
	return rangePartial, br
}

// selectFromPart answers the request for r from a stored part of e, when
// the range lies wholly within it (RFC 9111 3.3); otherwise rangeMiss.
func selectFromPart(r rangeSpec, ifRange string, e *Response, part byteRange) (rangeAnswer, byteRange) {
	if ifRange != "" && !ifRangeMatches(ifRange, e) {
		return rangeMiss, byteRange{}
	}
	br, ok := r.resolve(part.size)
	if !ok || br.first < part.first || br.last > part.last {
		return rangeMiss, byteRange{}
	}
	br.base = part.first
	return rangePartial, br
}

// ifRangeMatches evaluates If-Range against e (RFC 9110 13.1.5): an
// entity tag matches by strong comparison; a date matches when it is
// e's Last-Modified exactly and that is a strong validator, at least a
// second before e's Date (8.8.2.2).
func ifRangeMatches(v string, e *Response) bool {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "W/") {
		etag := e.Header.Get("ETag")
		return !strings.HasPrefix(v, "W/") && etag != "" && !strings.HasPrefix(etag, "W/") && v == etag
	}
	date, ok := parseHTTPDate(v, e.ResponseTime)
	if !ok {
		return false
	}
	lm, ok := headerDate(e.Header, "Last-Modified", e.ResponseTime)
	if !ok || !lm.Equal(date) {
		return false
	}
	served, ok := headerDate(e.Header, "Date", e.ResponseTime)
	return ok && served.Sub(lm) >= time.Second
}

// partialResponse turns resp, built from stored e, into the answer a
// selects (RFC 9110 15.3.7, 15.5.17); rangeFull leaves it whole.
func partialResponse(resp *http.Response, e *Response, a rangeAnswer, br byteRange) *http.Response {
	size := strconv.FormatInt(br.size, 10)
	switch a {
	case rangePartial:
		n := br.last - br.first + 1
		resp.StatusCode, resp.Status = http.StatusPartialContent, "206 Partial Content"
		resp.Header["Content-Range"] = []string{"bytes " + strconv.FormatInt(br.first, 10) + "-" + strconv.FormatInt(br.last, 10) + "/" + size}
		resp.Header["Content-Length"] = []string{strconv.FormatInt(n, 10)}
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(e.Body[br.first-br.base:br.last-br.base+1])), n
	case rangeUnsatisfiable:
		resp.StatusCode, resp.Status = http.StatusRequestedRangeNotSatisfiable, "416 Range Not Satisfiable"
		resp.Header["Content-Range"] = []string{"bytes */" + size}
		resp.Header["Content-Length"] = []string{"0"}
		delete(resp.Header, "Content-Type")
		delete(resp.Header, "Content-Encoding")
		resp.Body, resp.ContentLength = http.NoBody, 0
	}
	return resp
}

// withoutRange returns a copy of req without Range and If-Range: the
// request that revalidates (or refetches) the whole stored response a
// Range request is answered from.
func withoutRange(req *http.Request) *http.Request {
	if len(req.Header["Range"]) == 0 && len(req.Header["If-Range"]) == 0 {
		return req
	}
	r2 := shallowCopy(req)
	r2.Header = req.Header.Clone()
	delete(r2.Header, "Range")
	delete(r2.Header, "If-Range")
	return r2
}
