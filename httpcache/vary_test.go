package httpcache

import (
	"net/http"
	"strings"
	"testing"
)

// TestVaryNormalize checks that equivalent request header values select
// the same variant and different ones do not (RFC 9111 4.1).
func TestVaryNormalize(t *testing.T) {
	custom := defaultOptions()
	WithVaryNormalizer("X-Tenant", strings.ToLower)(&custom)
	plain := defaultOptions()
	WithVaryNormalizer("accept-language", nil)(&plain)
	rows := []struct {
		rfc    string
		o      options
		name   string
		a, b   []string
		shared bool
	}{
		{"9111 4.1, 9110 12.5.4: Accept-Language order", defaultOptions(), "Accept-Language", []string{"en-US, fr;q=0.5"}, []string{"fr;q=0.5, en-US"}, true},
		{"9111 4.1: Accept-Language case", defaultOptions(), "Accept-Language", []string{"en-us"}, []string{"EN-US"}, true},
		{"9111 4.1: Accept-Language whitespace", defaultOptions(), "Accept-Language", []string{"en, fr; q=0.5"}, []string{"en,fr;q=0.5"}, true},
		{"9111 4.1: Accept-Language field lines as one list", defaultOptions(), "Accept-Language", []string{"fr", "en"}, []string{"en, fr"}, true},
		{"9111 4.1: Accept-Language duplicates", defaultOptions(), "Accept-Language", []string{"en, en"}, []string{"en"}, true},
		{"9111 4.1: Accept-Language different languages", defaultOptions(), "Accept-Language", []string{"en"}, []string{"fr"}, false},
		{"9111 4.1: Accept-Language different weights", defaultOptions(), "Accept-Language", []string{"en;q=0.5"}, []string{"en;q=0.6"}, false},
		{"9111 4.1, 9110 12.5.3: Accept-Encoding order and case", defaultOptions(), "Accept-Encoding", []string{"gzip, BR"}, []string{"br,gzip"}, true},
		{"9111 4.1: Accept-Encoding different codings", defaultOptions(), "Accept-Encoding", []string{"gzip"}, []string{"br"}, false},
		{"9111 4.1: Accept whitespace", defaultOptions(), "Accept", []string{"text/html; q=0.9 , */*"}, []string{"text/html;q=0.9,*/*"}, true},
		{"9111 4.1: Accept order kept", defaultOptions(), "Accept", []string{"text/html, application/json"}, []string{"application/json, text/html"}, false},
		{"9111 4.1: other fields compared as sent", defaultOptions(), "X-Tenant", []string{"A"}, []string{"a"}, false},
		{"9111 4.1: a per-field normaliser", custom, "X-Tenant", []string{"A"}, []string{"a"}, true},
		{"9111 4.1: a custom normaliser keeps the defaults", custom, "Accept-Language", []string{"en, fr"}, []string{"fr,en"}, true},
		{"9111 4.1: a nil normaliser restores plain comparison", plain, "Accept-Language", []string{"en, fr"}, []string{"fr, en"}, false},
	}
	for _, r := range rows {
		n := r.o.normalizers()
		ka := n.variantKey("p", []string{r.name}, http.Header{r.name: r.a})
		kb := n.variantKey("p", []string{r.name}, http.Header{r.name: r.b})
		if (ka == kb) != r.shared {
			t.Errorf("%s: %q and %q share a variant: %v, want %v", r.rfc, r.a, r.b, ka == kb, r.shared)
		}
	}
}
