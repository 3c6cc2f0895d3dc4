package httpcache

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestAnswersGet checks, row by row, when the answer to a POST or PATCH
// may answer a later GET (RFC 9110 9.3.3, RFC 5789 2).
func TestAnswersGet(t *testing.T) {
	target := "https://example.test/items/1"
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	rows := []struct {
		rfc, name string
		method    string
		header    http.Header
		lifetime  time.Duration
		shared    bool
		methods   []string
		want      bool
	}{
		{"RFC 9110 9.3.3", "max-age and Content-Location of the target", "POST", h("Cache-Control", "max-age=60", "Content-Location", "/items/1"), time.Minute, false, nil, true},
		{"RFC 9110 9.3.3", "absolute Content-Location, normalised", "POST", h("Cache-Control", "max-age=60", "Content-Location", "HTTPS://EXAMPLE.TEST:443/items/1"), time.Minute, false, nil, true},
		{"RFC 9110 9.3.3", "Expires is explicit freshness", "POST", h("Date", t0.Format(http.TimeFormat), "Expires", t0.Add(time.Hour).Format(http.TimeFormat), "Content-Location", "/items/1"), time.Hour, false, nil, true},
		{"RFC 5789 2", "PATCH", "PATCH", h("Cache-Control", "max-age=60", "Content-Location", "/items/1"), time.Minute, false, nil, true},
		{"RFC 9110 9.3.3", "Content-Location of another URI", "POST", h("Cache-Control", "max-age=60", "Content-Location", "/items/2"), time.Minute, false, nil, false},
		{"RFC 9110 9.3.3", "no Content-Location", "POST", h("Cache-Control", "max-age=60"), time.Minute, false, nil, false},
		{"RFC 9110 9.3.3", "no explicit freshness (configured or heuristic)", "POST", h("Content-Location", "/items/1", "Last-Modified", t0.Add(-time.Hour).Format(http.TimeFormat)), time.Minute, false, nil, false},
		{"RFC 9110 9.3.3", "explicit but stale", "POST", h("Cache-Control", "max-age=0", "Content-Location", "/items/1"), 0, false, nil, false},
		{"RFC 9111 5.2.2.10", "s-maxage counts in a shared cache", "POST", h("Cache-Control", "s-maxage=60", "Content-Location", "/items/1"), time.Minute, true, nil, true},
		{"RFC 9111 5.2.2.10", "s-maxage alone does not in a private cache", "POST", h("Cache-Control", "s-maxage=60", "Content-Location", "/items/1"), time.Minute, false, nil, false},
		{"RFC 9110 9.3.1", "a GET's own answer", "GET", h("Cache-Control", "max-age=60", "Content-Location", "/items/1"), time.Minute, false, nil, false},
		{"WithAllowedMethods", "GET not cached", "POST", h("Cache-Control", "max-age=60", "Content-Location", "/items/1"), time.Minute, false, []string{"POST"}, false},
	}
	for _, r := range rows {
		o := defaultOptions()
		o.shared = r.shared
		if r.methods != nil {
			WithAllowedMethods(r.methods...)(&o)
		}
		u, _ := url.Parse(target)
		req := &http.Request{Method: r.method, URL: u, Header: http.Header{}}
		e := &Response{StatusCode: 200, Header: r.header, ResponseTime: t0, Expires: t0.Add(r.lifetime)}
		if got := o.answersGet(req, o.normalizeURL(u), e, t0); got != r.want {
			t.Errorf("%s: %s: answersGet = %v, want %v", r.rfc, r.name, got, r.want)
		}
	}
}
