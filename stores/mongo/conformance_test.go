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
			// Expiry is exact to the nanosecond, but TTL/OverwriteClears
			// starts its clock before four writes, the last of which sets
			// the TTL, and waits only 2*TTLResolution past the TTL for it.
			// With the machine at load 20 on 2 cores, 250ms was not enough
			// for FerretDB.
			TTLResolution: time.Second,
			MaxKeySize:    mongostore.MaxKeySize,
			MaxValueSize:  mongostore.MaxValueSize,
		},
	})
}
