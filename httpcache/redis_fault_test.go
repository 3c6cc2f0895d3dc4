package httpcache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/redis"
	"github.com/redis/rueidis"
)

// TestRedisStoppedFault runs requests through a Transport over a Redis
// store while the test's own redis-server is killed (SIGKILL) and later
// started again on the same port. Throughout, every request is answered
// by the origin or the cache (none fails, none takes longer than a few
// store timeouts); while Redis is down, store calls fail promptly within
// their context deadline; once it is back, the store and the cache work
// again by themselves (a cache hit after the restart).
func TestRedisStoppedFault(t *testing.T) {
	srv := faulttest.StartRedis(t)
	var originHits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originHits.Add(1)
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprint(w, "body of "+r.URL.Path)
	}))
	defer origin.Close()

	ctx := context.Background()
	store, err := redis.Open(ctx, rueidis.ClientOption{
		InitAddress:  []string{srv.Addr},
		DisableCache: true,
		Dialer:       net.Dialer{Timeout: 500 * time.Millisecond},
	}, faulttest.UniqueName("fault"))
	if err != nil {
		t.Fatal(err)
	}
	const storeTimeout = 150 * time.Millisecond
	var storeErrs atomic.Int64
	tr := httpcache.NewFromStores(store, nil, httpcache.WithStoreTimeout(storeTimeout),
		httpcache.WithErrorHook(func(error) { storeErrs.Add(1) }))
	defer tr.Close()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	var (
		phase    atomic.Int32 // 0 up, 1 down, 2 restarted
		requests [3]atomic.Int64
		hits     [3]atomic.Int64
		failed   atomic.Int64
		slowest  atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	const hung = 3 * time.Second
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := phase.Load()
				path := fmt.Sprintf("/r/%d", (w*7+i)%16)
				start := time.Now()
				resp, err := client.Get(origin.URL + path)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				took := time.Since(start)
				for old := slowest.Load(); int64(took) > old && !slowest.CompareAndSwap(old, int64(took)); old = slowest.Load() {
				}
				requests[p].Add(1)
				if err != nil || resp.StatusCode != 200 || string(body) != "body of "+path || took > hung {
					failed.Add(1)
					t.Errorf("phase %d: GET %s: %v, took %v", p, path, err, took)
					continue
				}
				if httpcache.CacheStatus(resp) == httpcache.Hit {
					hits[p].Add(1)
				}
			}
		}()
	}

	time.Sleep(700 * time.Millisecond)
	srv.Kill()
	phase.Store(1)
	killedAt := time.Now()
	// Direct store calls fail promptly while the server is down.
	var directErrs int
	var directSlowest time.Duration
	for i := range 5 {
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		start := time.Now()
		_, err := store.Get(cctx, fmt.Sprintf("k%d", i))
		took := time.Since(start)
		cancel()
		directSlowest = max(directSlowest, took)
		if err == nil || errors.Is(err, kv.ErrNotFound) {
			t.Errorf("Get with Redis down: %v, want an error", err)
		} else {
			directErrs++
		}
		if took > time.Second {
			t.Errorf("Get with Redis down took %v with a 200ms deadline", took)
		}
	}
	time.Sleep(1500*time.Millisecond - time.Since(killedAt))
	srv.Start(t)
	phase.Store(2)
	restartedAt := time.Now()
	// The store recovers by itself.
	var recovered time.Duration
	for {
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := store.Set(cctx, "probe", []byte("ok"))
		cancel()
		if err == nil {
			recovered = time.Since(restartedAt)
			break
		}
		if time.Since(restartedAt) > 10*time.Second {
			t.Fatalf("store still failing 10s after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// And so does the cache: wait for hits after the restart.
	for hits[2].Load() == 0 && time.Since(restartedAt) < 10*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if hits[0].Load() == 0 || hits[2].Load() == 0 {
		t.Fatalf("hits before the kill %d, after the restart %d: want both > 0", hits[0].Load(), hits[2].Load())
	}
	if requests[1].Load() == 0 {
		t.Fatal("no request ran while Redis was down: the test proved nothing")
	}
	t.Logf("requests: up %d (hits %d), down %d (hits %d), restarted %d (hits %d); failed %d; slowest %v; store errors reported %d; direct Gets while down: %d errors, slowest %v; store back %v after restart",
		requests[0].Load(), hits[0].Load(), requests[1].Load(), hits[1].Load(), requests[2].Load(), hits[2].Load(),
		failed.Load(), time.Duration(slowest.Load()), storeErrs.Load(), directErrs, directSlowest, recovered)
}
