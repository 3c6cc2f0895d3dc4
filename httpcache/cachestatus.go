package httpcache

import (
	"net/http"
	"strconv"
	"time"
)

// CacheStatusHeader is the standard response header (RFC 9211) the
// Transport adds its member to, beside StatusHeader.
const CacheStatusHeader = "Cache-Status"

// DefaultCacheStatusName is the name the Transport's Cache-Status member
// carries when WithCacheStatusName is not given.
const DefaultCacheStatusName = "kvcache"

// Forward reasons of a Cache-Status member (RFC 9211 2.2).
const (
	fwdBypass   = "bypass"   // the cache does not handle the request
	fwdMethod   = "method"   // the method is not cached
	fwdURIMiss  = "uri-miss" // nothing stored for the URI
	fwdVaryMiss = "vary-miss"
	fwdMiss     = "miss"    // no usable response, reason unknown
	fwdRequest  = "request" // a fresh response was stored; the request did not allow it
	fwdStale    = "stale"   // only a stale response was stored
)

// outcome is what the executors did with a request, for its Cache-Status
// member: the stored response served or just stored (its freshness
// gives ttl), whether the request (or its revalidation) went to the
// origin and what that answered, whether the answer was stored, and
// whether the request shared the answer of an identical one.
type outcome struct {
	entry     *Response
	forwarded bool
	stored    bool
	collapsed bool
	fwdStatus int
	marked    bool // the response has its member (serve adds it)
}

// csMember is one Cache-Status list member (RFC 9211 2).
type csMember struct {
	hit       bool
	fwd       string // "" with hit
	fwdStatus int    // 0: absent
	stored    bool
	collapsed bool
	ttl       int64 // seconds; meaningful with hasTTL
	hasTTL    bool
	key       string // "": absent
}

// cacheStatusMember works out the member for a response served with
// status code served, given the decision's forward reason fwd and the
// outcome o, at now. It is pure.
func cacheStatusMember(fwd string, o outcome, served int, now time.Time) csMember {
	m := csMember{hit: !o.forwarded && !o.collapsed, stored: o.stored, collapsed: o.collapsed}
	if !m.hit {
		m.fwd = fwd
		if m.fwd == "" {
			m.fwd = fwdMiss
		}
		if o.fwdStatus != 0 && o.fwdStatus != served {
			m.fwdStatus = o.fwdStatus
		}
	}
	if o.entry != nil && !o.entry.Expires.IsZero() {
		m.ttl, m.hasTTL = ttlSeconds(o.entry.Expires.Sub(now)), true
	}
	return m
}

// ttlSeconds is d in whole seconds, rounded towards minus infinity (a
// response stale for half a second has a ttl of -1), within the range of
// a structured-field Integer (RFC 8941 3.3.1).
func ttlSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d < 0 && d%time.Second != 0 {
		s--
	}
	const maxInt = 999_999_999_999_999
	return min(max(s, -maxInt), maxInt)
}

// appendTo serialises m after name (already a serialised sf-token or
// sf-string) as an RFC 8941 list member.
func (m csMember) appendTo(b []byte, name string) []byte {
	b = append(b, name...)
	if m.hit {
		b = append(b, "; hit"...)
	} else {
		b = append(b, "; fwd="...)
		b = append(b, m.fwd...)
	}
	if m.fwdStatus != 0 {
		b = append(b, "; fwd-status="...)
		b = strconv.AppendInt(b, int64(m.fwdStatus), 10)
	}
	if m.stored {
		b = append(b, "; stored"...)
	}
	if m.collapsed {
		b = append(b, "; collapsed"...)
	}
	if m.hasTTL {
		b = append(b, "; ttl="...)
		b = strconv.AppendInt(b, m.ttl, 10)
	}
	if m.key != "" {
		b = append(b, "; key="...)
		b = appendSFString(b, m.key)
	}
	return b
}

// sfName serialises a cache name as an RFC 8941 Token when it is one, and
// as a String otherwise (RFC 9211 2: the identifier is a String or a
// Token); characters a String cannot hold become '?'.
func sfName(name string) string {
	if isSFToken(name) {
		return name
	}
	return string(appendSFString(nil, name))
}

// isSFToken reports whether s is an sf-token (RFC 8941 3.3.4).
func isSFToken(s string) bool {
	if s == "" || !(isAlpha(s[0]) || s[0] == '*') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isTchar(c) && c != ':' && c != '/' {
			return false
		}
	}
	return true
}

// appendSFString appends s as an sf-string (RFC 8941 3.3.3): quoted,
// with '"' and '\' escaped; bytes outside printable ASCII become '?'.
func appendSFString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c > 0x7e:
			b = append(b, '?')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// cacheStatusMember is the member for lk's response, of status code
// served, at now.
func (t *Transport) cacheStatusMember(lk *lookup, served int, now time.Time) csMember {
	m := cacheStatusMember(lk.fwd, lk.out, served, now)
	if t.o.csKey {
		m.key = lk.primary
	}
	return m
}

// addCacheStatus appends the Transport's member to resp's Cache-Status,
// after the members of the caches nearer the origin, which are kept (RFC
// 9211 2: the last member is the cache nearest the user).
func (t *Transport) addCacheStatus(lk *lookup, resp *http.Response, now time.Time) {
	if t.o.csName == "" {
		return
	}
	m := t.cacheStatusMember(lk, resp.StatusCode, now)
	var buf [96]byte
	v := string(m.appendTo(buf[:0], t.o.csName))
	old := resp.Header[CacheStatusHeader]
	resp.Header[CacheStatusHeader] = append(old[:len(old):len(old)], v)
}
