package dynamodb_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	ddbstore "github.com/kvkit/kv/stores/dynamodb"
)

// conformanceMaxValue is the value limit the suite runs with: above the
// 8 MiB it tries, below the default so that the race detector's slowdown
// of the SDK's encoding keeps the at-the-limit write well inside the
// suite's watchdog. TestChunkedValues covers the limit itself.
const conformanceMaxValue = 9 << 20

func TestConformance(t *testing.T) {
	conformance.Run(t, conformanceConfig(t))
}

// BenchmarkConformance runs the suite's benchmarks; GetMany100 against
// Get100Loop is the batch read against 100 single reads.
func BenchmarkConformance(b *testing.B) {
	conformance.Benchmark(b, conformanceConfig(b))
}

// conformanceConfig opens each handle of a location on the next of two
// clients in turn, so that two handles on one table (the shared-handle and
// conditional subtests) are two clients, as two processes would be.
func conformanceConfig(tb testing.TB) conformance.Config {
	clients := []*dynamodb.Client{testClient(tb), testClient(tb)}
	return conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			table := newTable(t, clients[0])
			var opened atomic.Int64
			return func() (kv.Store[string, []byte], error) {
				client := clients[int(opened.Add(1)-1)%len(clients)]
				return ddbstore.New(client, table, ddbstore.WithCreateTable(true), ddbstore.WithMaxValueSize(conformanceMaxValue))
			}
		},
		Capabilities: conformance.Capabilities{
			TTL:           true,
			Persistent:    true,
			SharedHandles: true,
			Batch:         true,
			PrefixScan:    true,
			KeyScan:       true,
			Conditional:   true,
			// Expiry is exact to the nanosecond, but a round trip to a
			// loaded local server can take hundreds of milliseconds, and
			// the suite's TTL checks wait a few resolutions: a second
			// keeps them clear of a slow machine.
			TTLResolution: time.Second,
			MaxKeySize:    ddbstore.MaxKeySize,
			MaxValueSize:  conformanceMaxValue,
		},
	}
}
