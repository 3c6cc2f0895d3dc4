package httpcache_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/internal/faulttest"
)

// TestEncryptedCacheSecurity keeps an HTTP cache in every backend through
// kv.EncryptStore, as on a shared Redis or disk: the raw bytes hold no
// body, header or URL in clear; an entry moved to another URL's key, a
// tampered one, and one forged in clear (a valid unencrypted Response)
// are each a miss answered by the origin, reported as kv.ErrCorrupt and
// removed, never served.
func TestEncryptedCacheSecurity(t *testing.T) {
	ring, err := kv.NewKeyring(7, map[uint32][]byte{7: bytes.Repeat([]byte{0x42}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range faulttest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			inst := b.New(t)
			origin := &cannedOrigin{respond: func(req *http.Request) *http.Response {
				body := "CONFIDENTIAL body of " + req.URL.Path
				return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
					Header: http.Header{"Cache-Control": {"max-age=600"}, "X-Internal": {"CONFIDENTIAL-header"}},
					Body:   nopBody(body), ContentLength: int64(len(body)), Request: req}
			}}
			var log errorLog
			tr := httpcache.NewFromStores(kv.EncryptStore(inst.Store, ring), nil, httpcache.WithTransport(origin), httpcache.WithErrorHook(log.hook))
			defer tr.Close()
			const ua, ub = "http://example.test/CONFIDENTIAL-a", "http://example.test/CONFIDENTIAL-b"
			getFault(t, tr, ua, nil)
			keyA := rawKeys(t, inst.Store)[0]
			getFault(t, tr, ub, nil)
			var keyB string
			for _, k := range rawKeys(t, inst.Store) {
				if k != keyA {
					keyB = k
				}
			}
			for _, u := range []string{ua, ub} {
				if got := getFault(t, tr, u, nil); got.status != httpcache.Hit {
					t.Fatalf("%s: %s, want hit", u, got.status)
				}
			}
			dump := inst.Dump(t)
			if !bytes.Contains(dump, []byte(keyA)) {
				t.Fatalf("key %s not in the %d raw bytes: the dump does not show what is stored", keyA, len(dump))
			}
			if bytes.Contains(dump, []byte("CONFIDENTIAL")) {
				t.Fatalf("%s holds cached data in clear", b.Name)
			}
			sealedB, err := inst.Store.Get(ctx, keyB)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := kv.CBOR[*httpcache.Response]().Encode(&httpcache.Response{Version: httpcache.FormatVersion,
				Method: "GET", URL: ua, StatusCode: 200, Proto: "HTTP/1.1", Body: []byte("forged")})
			if err != nil {
				t.Fatal(err)
			}
			tampered := bytes.Clone(sealedB)
			tampered[len(tampered)/2] ^= 1
			for _, c := range []struct {
				name, url, key string
				bytes          []byte
			}{
				{"moved from another URL", ua, keyA, sealedB},
				{"tampered", ub, keyB, tampered},
				{"forged in clear", ua, keyA, plain},
			} {
				if err := inst.Store.Set(ctx, c.key, c.bytes); err != nil {
					t.Fatal(err)
				}
				before := log.count(kv.ErrCorrupt)
				got := getFault(t, tr, c.url, nil)
				if got.status != httpcache.Miss || got.body != "CONFIDENTIAL body of "+c.url[len("http://example.test"):] {
					t.Fatalf("%s: %s %q, want a miss answered by the origin", c.name, got.status, got.body)
				}
				if log.count(kv.ErrCorrupt) == before {
					t.Fatalf("%s: not reported as kv.ErrCorrupt", c.name)
				}
				if v, err := inst.Store.Get(ctx, c.key); err == nil && bytes.Equal(v, c.bytes) {
					t.Fatalf("%s: the bad entry is still stored", c.name)
				}
			}
		})
	}
}
