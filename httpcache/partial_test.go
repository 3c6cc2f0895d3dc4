package httpcache

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestParseContentRange checks the Content-Range of the parts that are
// stored (RFC 9110 14.4).
func TestParseContentRange(t *testing.T) {
	rows := []struct {
		in   string
		want byteRange
		ok   bool
	}{
		{"bytes 0-3/10", byteRange{first: 0, last: 3, size: 10}, true},
		{"BYTES 4-9/10", byteRange{first: 4, last: 9, size: 10}, true},
		{"bytes 0-3/*", byteRange{}, false},  // size unknown
		{"bytes */10", byteRange{}, false},   // a 416's
		{"bytes 5-3/10", byteRange{}, false}, // last before first
		{"bytes 0-10/10", byteRange{}, false},
		{"items 0-3/10", byteRange{}, false},
	}
	for _, r := range rows {
		got, ok := parseContentRange(r.in)
		if ok != r.ok || got != r.want {
			t.Errorf("RFC 9110 14.4: parseContentRange(%q) = %+v, %v; want %+v, %v", r.in, got, ok, r.want, r.ok)
		}
	}
}

// TestCombineParts checks, row by row, when two stored parts combine
// (RFC 9111 3.4) and what they make.
func TestCombineParts(t *testing.T) {
	part := func(etag, cr, body string) *Response {
		return entry(0, time.Minute, http.Header{"Etag": {etag}, "Content-Range": {cr}}, func(e *Response) {
			e.StatusCode, e.Body = http.StatusPartialContent, []byte(body)
		})
	}
	rows := []struct {
		rfc, name   string
		old, new    *Response
		wantStatus  int // 0: not combined
		wantBody    string
		wantCRange  string
		wantHeaders string // the ETag of the result
	}{
		{"RFC 9111 3.4", "adjacent parts make the whole", part(`"a"`, "bytes 0-3/10", "0123"), part(`"a"`, "bytes 4-9/10", "456789"), 200, "0123456789", "", `"a"`},
		{"RFC 9111 3.4", "overlapping parts", part(`"a"`, "bytes 2-5/10", "2345"), part(`"a"`, "bytes 4-7/10", "4567"), 206, "234567", "bytes 2-7/10", `"a"`},
		{"RFC 9111 3.4", "new part inside the old", part(`"a"`, "bytes 0-7/10", "01234567"), part(`"a"`, "bytes 2-3/10", "23"), 206, "01234567", "bytes 0-7/10", `"a"`},
		{"RFC 9111 3.4", "a gap: not combined", part(`"a"`, "bytes 0-1/10", "01"), part(`"a"`, "bytes 5-6/10", "56"), 0, "", "", ""},
		{"RFC 9111 3.4", "other strong ETags: not combined", part(`"a"`, "bytes 0-3/10", "0123"), part(`"b"`, "bytes 4-9/10", "456789"), 0, "", "", ""},
		{"RFC 9111 3.4", "weak ETags: not combined", part(`W/"a"`, "bytes 0-3/10", "0123"), part(`W/"a"`, "bytes 4-9/10", "456789"), 0, "", "", ""},
		{"RFC 9111 3.4", "other sizes: not combined", part(`"a"`, "bytes 0-3/10", "0123"), part(`"a"`, "bytes 4-9/11", "456789"), 0, "", "", ""},
		{"RFC 9111 3.3", "a body that is not its Content-Range: not combined", part(`"a"`, "bytes 0-3/10", "012"), part(`"a"`, "bytes 4-9/10", "456789"), 0, "", "", ""},
	}
	for _, r := range rows {
		c := combineParts(r.old, r.new)
		if r.wantStatus == 0 {
			if c != nil {
				t.Errorf("%s: %s: combined into %d %q", r.rfc, r.name, c.StatusCode, c.Body)
			}
			continue
		}
		if c == nil {
			t.Errorf("%s: %s: not combined", r.rfc, r.name)
			continue
		}
		if c.StatusCode != r.wantStatus || string(c.Body) != r.wantBody || c.Header.Get("Content-Range") != r.wantCRange || c.Header.Get("ETag") != r.wantHeaders || c.Header.Get("Content-Length") != itoa(len(r.wantBody)) {
			t.Errorf("%s: %s: %d %q Content-Range %q ETag %q Content-Length %q", r.rfc, r.name, c.StatusCode, c.Body, c.Header.Get("Content-Range"), c.Header.Get("ETag"), c.Header.Get("Content-Length"))
		}
	}
}

// TestSelectFromPart checks the ranges a stored part answers (RFC 9111
// 3.3: only those wholly within it).
func TestSelectFromPart(t *testing.T) {
	p := entry(0, time.Minute, http.Header{"Etag": {`"a"`}, "Content-Range": {"bytes 2-5/10"}}, func(e *Response) {
		e.StatusCode, e.Body = http.StatusPartialContent, []byte("2345")
	})
	rows := []struct {
		rng, ifRange string
		want         rangeAnswer
		br           byteRange
	}{
		{"bytes=2-5", "", rangePartial, byteRange{2, 5, 10, 2}},
		{"bytes=3-4", "", rangePartial, byteRange{3, 4, 10, 2}},
		{"bytes=3-4", `"a"`, rangePartial, byteRange{3, 4, 10, 2}},
		{"bytes=3-4", `"b"`, rangeMiss, byteRange{}},
		{"bytes=1-4", "", rangeMiss, byteRange{}},
		{"bytes=4-", "", rangeMiss, byteRange{}},
		{"bytes=-5", "", rangeMiss, byteRange{}},
		{"bytes=10-", "", rangeMiss, byteRange{}},
	}
	for _, r := range rows {
		spec, _ := parseRange(r.rng)
		if a, br := selectRange(spec, r.ifRange, p); a != r.want || br != r.br {
			t.Errorf("RFC 9111 3.3: %s (If-Range %q) from part 2-5: %d %+v, want %d %+v", r.rng, r.ifRange, a, br, r.want, r.br)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
