package mongo_test

import (
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	mongostore "github.com/kvkit/kv/stores/mongo"
)

func TestConformance(t *testing.T) {
	client := testClient(t)
	conformance.Run(t, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			coll := newCollection(t, client)
			return func() (kv.Store[string, []byte], error) {
				return mongostore.New(client, testDB, mongostore.WithCollection(coll))
			}
		},
		Capabilities: conformance.Capabilities{
			TTL:           true,
			Persistent:    true,
			SharedHandles: true,
			Batch:         true,
			// Expiry is exact to the nanosecond, but the TTL tests time a
			// few round trips against their TTL; on a loaded machine a
			// round trip to the server can take tens of milliseconds.
			TTLResolution: 250 * time.Millisecond,
			MaxKeySize:    mongostore.MaxKeySize,
			MaxValueSize:  mongostore.MaxValueSize,
		},
	})
}
