package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// TestParseRange checks the Range values answered from the cache (one
// byte range) and those forwarded (RFC 9110 14.1.2).
func TestParseRange(t *testing.T) {
	rows := []struct {
		rfc, in string
		want    rangeSpec
		ok      bool
	}{
		{"RFC 9110 14.1.2 int-range", "bytes=0-499", rangeSpec{first: 0, last: 499}, true},
		{"RFC 9110 14.1.2 open int-range", "bytes=9500-", rangeSpec{first: 9500, last: -1}, true},
		{"RFC 9110 14.1.2 suffix-range", "bytes=-500", rangeSpec{last: 500, suffix: true}, true},
		{"RFC 9110 14.1 unit case-insensitive", "Bytes=1-2", rangeSpec{first: 1, last: 2}, true},
		{"RFC 9110 14.1.2 OWS around the range set", "bytes= 1-2 ", rangeSpec{first: 1, last: 2}, true},
		{"RFC 9110 14.1.1 huge last-pos is capped", "bytes=1-99999999999999999999", rangeSpec{first: 1, last: 1<<63 - 1}, true},
		{"RFC 9110 14.1.1 last before first is invalid", "bytes=5-1", rangeSpec{}, false},
		{"RFC 9110 14.1.2 several ranges are forwarded", "bytes=0-1,3-4", rangeSpec{}, false},
		{"RFC 9110 14.1 another unit is forwarded", "items=0-1", rangeSpec{}, false},
		{"RFC 9110 14.1.2 no dash", "bytes=5", rangeSpec{}, false},
		{"RFC 9110 14.1.2 empty suffix", "bytes=-", rangeSpec{}, false},
		{"RFC 9110 14.1.2 sign is not a digit", "bytes=+1-2", rangeSpec{}, false},
		{"RFC 9110 14.1.2 no unit", "0-1", rangeSpec{}, false},
	}
	for _, r := range rows {
		got, ok := parseRange(r.in)
		if ok != r.ok || (ok && got != r.want) {
			t.Errorf("%s: parseRange(%q) = %+v, %v; want %+v, %v", r.rfc, r.in, got, ok, r.want, r.ok)
		}
	}
}

// TestSelectRange checks how a one-range request is answered from a
// stored response of 10 bytes, row by row (RFC 9110 14.1.1, 13.1.5,
// 15.3.7, 15.5.17).
func TestSelectRange(t *testing.T) {
	date := t0.Format(http.TimeFormat)
	lm := t0.Add(-time.Hour).Format(http.TimeFormat)
	body := func(e *Response) { e.Body = []byte("0123456789") }
	full := entry(0, time.Minute, http.Header{"Etag": {`"r1"`}, "Last-Modified": {lm}, "Date": {date}}, body)
	weakLM := entry(0, time.Minute, http.Header{"Last-Modified": {date}, "Date": {date}}, body)
	weakTag := entry(0, time.Minute, http.Header{"Etag": {`W/"r1"`}}, body)
	notFound := entry(0, time.Minute, nil, body, func(e *Response) { e.StatusCode = 404 })
	empty := entry(0, time.Minute, nil)
	spec := func(v string) rangeSpec {
		r, ok := parseRange(v)
		if !ok {
			t.Fatalf("parseRange(%q)", v)
		}
		return r
	}
	rows := []struct {
		rfc, name string
		rng       string
		ifRange   string
		e         *Response
		want      rangeAnswer
		br        byteRange
	}{
		{"RFC 9110 14.1.2", "first-last", "bytes=2-5", "", full, rangePartial, byteRange{2, 5, 10, 0}},
		{"RFC 9110 14.1.2", "first-", "bytes=7-", "", full, rangePartial, byteRange{7, 9, 10, 0}},
		{"RFC 9110 14.1.2", "-suffix", "bytes=-3", "", full, rangePartial, byteRange{7, 9, 10, 0}},
		{"RFC 9110 14.1.2", "suffix longer than the representation", "bytes=-20", "", full, rangePartial, byteRange{0, 9, 10, 0}},
		{"RFC 9110 14.1.2", "last past the end is clipped", "bytes=5-100", "", full, rangePartial, byteRange{5, 9, 10, 0}},
		{"RFC 9110 14.1.1", "first at the end: unsatisfiable", "bytes=10-", "", full, rangeUnsatisfiable, byteRange{size: 10}},
		{"RFC 9110 14.1.1", "zero suffix: unsatisfiable", "bytes=-0", "", full, rangeUnsatisfiable, byteRange{size: 10}},
		{"RFC 9110 14.1.1", "empty representation: unsatisfiable", "bytes=0-", "", empty, rangeUnsatisfiable, byteRange{size: 0}},
		{"RFC 9110 14.2", "not a complete 200: the whole response", "bytes=0-1", "", notFound, rangeFull, byteRange{}},
		{"RFC 9110 13.1.5", "If-Range with the strong ETag", "bytes=0-1", `"r1"`, full, rangePartial, byteRange{0, 1, 10, 0}},
		{"RFC 9110 13.1.5", "If-Range with another ETag: whole", "bytes=0-1", `"r2"`, full, rangeFull, byteRange{}},
		{"RFC 9110 13.1.5", "If-Range with a weak ETag: whole", "bytes=0-1", `W/"r1"`, full, rangeFull, byteRange{}},
		{"RFC 9110 13.1.5", "stored weak ETag never matches", "bytes=0-1", `"r1"`, weakTag, rangeFull, byteRange{}},
		{"RFC 9110 13.1.5", "If-Range with the Last-Modified date", "bytes=0-1", lm, full, rangePartial, byteRange{0, 1, 10, 0}},
		{"RFC 9110 13.1.5", "If-Range with another date: whole", "bytes=0-1", date, full, rangeFull, byteRange{}},
		{"RFC 9110 8.8.2.2", "Last-Modified equal to Date is weak: whole", "bytes=0-1", date, weakLM, rangeFull, byteRange{}},
		{"RFC 9110 13.1.5", "If-Range not a date: whole", "bytes=0-1", "yesterday", full, rangeFull, byteRange{}},
	}
	for _, r := range rows {
		a, br := selectRange(spec(r.rng), r.ifRange, r.e)
		if a != r.want || br != r.br {
			t.Errorf("%s: %s: selectRange = %d %+v, want %d %+v", r.rfc, r.name, a, br, r.want, r.br)
		}
	}
}
