package httpcache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// directives are the parsed Cache-Control directives of a request or a
// response. Durations are -1 when the directive is absent.
type directives struct {
	maxAge, sMaxAge, maxStale, minFresh time.Duration
	staleIfError, staleRevalidate       time.Duration
	maxStaleAny                         bool // max-stale without a value
	noStore, noCache, private, public   bool
	mustRevalidate, proxyRevalidate     bool
	immutable, onlyIfCached             bool
	mustUnderstand                      bool
	// noCacheFields and privateFields are the field names of the
	// qualified no-cache="..." and private="..." (RFC 9111 5.2.2.4,
	// 5.2.2.7), canonical; the unqualified forms set noCache and private.
	noCacheFields, privateFields []string
	// targeted: read from a targeted field (RFC 9213), which replaces
	// Cache-Control and Expires.
	targeted bool
}

func parseDirectives(h http.Header) directives {
	d := noDirectives
	values := h["Cache-Control"]
	if len(values) == 0 {
		if p := h.Get("Pragma"); strings.Contains(strings.ToLower(p), "no-cache") {
			d.noCache = true // RFC 9111 5.4
		}
		return d
	}
	for _, v := range values {
		for part := range splitDirectives(v) {
			name, arg, hasArg := strings.Cut(strings.TrimSpace(part), "=")
			name = strings.ToLower(strings.TrimSpace(name))
			arg = strings.Trim(strings.TrimSpace(arg), `"`)
			if !d.setDuration(name, arg, hasArg) && !d.setFields(name, arg) {
				d.setFlag(name)
			}
		}
	}
	return d
}

// splitDirectives yields the comma-separated directives of a
// Cache-Control value; a comma inside a quoted string (no-cache="a, b")
// does not split, unless a quote is left open or escaped: quotes are
// then ignored, so that a malformed value loses no directive.
func splitDirectives(v string) func(yield func(string) bool) {
	quotes := strings.Count(v, `"`)%2 == 0 && !strings.Contains(v, `\`)
	return func(yield func(string) bool) {
		start, quoted := 0, false
		for i := 0; i < len(v); i++ {
			switch v[i] {
			case '"':
				quoted = quotes && !quoted
			case ',':
				if !quoted {
					if !yield(v[start:i]) {
						return
					}
					start = i + 1
				}
			}
		}
		yield(v[start:])
	}
}

// setFields sets the qualified no-cache or private directive, and
// reports whether name with arg is one. An empty list counts as the
// unqualified directive.
func (d *directives) setFields(name, arg string) bool {
	if name != "no-cache" && name != "private" {
		return false
	}
	fields := fieldNames(strings.Split(arg, ","))
	if len(fields) == 0 {
		return false
	}
	if name == "no-cache" {
		d.noCacheFields = append(d.noCacheFields, fields...)
	} else {
		d.privateFields = append(d.privateFields, fields...)
	}
	return true
}

// fieldNames returns the canonical forms of the non-empty names.
func fieldNames(names []string) []string {
	var out []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, http.CanonicalHeaderKey(n))
		}
	}
	return out
}

// setDuration sets the directive name with an argument, and reports
// whether name is one.
func (d *directives) setDuration(name, arg string, hasArg bool) bool {
	switch name {
	case "max-age":
		d.maxAge = seconds(arg, d.maxAge)
	case "s-maxage":
		d.sMaxAge = seconds(arg, d.sMaxAge)
	case "max-stale":
		if hasArg {
			d.maxStale = seconds(arg, d.maxStale)
		} else {
			d.maxStaleAny = true
		}
	case "min-fresh":
		d.minFresh = seconds(arg, d.minFresh)
	case "stale-if-error":
		d.staleIfError = seconds(arg, d.staleIfError)
	case "stale-while-revalidate":
		d.staleRevalidate = seconds(arg, d.staleRevalidate)
	default:
		return false
	}
	return true
}

// setFlag sets the directive name without an argument; unknown ones are
// ignored (RFC 9111 5.2.3).
func (d *directives) setFlag(name string) {
	switch name {
	case "no-store":
		d.noStore = true
	case "no-cache":
		d.noCache = true
	case "private":
		d.private = true
	case "public":
		d.public = true
	case "must-revalidate":
		d.mustRevalidate = true
	case "proxy-revalidate":
		d.proxyRevalidate = true
	case "immutable":
		d.immutable = true
	case "only-if-cached":
		d.onlyIfCached = true
	case "must-understand":
		d.mustUnderstand = true
	}
}

// seconds parses a delta-seconds argument. An invalid one keeps old when it
// was set; otherwise it counts as 0, the safe reading (RFC 9111 1.2.2).
// Very large values are capped (2^31 seconds, as the RFC suggests).
func seconds(arg string, old time.Duration) time.Duration {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n < 0 {
		if numErr, ok := err.(*strconv.NumError); ok && numErr.Err == strconv.ErrRange && !strings.HasPrefix(arg, "-") {
			return (1 << 31) * time.Second
		}
		if old >= 0 {
			return old
		}
		return 0
	}
	return time.Duration(min(n, 1<<31)) * time.Second
}

// heuristicCodes are the status codes cacheable by default, to which a
// heuristic lifetime may apply (RFC 9110 15.1).
var heuristicCodes = map[int]bool{200: true, 203: true, 204: true, 206: true, 300: true, 301: true, 308: true, 404: true, 405: true, 410: true, 414: true, 501: true}

// explicitLifetime returns the lifetime the response headers set (RFC 9111
// 4.2.1), and false when they set none.
func explicitLifetime(h http.Header, d directives, shared bool, responseTime time.Time) (time.Duration, bool) {
	if shared && d.sMaxAge >= 0 {
		return d.sMaxAge, true
	}
	if d.maxAge >= 0 {
		return d.maxAge, true
	}
	if len(h["Expires"]) > 0 && !d.targeted {
		t, ok := headerDate(h, "Expires", responseTime)
		if !ok {
			return 0, true // invalid Expires: already expired (RFC 9111 5.3)
		}
		date := responseDate(h, responseTime)
		return max(t.Sub(date), 0), true
	}
	return 0, false
}

// heuristicLifetime returns 10% of the time since Last-Modified, capped at
// MaxHeuristicLifetime, and false when it does not apply.
func heuristicLifetime(h http.Header, status int, d directives, responseTime time.Time) (time.Duration, bool) {
	if !heuristicCodes[status] && !d.public {
		return 0, false
	}
	lm, ok := headerDate(h, "Last-Modified", responseTime)
	if !ok {
		return 0, false
	}
	since := responseDate(h, responseTime).Sub(lm)
	if since <= 0 {
		return 0, false
	}
	return min(since/10, MaxHeuristicLifetime), true
}

// responseDate returns the Date header, or the time the response came.
func responseDate(h http.Header, responseTime time.Time) time.Time {
	if t, ok := headerDate(h, "Date", responseTime); ok {
		return t
	}
	return responseTime
}

// initialAge computes corrected_initial_age (RFC 9111 4.2.3).
func initialAge(h http.Header, requestTime, responseTime time.Time) time.Duration {
	apparent := max(responseTime.Sub(responseDate(h, responseTime)), 0)
	age, _ := ageValue(h)
	corrected := age + max(responseTime.Sub(requestTime), 0)
	return max(apparent, corrected)
}
