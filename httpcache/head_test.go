package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// TestHeadMatches checks, row by row, when a HEAD's 200 updates a stored
// GET response and when it makes it stale (RFC 9111 4.3.5).
func TestHeadMatches(t *testing.T) {
	lm := t0.Add(-time.Hour).Format(http.TimeFormat)
	stored := entry(0, time.Minute, http.Header{"Etag": {`"a"`}, "Last-Modified": {lm}, "Content-Length": {"5"}})
	noValidator := entry(0, time.Minute, http.Header{"Content-Length": {"5"}})
	lmOnly := entry(0, time.Minute, http.Header{"Last-Modified": {lm}}, func(e *Response) { e.Body = []byte("12345") })
	rows := []struct {
		name   string
		stored *Response
		head   http.Header
		want   bool
	}{
		{"same ETag", stored, http.Header{"Etag": {`"a"`}}, true},
		{"same ETag and Content-Length", stored, http.Header{"Etag": {`"a"`}, "Content-Length": {"5"}}, true},
		{"same ETag, another Content-Length", stored, http.Header{"Etag": {`"a"`}, "Content-Length": {"6"}}, false},
		{"another ETag", stored, http.Header{"Etag": {`"b"`}}, false},
		{"weak form of the stored ETag is another value", stored, http.Header{"Etag": {`W/"a"`}}, false},
		{"same ETag, another Last-Modified", stored, http.Header{"Etag": {`"a"`}, "Last-Modified": {t0.Format(http.TimeFormat)}}, false},
		{"same Last-Modified, in another date form", stored, http.Header{"Last-Modified": {t0.Add(-time.Hour).UTC().Format("Monday, 02-Jan-06 15:04:05 GMT")}}, true},
		{"Last-Modified alone, same, Content-Length of the stored body", lmOnly, http.Header{"Last-Modified": {lm}, "Content-Length": {"5"}}, true},
		{"an ETag the stored response lacks", lmOnly, http.Header{"Etag": {`"a"`}, "Last-Modified": {lm}}, false},
		{"no validator, the stored response has some", stored, http.Header{"Content-Length": {"5"}}, false},
		{"no validator on either, same Content-Length", noValidator, http.Header{"Content-Length": {"5"}}, true},
		{"no validator on either, another Content-Length", noValidator, http.Header{"Content-Length": {"4"}}, false},
	}
	for _, r := range rows {
		if got := headMatches(r.stored, r.head); got != r.want {
			t.Errorf("RFC 9111 4.3.5: %s: headMatches = %v, want %v", r.name, got, r.want)
		}
	}
}
