package kv_test

import (
	"bytes"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/memory"
)

// The adapters of package kv are stores too: Typed with the bytes codec,
// and EncryptStore, each over the memory store, pass the whole suite.
func TestAdaptersConformance(t *testing.T) {
	ring, err := kv.NewKeyring(1, map[uint32][]byte{1: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	adapters := map[string]func(kv.Store[string, []byte]) kv.Store[string, []byte]{
		"typed": func(raw kv.Store[string, []byte]) kv.Store[string, []byte] {
			return kv.Typed(raw, kv.StringKeys(), kv.Bytes())
		},
		"encrypted": func(raw kv.Store[string, []byte]) kv.Store[string, []byte] {
			return kv.EncryptStore(raw, ring)
		},
	}
	for name, wrap := range adapters {
		t.Run(name, func(t *testing.T) {
			conformance.Run(t, conformance.Config{
				NewStore: func(testing.TB) conformance.Opener {
					return func() (kv.Store[string, []byte], error) {
						return wrap(memory.New[string, []byte]()), nil
					}
				},
				Capabilities: conformance.Capabilities{TTL: true, Batch: true},
			})
		})
	}
}
