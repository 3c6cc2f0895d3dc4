package memory_test

import (
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/memory"
)

func TestConformance(t *testing.T) {
	for name, opts := range map[string][]memory.Option{
		"unbounded": nil,
		// A bound far above what the suite writes must change nothing.
		"bounded": {memory.WithMaxEntries(1 << 20), memory.WithSweepInterval(10 * time.Millisecond)},
	} {
		t.Run(name, func(t *testing.T) {
			conformance.Run(t, conformance.Config{
				NewStore: func(t testing.TB) conformance.Opener {
					return func() (kv.Store[string, []byte], error) {
						return memory.New[string, []byte](opts...), nil
					}
				},
				Capabilities: conformance.Capabilities{TTL: true, Batch: true, Conditional: true},
			})
		})
	}
}

func BenchmarkConformance(b *testing.B) {
	conformance.Benchmark(b, conformance.Config{
		NewStore: func(testing.TB) conformance.Opener {
			return func() (kv.Store[string, []byte], error) { return memory.New[string, []byte](), nil }
		},
		Capabilities: conformance.Capabilities{TTL: true, Batch: true, Conditional: true},
	})
}
