package httpcache_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

var fuzzEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// sampleResponse is a stored response with every field set, as seed.
func sampleResponse() *httpcache.Response {
	return &httpcache.Response{
		Version: httpcache.FormatVersion, Method: "GET", URL: "http://example.test/a?b=c",
		RequestHeader: http.Header{"Accept": {"text/html"}},
		StatusCode:    200, Proto: "HTTP/1.1",
		Header:      http.Header{"Content-Type": {"text/plain"}, "Etag": {`"x"`}},
		Body:        []byte("hello"),
		RequestTime: fuzzEpoch, ResponseTime: fuzzEpoch.Add(time.Millisecond),
		InitialAge: time.Second, Expires: fuzzEpoch.Add(time.Hour), Until: fuzzEpoch.Add(2 * time.Hour),
		MustRevalidate: true, Immutable: true, StaleIfError: time.Minute, StaleWhileRevalidate: time.Minute,
		Vary: []string{"Accept"}, Variants: []string{"k1"}, Alias: "k2",
	}
}

// FuzzResponseDecode feeds arbitrary bytes to the CBOR codec of stored
// responses, and then to a Transport as the entry under a real key. The
// codec never panics and reports every failure as kv.ErrCorrupt; the
// Transport never panics or fails the request, and an entry that does not
// decode is a miss answered by the origin and reported to the hook.
func FuzzResponseDecode(f *testing.F) {
	codec := kv.CBOR[*httpcache.Response]()
	full, err := codec.Encode(sampleResponse())
	if err != nil {
		f.Fatal(err)
	}
	variants := &httpcache.Response{Version: 1, Kind: httpcache.KindVariants, Vary: []string{"Accept"}, Variants: []string{strings.Repeat("0", 64)}}
	vb, _ := codec.Encode(variants)
	negative := &httpcache.Response{Version: 1, StatusCode: -7, Proto: "HTTP/9.9", InitialAge: -time.Hour, Expires: fuzzEpoch.Add(-time.Hour)}
	nb, _ := codec.Encode(negative)
	f.Add(full)
	f.Add(full[:len(full)/2])
	f.Add(vb)
	f.Add(nb)
	f.Add([]byte{})
	f.Add([]byte{0xf6})                                     // null
	f.Add([]byte{0xa1, 0x61, 0x76, 0x00})                   // {"v": 0}: an older version
	f.Add([]byte{0x9b, 0, 0, 0, 1, 0, 0, 0, 0})             // an array claiming 2^32 elements
	f.Add(append(bytesRepeat(0x81, 100), 0x00))             // 100 nested arrays
	f.Add([]byte{0xa2, 0x61, 0x76, 0x01, 0x61, 0x76, 0x01}) // duplicate map key
	f.Add([]byte{0xa1, 0x61, 0x68, 0xa1, 0x61, 0x58, 0x81, 0x19, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, decErr := codec.Decode(data)
		if decErr != nil && !errors.Is(decErr, kv.ErrCorrupt) {
			t.Fatalf("decode error does not wrap kv.ErrCorrupt: %v", decErr)
		}

		raw := memory.New[string, []byte](memory.WithSweepInterval(0))
		origin := &cannedOrigin{header: http.Header{"Cache-Control": {"max-age=600"}}, body: []byte("origin")}
		var log errorLog
		tr := httpcache.NewFromStores(raw, nil, httpcache.WithTransport(origin), httpcache.WithErrorHook(log.hook),
			httpcache.WithClock(func() time.Time { return fuzzEpoch }))
		defer tr.Close()
		const u = "http://example.test/doc"
		getFault(t, tr, u, nil)
		keys := rawKeys(t, raw)
		if len(keys) != 1 {
			t.Fatalf("%d keys after one response, want 1", len(keys))
		}
		if err := raw.Set(context.Background(), keys[0], data); err != nil {
			t.Fatal(err)
		}
		got := getFault(t, tr, u, http.Header{"Accept": {"text/html"}})
		if decErr != nil {
			if got.status != httpcache.Miss || got.body != "origin" {
				t.Fatalf("undecodable entry: status %s body %q, want a miss from the origin", got.status, got.body)
			}
			if log.count(kv.ErrCorrupt) == 0 {
				t.Fatal("undecodable entry not reported to the hook")
			}
		}
		// Whatever was stored, the Transport's maintenance survives it.
		for _, err := range tr.Entries(context.Background()) {
			if err != nil && !errors.Is(err, kv.ErrCorrupt) {
				t.Fatal(err)
			}
		}
		if _, err := tr.DeleteExpired(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func bytesRepeat(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

var hexKey = regexp.MustCompile(`^[0-9a-f]{64}$`)

// FuzzCacheKey checks URL normalisation and key building through the
// keys a Transport writes: every key is 64 hex digits; the same request
// with its query parameters in another order, with other values of ignored
// parameters (credentials), an upper-case host with the default port and
// a fragment finds the same entry; one more parameter does not; and no
// ignored parameter's value is stored.
func FuzzCacheKey(f *testing.F) {
	f.Add("/p", "a=1&b=2")
	f.Add("/", "")
	f.Add("/x/y", "b=2;a=1&c")
	f.Add("/%7Euser", "q=%41%42&q=AB&&=&")
	f.Add("/a b", "API_KEY=x&Token=y&z=%zz")
	f.Add("/ünï", "ü=ö&a=%2526")
	f.Add("", "a")
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		const secret, secret2 = "QZXsecretVAL1", "QZXsecretVAL2"
		if strings.Contains(path+rawQuery, "QZX") || strings.ContainsAny(rawQuery, "# \t\r\n") {
			return
		}
		u1, err := url.Parse("http://example.test/" + url.PathEscape(path) + "?" + rawQuery)
		if err != nil || u1.RawQuery != rawQuery {
			return
		}
		origin := &cannedOrigin{header: http.Header{"Cache-Control": {"max-age=600"}}, body: []byte("b")}
		m := memory.New[string, *httpcache.Response](memory.WithSweepInterval(0))
		defer m.Close()
		tr := httpcache.New(m, nil, httpcache.WithTransport(origin), httpcache.WithIgnoredParams("token"),
			httpcache.WithClock(func() time.Time { return fuzzEpoch }))
		defer tr.Close()

		q1 := joinQuery(rawQuery, "api_key="+secret, "token="+secret)
		params := strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' })
		slices.Reverse(params)
		q2 := joinQuery("token="+secret2, strings.Join(params, "&"), "API_KEY="+secret2)
		u2 := *u1
		u2.Host, u2.RawQuery, u2.Fragment = "EXAMPLE.test:80", q2, "frag"
		u3 := *u1
		u3.RawQuery = joinQuery(rawQuery, "zzextra=1")

		u1.RawQuery = q1
		req := func(u *url.URL) *http.Request {
			return (&http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}}).WithContext(context.Background())
		}
		if got := roundTripFault(t, tr, req(u1)); got.status != httpcache.Miss {
			t.Fatalf("first request: %s", got.status)
		}
		if got := roundTripFault(t, tr, req(&u2)); got.status != httpcache.Hit {
			t.Fatalf("%s after %s: %s, want hit (same key)", u2.String(), u1.String(), got.status)
		}
		if got := roundTripFault(t, tr, req(&u3)); got.status != httpcache.Miss {
			t.Fatalf("%s after %s: %s, want miss (another key)", u3.String(), u1.String(), got.status)
		}
		n := 0
		for e, err := range m.All(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if !hexKey.MatchString(e.Key) {
				t.Fatalf("key %q is not 64 hex digits", e.Key)
			}
			if strings.Contains(e.Value.URL, "QZX") {
				t.Fatalf("stored URL %q holds an ignored parameter's value", e.Value.URL)
			}
		}
		if n != 2 {
			t.Fatalf("%d entries, want 2", n)
		}
	})
}

func joinQuery(parts ...string) string {
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
	return strings.Join(parts, "&")
}

// FuzzCacheControl sends responses with arbitrary Cache-Control values
// (and requests with arbitrary ones) through a Transport in private and
// shared mode. Nothing panics and every request is answered with the
// origin's body; a response whose Cache-Control also says no-store is
// never stored (unless it says must-understand), nor is one that says
// private in shared mode; a stored
// response never expires before it was received.
func FuzzCacheControl(f *testing.F) {
	for _, s := range []struct{ resp, req string }{
		{"max-age=60", ""},
		{"no-cache, max-age=0", "max-stale"},
		{`public, s-maxage="120", must-revalidate`, "no-cache"},
		{"max-age=99999999999999999999", "min-fresh=10"},
		{"max-age=-1, stale-if-error=abc, stale-while-revalidate=5", "max-age=0, only-if-cached"},
		{"private=\"Set-Cookie\", immutable, max-age=1", "max-stale=1"},
		{`must-understand, no-cache="a, b", max-age=5`, ""},
		{",,,=,max-age,=5,MAX-AGE=7", ",;=\"\""},
	} {
		f.Add(s.resp, s.req, false)
		f.Add(s.resp, s.req, true)
	}
	f.Fuzz(func(t *testing.T, respCC, reqCC string, shared bool) {
		for _, extra := range []string{"", "no-store", "private"} {
			m := memory.New[string, *httpcache.Response](memory.WithSweepInterval(0))
			h := http.Header{"Cache-Control": {respCC}, "Etag": {`"v1"`}}
			if extra != "" {
				h.Add("Cache-Control", extra)
			}
			origin := &cannedOrigin{header: h, body: []byte("body")}
			// Read by background revalidations (stale-while-revalidate) too.
			var now atomic.Int64
			now.Store(fuzzEpoch.UnixNano())
			tr := httpcache.New(m, nil, httpcache.WithTransport(origin), httpcache.WithShared(shared),
				httpcache.WithClock(func() time.Time { return time.Unix(0, now.Load()) }))
			for i, reqH := range []http.Header{nil, {"Cache-Control": {reqCC}}} {
				got := getFault(t, tr, "http://example.test/cc", reqH)
				if got.code == http.StatusGatewayTimeout && strings.Contains(strings.ToLower(reqCC), "only-if-cached") {
					continue
				}
				if got.code != 200 || got.body != "body" {
					t.Fatalf("request %d (extra %q): %d %q, want the origin's body", i, extra, got.code, got.body)
				}
				now.Add(int64(time.Second))
			}
			n := 0
			for e, err := range m.All(context.Background()) {
				if err != nil {
					t.Fatal(err)
				}
				n++
				if r := e.Value; !r.Expires.IsZero() && r.Expires.Before(r.ResponseTime) {
					t.Fatalf("Cache-Control %q: expires %v before received %v", respCC, r.Expires, r.ResponseTime)
				}
			}
			mustUnderstand := strings.Contains(strings.ToLower(respCC), "must-understand") // voids no-store for a 200 (RFC 9111 5.2.2.3)
			if n > 0 && ((extra == "no-store" && !mustUnderstand) || (extra == "private" && shared)) {
				t.Fatalf("Cache-Control %q + %q (shared %v): %d entries stored", respCC, extra, shared, n)
			}
			tr.Close()
			m.Close()
		}
	})
}
