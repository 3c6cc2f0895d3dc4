package httpcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/kvkit/kv/internal/faulttest"
	mongostore "github.com/kvkit/kv/stores/mongo"
)

// TestMongoStoppedFault runs requests through a Transport over a MongoDB
// store while the test's own FerretDB (the testservers binary, on a pinned
// loopback address) is killed (SIGKILL) and started again on the same
// address, empty: no request fails or hangs, store calls fail within
// their deadline while it is down, and the store and the cache work again
// by themselves after.
func TestMongoStoppedFault(t *testing.T) {
	srv := faulttest.StartFerretDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	store, err := mongostore.Open(ctx, srv.URI, faulttest.UniqueName("fault"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runStoppedServer(t, stoppedServer{
		store:        store,
		kill:         srv.Kill,
		start:        func() { srv.Start(t) },
		storeTimeout: 300 * time.Millisecond, // two of them stay well above one failing call plus the origin on a loaded 2-core machine
		direct:       500 * time.Millisecond,
		down:         2500 * time.Millisecond,
		hung:         5 * time.Second,
	})
}
