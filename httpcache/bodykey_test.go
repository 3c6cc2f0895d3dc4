package httpcache

import "testing"

// TestNormalizeBody checks which request bodies share a key.
func TestNormalizeBody(t *testing.T) {
	o := defaultOptions()
	WithIgnoredParams("nonce")(&o)
	rows := []struct {
		name, ct, a, b string
		same           bool
	}{
		{"form: order", "application/x-www-form-urlencoded", "a=1&b=2", "b=2&a=1", true},
		{"form: ignored parameter", "application/x-www-form-urlencoded; charset=utf-8", "a=1&nonce=x", "a=1&nonce=y", true},
		{"form: credential", "application/x-www-form-urlencoded", "a=1&api_key=s1", "a=1", true},
		{"form: different values", "application/x-www-form-urlencoded", "a=1", "a=2", false},
		{"json: key order and whitespace", "application/json", `{"b": 2, "a": [1, {"y":1,"x":2}]}`, `{"a":[1,{"x":2,"y":1}],"b":2}`, true},
		{"json: ignored member", "application/json", `{"a":1,"nonce":"x"}`, `{"a":1,"nonce":"y"}`, true},
		{"json: +json type", "application/problem+json", `{"b":1,"a":2}`, `{"a":2,"b":1}`, true},
		{"json: numbers keep their text", "application/json", `{"a":1.0}`, `{"a":1}`, false},
		{"json: different values", "application/json", `{"a":1}`, `{"a":2}`, false},
		{"json: invalid hashed as sent", "application/json", `{"a":1`, `{"a": 1`, false},
		{"json: array order kept", "application/json", `[1,2]`, `[2,1]`, false},
		{"other type as sent", "text/plain", "a=1&b=2", "b=2&a=1", false},
		{"no type as sent", "", `{"b":1,"a":2}`, `{"a":2,"b":1}`, false},
	}
	for _, r := range rows {
		a, b := string(o.normalizeBody(r.ct, []byte(r.a))), string(o.normalizeBody(r.ct, []byte(r.b)))
		if (a == b) != r.same {
			t.Errorf("%s: %q -> %q, %q -> %q: same %v, want %v", r.name, r.a, a, r.b, b, a == b, r.same)
		}
	}
}
