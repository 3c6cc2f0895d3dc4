package httpcache

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Vary normalisation (RFC 9111 4.1): a stored response selected by Vary
// may answer a request whose header values differ from the stored
// request's only in ways that do not change their meaning. The values of
// each field named by Vary go through the field's normaliser before they
// are hashed into the variant key, so equivalent requests share one
// variant.
//
// By default:
//   - Accept-Language and Accept-Encoding: a list whose order, case and
//     whitespace do not matter (RFC 9110 12.5.3, 12.5.4: the preference is
//     carried by the q parameter, not by the order), so its members are
//     trimmed, lower-cased, stripped of whitespace, sorted and deduplicated;
//   - Accept: whitespace around list members and parameters removed (order
//     kept: media ranges of equal weight are ranked by specificity, but the
//     field is left as close to the request as is safe).
//
// Other fields are trimmed and their field lines joined with ", ".

// WithVaryNormalizer sets the normaliser of a request header's value when
// a response varies by it (Vary, or WithMatchHeaders): requests whose
// normalised values are equal share a stored variant. fn gets the field's
// lines joined with ", " and trimmed, and must be pure and fast (it runs on
// every request to a varying URL). It replaces the default normaliser of
// Accept, Accept-Encoding and Accept-Language; a nil fn restores the
// plain comparison for the field.
func WithVaryNormalizer(field string, fn func(string) string) Option {
	return func(o *options) {
		if o.varyNorm == nil {
			o.varyNorm = maps.Clone(defaultVaryNormalizers)
		}
		o.varyNorm[http.CanonicalHeaderKey(field)] = fn
	}
}

// varyNormalizers maps canonical header names to their normaliser.
type varyNormalizers map[string]func(string) string

var defaultVaryNormalizers = varyNormalizers{
	"Accept":          normalizeAccept,
	"Accept-Encoding": normalizeTokenList,
	"Accept-Language": normalizeTokenList,
}

// normalizers returns the configured normalisers, the defaults when none
// was set.
func (o *options) normalizers() varyNormalizers {
	if o.varyNorm == nil {
		return defaultVaryNormalizers
	}
	return o.varyNorm
}

// variantKey is the key of the variant of primary selected by the values
// of names in the request header h, each normalised (RFC 9111 4.1).
func (n varyNormalizers) variantKey(primary string, names []string, h http.Header) string {
	parts := make([]string, 0, 1+2*len(names))
	parts = append(parts, primary)
	for _, name := range names {
		v := headerValue(h, name)
		if fn := n[name]; fn != nil {
			v = fn(v)
		}
		parts = append(parts, name, v)
	}
	return hashKey(parts...)
}

// normalizeTokenList normalises a list whose members' order, case and
// whitespace carry no meaning: "en-US, fr;q=0.5" and "FR; q=0.5,en-us"
// both become "en-us,fr;q=0.5".
func normalizeTokenList(v string) string {
	members := strings.Split(v, ",")
	out := members[:0]
	for _, m := range members {
		m = strings.ToLower(removeSpace(m))
		if m != "" {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}

// normalizeAccept removes the whitespace of an Accept value (around
// commas, semicolons and equals signs), keeping the order and case of
// its members: "text/html; q=0.9 , */*" becomes "text/html;q=0.9,*/*".
func normalizeAccept(v string) string { return removeSpace(v) }

// removeSpace drops spaces and tabs (the OWS and BWS of RFC 9110 5.6.3).
// A quoted parameter value with a space is rare in these fields; it is
// compared without its spaces too.
func removeSpace(s string) string {
	if !strings.ContainsAny(s, " \t") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
}
