package httpcache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FormatVersion is the version of the stored form written by this package.
// An entry of another version is treated as absent, deleted, and reported
// to the error hook as kv.ErrCorrupt, as bytes that do not decode are.
const FormatVersion = 1

// Kind says what a stored entry is. It is stored as a small integer, so
// entries written before Kind had a type read the same.
type Kind uint8

// Kinds of stored entries.
const (
	// KindResponse is a stored response.
	KindResponse Kind = 0
	// KindVariants is the entry under a URL's key when responses vary by
	// request headers: it lists the header names and the keys of the
	// stored variants.
	KindVariants Kind = 1
	// KindAlias is a redirect alias kept in the responses store when the
	// Transport has no redirects store: Alias names the key of the final
	// response.
	KindAlias Kind = 2
)

// String returns "response", "variants" or "alias" (or "kind(N)" for a
// kind this version does not know).
func (k Kind) String() string {
	switch k {
	case KindResponse:
		return "response"
	case KindVariants:
		return "variants"
	case KindAlias:
		return "alias"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Response is the stored form of a response, encoded with CBOR by byte
// stores (field names are short to keep entries small). It is exported so
// that stores can be typed with it (kv.Store[string, *Response]); callers
// do not build one, and inspect the cache through Transport.Entries.
type Response struct {
	// Version is FormatVersion when the entry was written.
	Version int `cbor:"v"`
	// Kind is KindResponse, KindVariants or KindAlias.
	Kind Kind `cbor:"k,omitempty"`

	// Method and URL of the request, with ignored parameters removed.
	Method string `cbor:"m,omitempty"`
	URL    string `cbor:"u,omitempty"`
	// RequestHeader holds the request headers the response varies by
	// (Vary and WithMatchHeaders); credentials are redacted.
	RequestHeader http.Header `cbor:"rh,omitempty"`

	StatusCode int         `cbor:"s,omitempty"`
	Proto      string      `cbor:"p,omitempty"`
	Header     http.Header `cbor:"h,omitempty"`
	Body       []byte      `cbor:"b,omitempty"`

	// RequestTime and ResponseTime are when the request that fetched (or
	// last revalidated) the response was sent and when its answer came.
	RequestTime  time.Time `cbor:"rqt,omitempty"`
	ResponseTime time.Time `cbor:"rst,omitempty"`
	// InitialAge is the response's age when it was received (RFC 9111
	// 4.2.3, corrected_initial_age).
	InitialAge time.Duration `cbor:"age,omitempty"`
	// Expires is when the response becomes stale; the zero time means
	// never.
	Expires time.Time `cbor:"x,omitempty"`
	// Until is when the entry leaves the store (its TTL); zero: never.
	Until time.Time `cbor:"ttl,omitempty"`

	// Directives of the response that matter once it is stored.
	MustRevalidate       bool          `cbor:"mr,omitempty"`
	Immutable            bool          `cbor:"im,omitempty"`
	StaleIfError         time.Duration `cbor:"sie,omitempty"`
	StaleWhileRevalidate time.Duration `cbor:"swr,omitempty"`
	// NoCacheFields lists the header fields sent only in a response just
	// revalidated with the origin: those a qualified no-cache names (RFC
	// 9111 5.2.2.4).
	NoCacheFields []string `cbor:"nc,omitempty"`

	// Vary lists the request header names that select among variants
	// (canonical, sorted); Variants the keys of the stored variants. Set
	// on KindVariants entries, and Vary on the variants too.
	Vary     []string `cbor:"vy,omitempty"`
	Variants []string `cbor:"vs,omitempty"`

	// Alias is the key of the final response, for KindAlias entries.
	Alias string `cbor:"al,omitempty"`
}

// age returns the current age of r at now (RFC 9111 4.2.3).
func (r *Response) age(now time.Time) time.Duration {
	return r.InitialAge + max(now.Sub(r.ResponseTime), 0)
}

// fresh reports whether r is fresh at now.
func (r *Response) fresh(now time.Time) bool {
	return r.Expires.IsZero() || now.Before(r.Expires)
}

// staleFor returns how long r has been stale at now (<= 0 while fresh).
func (r *Response) staleFor(now time.Time) time.Duration {
	if r.Expires.IsZero() {
		return -1
	}
	return now.Sub(r.Expires)
}

// hasValidator reports whether r can be revalidated.
func (r *Response) hasValidator() bool {
	return r.Header.Get("ETag") != "" || r.Header.Get("Last-Modified") != ""
}

// Status says how the Transport produced a response.
type Status string

// Statuses, as set in the StatusHeader of every response the Transport
// returns.
const (
	// Hit: served from the cache without contacting the origin (or shared
	// from an identical concurrent request that did). A conditional
	// request answered from the cache may get a 304.
	Hit Status = "hit"
	// Miss: fetched from the origin (and stored when cacheable); in a
	// private cache, also an uncacheable answer shared from an identical
	// concurrent request that fetched it.
	Miss Status = "miss"
	// Stale: a stale stored response, served because of max-stale,
	// stale-if-error, stale-while-revalidate or OnlyIfCached.
	Stale Status = "stale"
	// Revalidated: a stored response the origin confirmed with 304.
	Revalidated Status = "revalidated"
	// Bypass: the request went to the origin as it was, and nothing was
	// stored: cache disabled, method not cached, a Range request other
	// than one byte range of a GET, If-Match / If-Unmodified-Since, the
	// caller's own conditional request with nothing fresh stored, request
	// no-store, or a DoNotCache expiry.
	Bypass Status = "bypass"
)

// StatusHeader is the response header that carries the Status.
const StatusHeader = "X-Cache-Status"

// CacheStatus returns how resp was produced by a Transport, or "" when it
// did not come through one.
func CacheStatus(resp *http.Response) Status {
	if resp == nil {
		return ""
	}
	return Status(resp.Header.Get(StatusHeader))
}

// hopHeaders are not stored (RFC 9110 7.6.1), nor is the status header.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authenticate", StatusHeader, "Age"}

// storedHeader returns a copy of h without hop-by-hop headers.
func storedHeader(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for _, c := range h.Values("Connection") {
		for _, f := range strings.Split(c, ",") {
			out.Del(strings.TrimSpace(f))
		}
	}
	for _, k := range hopHeaders {
		delete(out, k)
	}
	return out
}

// cloneHeader copies h into a map sized for extra more fields (so that
// adding them does not grow it, as it would after http.Header.Clone),
// and returns extra more value slots for the fields the caller adds. The
// value slices share one allocation with room for one value per field
// (most fields have one), so that h is walked once; a field that does not
// fit in what is left gets its own.
func cloneHeader(h http.Header, extra int) (http.Header, []string) {
	sv := make([]string, len(h)+extra)
	free, added := sv[:len(h)], sv[len(h):]
	out := make(http.Header, len(h)+extra)
	for k, vv := range h {
		switch {
		case vv == nil:
			out[k] = nil
		case len(vv) > len(free):
			out[k] = append(make([]string, 0, len(vv)), vv...)
		default:
			n := copy(free, vv)
			out[k] = free[:n:n]
			free = free[n:]
		}
	}
	return out, added
}

// httpResponse builds the *http.Response served for req from r.
func (r *Response) httpResponse(req *http.Request, status Status, now time.Time) *http.Response {
	return r.httpResponseStatus(req, status, now, "", csMember{})
}

// httpResponseStatus is httpResponse with the member m of the cache
// named name appended to Cache-Status (none when name is ""). The Age
// and Cache-Status values share one allocation, and the three headers'
// value slices another, so that a hit pays for Cache-Status no more than
// one string.
func (r *Response) httpResponseStatus(req *http.Request, status Status, now time.Time, name string, m csMember) *http.Response {
	h, vals := cloneHeader(r.Header, 3)
	var buf [128]byte
	b := strconv.AppendInt(buf[:0], int64(r.age(now)/time.Second), 10)
	n := len(b)
	if name != "" {
		b = m.appendTo(b, name)
	}
	both := string(b)
	vals[0], vals[1] = both[:n], string(status)
	h["Age"], h[StatusHeader] = vals[0:1:1], vals[1:2:2]
	if name != "" {
		if old := h[CacheStatusHeader]; len(old) > 0 {
			h[CacheStatusHeader] = append(old[:len(old):len(old)], both[n:])
		} else {
			vals[2] = both[n:]
			h[CacheStatusHeader] = vals[2:3:3]
		}
	}
	if status != Revalidated {
		for _, k := range r.NoCacheFields {
			delete(h, k)
		}
	}
	major, minor, ok := http.ParseHTTPVersion(r.Proto)
	if !ok {
		major, minor = 1, 1
	}
	var resp *http.Response
	if req.Method == http.MethodHead {
		resp = &http.Response{Body: http.NoBody, ContentLength: -1}
		if cl, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil {
			resp.ContentLength = cl
		}
	} else {
		resp = newServedResponse(r.Body)
	}
	resp.Status, resp.StatusCode = statusLine(r.StatusCode), r.StatusCode
	resp.Proto, resp.ProtoMajor, resp.ProtoMinor = r.Proto, major, minor
	resp.Header, resp.Request = h, req
	return resp
}
