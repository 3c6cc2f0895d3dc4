package httpcache_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/redis"
	"github.com/redis/rueidis"
)

// TestRedisStoreTTLByDefault: with the default options, every entry the
// Transport writes to Redis (the response, and the alias of a redirect
// that led to it) has a PTTL > 0 covering its freshness and the default
// keep-for-revalidation window, so an expired response leaves Redis by
// itself; WithKeepStale(-1) writes none, as before.
func TestRedisStoreTTLByDefault(t *testing.T) {
	addr := serverEnv(t, "KV_TEST_REDIS_ADDR")
	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, "body")
	}))
	defer origin.Close()
	ctx := context.Background()

	for _, c := range []struct {
		name     string
		opts     []httpcache.Option
		min, max time.Duration // PTTL of every key; 0, 0: none (-1)
	}{
		{"defaults", nil, 60*time.Second + httpcache.DefaultKeepStale - 5*time.Second, 60*time.Second + httpcache.DefaultKeepStale},
		{"keep stale 1m", []httpcache.Option{httpcache.WithKeepStale(time.Minute)}, 115 * time.Second, 120 * time.Second},
		{"keep stale off", []httpcache.Option{httpcache.WithKeepStale(-1)}, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			store := must(redis.New(client, uniqueName("httpcache-ttl")))(t)
			t.Cleanup(func() { store.Clear(ctx) })
			tr := httpcache.NewFromStores(store, nil, c.opts...)
			defer tr.Close()
			resp, err := tr.Client().Get(origin.URL + "/old")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			n := 0
			for key, err := range store.Keys(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				n++
				pttl, err := client.Do(ctx, client.B().Pttl().Key(store.Key(key)).Build()).AsInt64()
				if err != nil {
					t.Fatal(err)
				}
				got := time.Duration(pttl) * time.Millisecond
				if c.max == 0 {
					if pttl != -1 {
						t.Errorf("key %s: PTTL %v, want none (-1)", key, got)
					}
					continue
				}
				if got < c.min || got > c.max {
					t.Errorf("key %s: PTTL %v, want in [%v, %v]", key, got, c.min, c.max)
				}
			}
			if n != 2 {
				t.Errorf("%d keys in Redis, want 2 (the response and the alias of /old)", n)
			}
		})
	}
}
