package conformance_test

import (
	"fmt"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/memory"
)

// A Config for the memory store, as its tests would pass it to Run. Run
// itself needs a *testing.T, so this example checks the declared
// capabilities against the store, which is the first thing Run does.
func Example() {
	cfg := conformance.Config{
		NewStore: func(testing.TB) conformance.Opener {
			// One memory store is one location; it does not outlive Close.
			s := memory.New[string, []byte]()
			return func() (kv.Store[string, []byte], error) { return s, nil }
		},
		Capabilities: conformance.Capabilities{TTL: true, Batch: true, Conditional: true},
	}
	open := cfg.NewStore(nil)
	s, _ := open()
	defer s.Close()

	fmt.Println(cfg.Capabilities.Check(s))
	fmt.Println(conformance.Capabilities{TTL: true, Conditional: true}.Check(s))
	fmt.Println(conformance.Capabilities{TTL: true, Batch: true, Conditional: true, PrefixScan: true}.Check(s))
	// Output:
	// <nil>
	// conformance: *memory.Store[string,[]uint8] implements kv.BatchGetter, kv.BatchSetter, kv.BatchDeleter but Capabilities.Batch is not declared
	// conformance: Capabilities.PrefixScan is declared but *memory.Store[string,[]uint8] does not implement kv.PrefixScanner
}
