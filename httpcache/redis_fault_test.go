package httpcache_test

import (
	"context"
	"net"
	"testing"
	"time"

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
	store, err := redis.Open(context.Background(), rueidis.ClientOption{
		InitAddress:  []string{srv.Addr},
		DisableCache: true,
		Dialer:       net.Dialer{Timeout: 500 * time.Millisecond},
	}, faulttest.UniqueName("fault"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runStoppedServer(t, stoppedServer{
		store:        store,
		kill:         srv.Kill,
		start:        func() { srv.Start(t) },
		storeTimeout: 300 * time.Millisecond, // two of them stay well above one failing call plus the origin on a loaded 2-core machine
		direct:       200 * time.Millisecond,
		down:         time.Second,
		hung:         3 * time.Second,
	})
}
