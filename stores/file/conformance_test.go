package file_test

import (
	"path/filepath"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/file"
)

func TestConformance(t *testing.T) {
	configs := []struct {
		name string
		opts []file.Option
	}{
		{"default", nil},
		// A bound far above what the suite writes: the LRU bookkeeping
		// (touch on Get, eviction passes) must not change behaviour.
		{"bounded", []file.Option{file.WithMaxBytes(1 << 30)}},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			conformance.Run(t, conformance.Config{
				NewStore: func(t testing.TB) conformance.Opener {
					dir := filepath.Join(t.TempDir(), "store")
					return func() (kv.Store[string, []byte], error) {
						return file.Open(dir, c.opts...)
					}
				},
				NewFaultyStore: newFaultyStore(c.opts),
				NewDamagedStore: func(t testing.TB) (conformance.Opener, []conformance.Damage) {
					dir := filepath.Join(t.TempDir(), "store")
					return func() (kv.Store[string, []byte], error) { return file.Open(dir, c.opts...) }, file.Damages(dir)
				},
				NewUnopenableStore: func(t testing.TB) (conformance.Opener, func() error) {
					dir, untouched := conformance.UnopenableDir(t)
					return func() (kv.Store[string, []byte], error) { return file.Open(dir, c.opts...) }, untouched
				},
				NewReadOnlyStore: func(t testing.TB) (conformance.Opener, conformance.Opener) {
					dir := filepath.Join(t.TempDir(), "store")
					return func() (kv.Store[string, []byte], error) { return file.Open(dir, c.opts...) },
						func() (kv.Store[string, []byte], error) { return file.OpenReadOnly(dir, c.opts...) }
				},
				Capabilities: conformance.Capabilities{
					TTL:           true,
					Persistent:    true,
					SharedHandles: true,
					PrefixScan:    true,
					KeyScan:       true,
					Conditional:   file.Conditional,
					MaxKeySize:    file.MaxKeySize,
				},
			})
		})
	}
}
