package httpcache_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kvkit/kv/httpcache"
)

// testVaryNormalized: a request whose Vary-named headers differ from the
// stored request's only in order, case or whitespace is answered by the
// stored variant (RFC 9111 4.1), in private and shared mode; a
// per-field normaliser (WithVaryNormalizer) extends this to other fields.
func testVaryNormalized(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=60")
				w.Header().Set("Vary", "Accept-Language, Accept-Encoding, Accept, X-Tenant")
				fmt.Fprint(w, "lang="+r.Header.Get("Accept-Language"))
			}, httpcache.WithShared(shared), httpcache.WithVaryNormalizer("X-Tenant", strings.ToLower))
			send := func(lang, enc, accept, tenant string) result {
				return e.do(e.req(context.Background(), "GET", "/v", "", http.Header{
					"Accept-Language": {lang}, "Accept-Encoding": {enc}, "Accept": {accept}, "X-Tenant": {tenant},
				}))
			}
			steps := []struct {
				lang, enc, accept, tenant string
				want                      httpcache.Status
			}{
				{"en-US, fr;q=0.5", "gzip, br", "text/html, */*;q=0.1", "Acme", httpcache.Miss},
				{"FR; q=0.5,en-us", "BR,gzip", "text/html ,*/* ; q=0.1", "ACME", httpcache.Hit},
				{"en-US,fr;q=0.5", "gzip,br", "text/html,*/*;q=0.1", "acme", httpcache.Hit},
				{"de", "gzip,br", "text/html,*/*;q=0.1", "acme", httpcache.Miss},
				{"en-US,fr;q=0.5", "gzip", "text/html,*/*;q=0.1", "acme", httpcache.Miss},
				{"en-US,fr;q=0.5", "gzip,br", "*/*;q=0.1,text/html", "acme", httpcache.Miss},
			}
			for i, s := range steps {
				if got := send(s.lang, s.enc, s.accept, s.tenant); got.status != s.want {
					t.Fatalf("step %d (%q %q %q %q): %s, want %s", i, s.lang, s.enc, s.accept, s.tenant, got.status, s.want)
				}
			}
			if n := e.hits.Load(); n != 4 {
				t.Fatalf("%d origin requests, want 4", n)
			}
		})
	}
}
