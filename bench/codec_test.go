package bench

import (
	"bytes"
	"encoding/gob"
	"net/http"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
)

// storedResponse is an httpcache.Response as the cache stores it after a
// GET of a JSON document with a body of size bytes.
func storedResponse(size int) *httpcache.Response {
	body := bytes.Repeat([]byte(`{"id":12345,"name":"abc"},`), size/26+1)[:size]
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
	return &httpcache.Response{
		Version:    httpcache.FormatVersion,
		Method:     http.MethodGet,
		URL:        "https://api.example.com/v1/items?page=2&sort=name",
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1",
		Header: http.Header{
			"Content-Type":   {"application/json; charset=utf-8"},
			"Cache-Control":  {"public, max-age=3600"},
			"Etag":           {`"5f2b3c9a-1c8e"`},
			"Last-Modified":  {"Sun, 22 Nov 2026 18:30:00 GMT"},
			"Date":           {"Mon, 23 Nov 2026 12:00:00 GMT"},
			"Vary":           {"Accept-Encoding"},
			"Server":         {"nginx"},
			"X-Request-Id":   {"7d1b0c2e-5b7f-4b36-9c53-0f2f8b5e6a11"},
			"Content-Length": {"0"},
		},
		Body:         body,
		RequestTime:  t0,
		ResponseTime: t0.Add(12 * time.Millisecond),
		Expires:      t0.Add(time.Hour),
		Vary:         []string{"Accept-Encoding"},
	}
}

// codecImpl is one way to turn a *httpcache.Response into bytes and back.
type codecImpl struct {
	name   string
	encode func(*httpcache.Response) ([]byte, error)
	decode func([]byte) (*httpcache.Response, error)
}

func codecImpls() []codecImpl {
	cb, js := kv.CBOR[*httpcache.Response](), kv.JSON[*httpcache.Response]()
	return []codecImpl{
		{"cbor", cb.Encode, cb.Decode},
		{"json", js.Encode, js.Decode},
		{"gob", gobEncode, gobDecode},
	}
}

// gobEncode writes one self-contained gob stream per value (type
// description included), as each stored entry must be.
func gobEncode(r *httpcache.Response) ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(r)
	return buf.Bytes(), err
}

func gobDecode(b []byte) (*httpcache.Response, error) {
	var r httpcache.Response
	err := gob.NewDecoder(bytes.NewReader(b)).Decode(&r)
	return &r, err
}

// BenchmarkCodec encodes and decodes the stored form of a cached response
// with bodies of 1 KB, 10 KB and 1 MB with kv.CBOR (the baseline, what the
// cache stores), kv.JSON and encoding/gob. The encoded size is reported
// as the metric encoded-bytes.
func BenchmarkCodec(b *testing.B) {
	for _, size := range []int{1 << 10, 10 << 10, 1 << 20} {
		resp := storedResponse(size)
		b.Run("body="+sizeName(size), func(b *testing.B) {
			for _, op := range []string{"encode", "decode"} {
				b.Run("op="+op, func(b *testing.B) {
					for _, c := range codecImpls() {
						b.Run("codec="+c.name, func(b *testing.B) {
							data, err := c.encode(resp)
							if err != nil {
								b.Fatal(err)
							}
							if back, err := c.decode(data); err != nil || len(back.Body) != size {
								b.Fatalf("round trip: %v", err)
							}
							b.ReportAllocs()
							if op == "encode" {
								for b.Loop() {
									if _, err := c.encode(resp); err != nil {
										b.Fatal(err)
									}
								}
							} else {
								for b.Loop() {
									if _, err := c.decode(data); err != nil {
										b.Fatal(err)
									}
								}
							}
							b.ReportMetric(float64(len(data)), "encoded-bytes")
						})
					}
				})
			}
		})
	}
}
