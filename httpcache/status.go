package httpcache

import "net/http"

// understoodCodes are the final status codes whose caching rules this
// cache implements (RFC 9110 15): those of RFC 9110 (206 among them: a
// part is stored apart from the complete response, see storableCode)
// but 304 (a validation answer, never stored as a response) and the
// obsolete 305 and 306. A response with
// must-understand is stored only with one of them (RFC 9111 3, 5.2.2.3).
// Codes of other specifications may restrict caching (RFC 6585 forbids
// storing 428, 429, 431 and 511), so they are not stored unless
// WithAllowedCodes lists them.
var understoodCodes = map[int]bool{
	200: true, 201: true, 202: true, 203: true, 204: true, 205: true, 206: true,
	300: true, 301: true, 302: true, 303: true, 307: true, 308: true,
	400: true, 401: true, 402: true, 403: true, 404: true, 405: true, 406: true, 407: true, 408: true,
	409: true, 410: true, 411: true, 412: true, 413: true, 414: true, 415: true, 416: true, 417: true,
	421: true, 422: true, 426: true,
	500: true, 501: true, 502: true, 503: true, 504: true, 505: true,
}

// codeAllowed reports whether a response with status code may be stored
// at all, before its headers are read: the codes of WithAllowedCodes when
// it was given; else, with Cache-Control honoured, the understood ones
// (the headers then decide, see storableResponse), and 200 alone with it
// off.
func (o *options) codeAllowed(code int) bool {
	switch {
	case o.codes != nil:
		return o.codes[code]
	case !o.cacheControl:
		return code == http.StatusOK
	}
	return understoodCodes[code]
}

// storableResponse applies the response directives to a response whose
// status code is allowed (codeAllowed): the rules that forbid storing
// (storable, must-understand), and, unless WithAllowedCodes chose the
// codes, RFC 9111 3's condition that something make the response
// reusable: a heuristically cacheable status (RFC 9110 15.1), public,
// private in a private cache, or explicit freshness (max-age, s-maxage in
// a shared cache, Expires).
func (o *options) storableResponse(code int, h http.Header, authorized bool) bool {
	if !o.cacheControl {
		return true
	}
	d := o.responseDirectives(h)
	if !d.applyMustUnderstand(code) || !storable(d, o.shared, authorized) {
		return false
	}
	return o.codes != nil || heuristicCodes[code] || d.public || (!o.shared && d.private) || explicitFreshness(h, d, o.shared)
}

// applyMustUnderstand applies must-understand (RFC 9111 5.2.2.3) to the
// directives of a response with status code: with a code this cache
// understands, no-store is ignored; with another, the response is not to
// be stored, and it returns false.
func (d *directives) applyMustUnderstand(code int) bool {
	if !d.mustUnderstand {
		return true
	}
	if !understoodCodes[code] {
		return false
	}
	d.noStore = false
	return true
}

// explicitFreshness reports whether the response sets its own freshness
// lifetime (RFC 9111 4.2.1).
func explicitFreshness(h http.Header, d directives, shared bool) bool {
	return d.maxAge >= 0 || (shared && d.sMaxAge >= 0) || (!d.targeted && len(h["Expires"]) > 0)
}
