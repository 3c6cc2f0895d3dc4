package httpcache

import (
	"net/http"
	"time"
)

// answersGet reports whether e, the stored form of the answer to req (of
// normalised URL normURL) received at now, may also answer a later GET of
// that URL: the answer to a POST or PATCH that is fresh by explicit
// freshness (max-age, s-maxage in a shared cache, Expires) and whose
// Content-Location is the target URI (RFC 9110 9.3.3, RFC 5789 2), when
// GET is cached and Cache-Control honoured. It is pure.
func (o *options) answersGet(req *http.Request, normURL string, e *Response, now time.Time) bool {
	if (req.Method != http.MethodPost && req.Method != http.MethodPatch) || !o.methods[http.MethodGet] || !o.cacheControl {
		return false
	}
	if _, explicit := explicitLifetime(e.Header, parseDirectives(e.Header), o.shared, e.ResponseTime); !explicit || !e.fresh(now) {
		return false
	}
	cl := e.Header.Get("Content-Location")
	if cl == "" {
		return false
	}
	u, err := req.URL.Parse(cl)
	return err == nil && o.normalizeURL(u) == normURL
}

// storeAsGet stores e, the answer to lk's POST or PATCH, under the key
// of a GET of the same URL, as the response to that GET.
func (t *Transport) storeAsGet(lk *lookup, e *Response, names []string) {
	g := *e
	g.Method = http.MethodGet
	t.resp.store(lk.req.Context(), lk.wait, t.getKey(lk), lk.req.Header, &g, names)
}
