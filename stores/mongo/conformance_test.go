package mongo_test

import (
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	mongostore "github.com/kvkit/kv/stores/mongo"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, conformanceConfig(t))
}

// BenchmarkConformance runs the suite's benchmarks; GetMany100 against
// Get100Loop is the batch read against 100 single reads.
func BenchmarkConformance(b *testing.B) {
	conformance.Benchmark(b, conformanceConfig(b))
}

func conformanceConfig(tb testing.TB) conformance.Config {
	client := testClient(tb)
	return conformance.Config{
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
			PrefixScan:    true,
			KeyScan:       true,
			// Expiry is exact to the nanosecond, but a round trip to a
			// loaded local server can take hundreds of milliseconds, and
			// the suite's TTL checks wait a few resolutions: a second
			// keeps them clear of a slow machine.
			TTLResolution: time.Second,
			MaxKeySize:    mongostore.MaxKeySize,
			MaxValueSize:  mongostore.MaxValueSize,
		},
	}
}
