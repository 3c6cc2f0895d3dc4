package httpcache

import (
	"net/http"
	"strconv"
	"strings"
)

// defaultTargeted is the targeted field a shared cache reads unless
// WithTargetedCacheControl says otherwise (RFC 9213 3).
var defaultTargeted = []string{"Cdn-Cache-Control"}

// responseDirectives returns the directives that rule the caching of a
// response with header h: in a shared cache, those of the first targeted
// field (WithTargetedCacheControl) with a valid, non-empty value, which
// then replace Cache-Control and Expires (RFC 9213 2.2); else
// Cache-Control's.
func (o *options) responseDirectives(h http.Header) directives {
	if o.shared {
		for _, name := range o.targeted {
			if lines := h[name]; len(lines) > 0 {
				if d, ok := targetedDirectives(lines); ok {
					return d
				}
			}
		}
	}
	return parseDirectives(h)
}

// targetedDirectives reads the directives of a targeted field (RFC 9213
// 2.1): a Structured Field Dictionary whose members are Cache-Control
// directives. It returns false when the field is not a valid Dictionary
// or is empty, and is then to be ignored. A member whose value is not of
// the directive's type is ignored, as unknown directives are.
func targetedDirectives(lines []string) (directives, bool) {
	members, ok := parseSFDictionary(lines)
	if !ok || len(members) == 0 {
		return directives{}, false
	}
	d := noDirectives
	d.targeted = true
	for _, m := range members {
		d.setTargeted(m.key, m.val)
	}
	return d, true
}

// setTargeted sets the directive key of a targeted field: durations take
// a non-negative Integer, flags a true Boolean, no-cache and private a
// true Boolean or field names (a String of comma-separated names, or an
// Inner List of them; an empty list counts as the unqualified
// directive).
func (d *directives) setTargeted(key string, v sfValue) {
	switch key {
	case "max-age", "s-maxage", "stale-while-revalidate", "stale-if-error":
		if v.kind == sfInteger && v.n >= 0 {
			d.setDuration(key, strconv.FormatInt(v.n, 10), true)
		}
	case "no-cache", "private":
		d.setQualifiable(key, v)
	default:
		if v.kind == sfBoolean && v.b {
			d.setFlag(key)
		}
	}
}

// setQualifiable sets no-cache or private from a targeted field's value.
func (d *directives) setQualifiable(key string, v sfValue) {
	qualified := false
	switch v.kind {
	case sfString:
		qualified = d.setFields(key, v.s)
	case sfInnerList:
		qualified = d.setFields(key, strings.Join(v.list, ","))
	case sfBoolean:
		if !v.b {
			return
		}
	default:
		return
	}
	if !qualified {
		d.setFlag(key)
	}
}
