package httpcache

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Keys are the hex SHA-256 of what identifies an entry, so every key has
// the same length (64) whatever the URL, and no key reveals a URL or a
// credential. The digest is of the parts, each followed by a zero byte;
// parts that fit are gathered in a buffer on the stack and hashed in one
// call, so that a key costs one allocation (its string).
func hashKey(parts ...string) string {
	var buf [512]byte
	in := buf[:0]
	for _, p := range parts {
		in = append(append(in, p...), 0)
	}
	sum := sha256.Sum256(in)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// normalizeURL returns u in the form keys are computed from and URLs are
// stored in: scheme and host lower-cased, default port dropped, empty path
// as "/", fragment and user information dropped, ignored query parameters
// removed and the rest sorted (by name, then value).
func (o *options) normalizeURL(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if h, port, err := net.SplitHostPort(host); err == nil {
		if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]"
			}
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.Grow(len(scheme) + 3 + len(host) + len(path) + len(u.RawQuery) + 1)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	b.WriteString(path)
	if u.RawQuery != "" {
		if q := o.normalizeQuery(u.RawQuery); q != "" {
			b.WriteByte('?')
			b.WriteString(q)
		}
	}
	return b.String()
}

// normalizeQuery sorts the parameters of a raw query and removes ignored
// ones. Each parameter keeps its original escaping.
func (o *options) normalizeQuery(raw string) string {
	if !strings.ContainsAny(raw, "&;") {
		if o.ignoredParam(raw) {
			return ""
		}
		return raw
	}
	params := strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' })
	params = slices.DeleteFunc(params, o.ignoredParam)
	slices.Sort(params)
	return strings.Join(params, "&")
}

// carriesIgnoredParam reports whether the Location or Content-Location of
// a response header names an ignored query parameter (a credential, or one
// the caller asked to keep out of the store).
func (o *options) carriesIgnoredParam(h http.Header) bool {
	for _, name := range []string{"Location", "Content-Location"} {
		for _, v := range h[name] {
			_, query, ok := strings.Cut(v, "?")
			if !ok {
				continue
			}
			query, _, _ = strings.Cut(query, "#")
			for _, p := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
				if o.ignoredParam(p) {
					return true
				}
			}
		}
	}
	return false
}

func (o *options) ignoredParam(p string) bool {
	name, _, _ := strings.Cut(p, "=")
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	return o.ignoredParams[strings.ToLower(name)]
}

// primaryKey is the key of a request's URL: method, normalised URL and,
// for methods with a body, the digest of the body normalised
// (normalizeBody); or the key function's
// result. Request headers select a variant under it (variantKey).
func (o *options) primaryKey(req *http.Request, normURL string, body []byte) string {
	if o.keyFunc != nil {
		if k := o.keyFunc(req, body); k != "" {
			return hashKey("custom", k)
		}
	}
	if body == nil {
		return hashKey(req.Method, normURL)
	}
	sum := sha256.Sum256(o.normalizeBody(req.Header.Get("Content-Type"), body))
	return hashKey(req.Method, normURL, string(sum[:]))
}

// aliasKey is the key of a redirect alias from the URL of primary.
func aliasKey(primary string) string { return hashKey("redirect", primary) }

// varyNames returns the header names a response varies by, canonical and
// sorted, with the configured match headers; star reports Vary: *.
func (o *options) varyNames(h http.Header) (names []string, star bool) {
	names = slices.Clone(o.matchHeaders)
	names = slices.DeleteFunc(names, func(n string) bool { return o.ignoredHeaders[n] })
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			f = strings.TrimSpace(f)
			if f == "*" {
				return nil, true
			}
			if f != "" {
				names = append(names, http.CanonicalHeaderKey(f))
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), false
}

func headerValue(h http.Header, name string) string {
	vs := h.Values(name)
	if len(vs) == 1 {
		return strings.TrimSpace(vs[0])
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.TrimSpace(v)
	}
	return strings.Join(out, ", ")
}

// storedRequestHeader returns the request headers named by names, with
// ignored headers (credentials) replaced by a digest of their value.
func (o *options) storedRequestHeader(h http.Header, names []string) http.Header {
	if len(names) == 0 {
		return nil
	}
	out := make(http.Header, len(names))
	for _, n := range names {
		v := headerValue(h, n)
		if v == "" {
			continue
		}
		if o.ignoredHeaders[n] {
			v = "[redacted]"
		}
		out[n] = []string{v}
	}
	return out
}
