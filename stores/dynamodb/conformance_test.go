package dynamodb_test

import (
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	ddbstore "github.com/kvkit/kv/stores/dynamodb"
)

func TestConformance(t *testing.T) {
	client := testClient(t)
	conformance.Run(t, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			table := newTable(t, client)
			return func() (kv.Store[string, []byte], error) {
				return ddbstore.New(client, table, ddbstore.WithCreateTable(true))
			}
		},
		Capabilities: conformance.Capabilities{
			TTL:           true,
			Persistent:    true,
			SharedHandles: true,
			Batch:         true,
			MaxKeySize:    ddbstore.MaxKeySize,
			MaxValueSize:  ddbstore.DefaultMaxValueSize,
		},
	})
}
