package httpcache_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/kvkit/kv/httpcache"
)

// testBodyKey: POST bodies that differ only in parameter or key order,
// whitespace, or ignored parameters share one stored response, in private
// and shared mode; bodies that differ in a value do not.
func testBodyKey(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			e := newEnv(t, b, validating(map[string]string{"Cache-Control": "public, max-age=60"}),
				httpcache.WithShared(shared), httpcache.WithAllowedMethods("GET", "POST"), httpcache.WithIgnoredParams("nonce"))
			post := func(ct, body string) httpcache.Status {
				return e.do(e.req(context.Background(), "POST", "/q", body, http.Header{"Content-Type": {ct}})).status
			}
			const form, js = "application/x-www-form-urlencoded", "application/json"
			steps := []struct {
				ct, body string
				want     httpcache.Status
			}{
				{form, "a=1&b=2&nonce=1", httpcache.Miss},
				{form, "b=2&a=1&nonce=2", httpcache.Hit},
				{form, "b=3&a=1", httpcache.Miss},
				{js, `{"b": 2, "a": {"y": 1, "x": 2}, "nonce": 1}`, httpcache.Miss},
				{js, `{"a":{"x":2,"y":1},"b":2,"nonce":2}`, httpcache.Hit},
				{js, `{"a":{"x":2,"y":1},"b":3}`, httpcache.Miss},
			}
			for i, s := range steps {
				if got := post(s.ct, s.body); got != s.want {
					t.Fatalf("step %d (%s %s): %s, want %s", i, s.ct, s.body, got, s.want)
				}
			}
			if n := e.hits.Load(); n != 4 {
				t.Fatalf("%d origin requests, want 4", n)
			}
		})
	}
}
