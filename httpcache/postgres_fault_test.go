package httpcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/postgres"
)

// TestPostgresStoppedFault runs requests through a Transport over a
// PostgreSQL store while the test's own postgres is killed (SIGKILL, the
// postmaster and every backend) and later started again on the same
// port, where it recovers its data from the write-ahead log. Throughout,
// every request is answered by the origin or the cache (none fails, none
// takes longer than a few store timeouts); while PostgreSQL is down,
// store calls fail promptly within their context deadline; once it is
// back, the pool dials new connections by itself and the cache works
// again (a cache hit after the restart).
func TestPostgresStoppedFault(t *testing.T) {
	srv := faulttest.StartPostgres(t)
	store, err := postgres.Open(context.Background(), srv.URL+"&connect_timeout=1", faulttest.UniqueName("fault"),
		postgres.WithUnlogged(true),
		postgres.WithPoolConfig(func(c *pgxpool.Config) {
			// Broken connections are found when they are used, and dropped;
			// checking idle ones too makes the pool notice sooner.
			c.HealthCheckPeriod = 500 * time.Millisecond
		}))
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
