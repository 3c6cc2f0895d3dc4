package kv_test

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/kvkit/kv"
)

// TestCBORLimitsFault: hostile CBOR (nesting far deeper than
// kv.CBORMaxNestedLevels, arrays and maps claiming more elements than
// the limits or than the bytes hold, indefinite lengths, duplicate map
// keys) is kv.ErrCorrupt, decoded quickly and without allocating what the
// header claims.
func TestCBORLimitsFault(t *testing.T) {
	nested := func(depth int) []byte { return append(bytes.Repeat([]byte{0x81}, depth), 0x00) }
	type doc struct {
		H map[string][]any `cbor:"h"`
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"nested arrays, limit+1", nested(kv.CBORMaxNestedLevels + 1)},
		{"nested arrays, 100000", nested(100_000)},
		{"nested maps, 10000", append(bytes.Repeat([]byte{0xa1, 0x00}, 10_000), 0x00)},
		{"nested tags, 10000", append(bytes.Repeat([]byte{0xd8, 0x64}, 10_000), 0x00)},
		{"array claiming 2^32 elements", []byte{0x9b, 0, 0, 0, 1, 0, 0, 0, 0, 0x00}},
		{"array claiming 2^63 elements", []byte{0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"array over CBORMaxArrayElements", []byte{0x9a, 0x00, 0x10, 0x00, 0x01}},
		{"map over CBORMaxMapPairs", []byte{0xba, 0x00, 0x10, 0x00, 0x01}},
		{"byte string claiming 2^62 bytes", []byte{0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x00}},
		{"indefinite-length array", []byte{0x9f, 0x01, 0xff}},
		{"duplicate map key", []byte{0xa2, 0x61, 0x68, 0xa0, 0x61, 0x68, 0xa0}},
		{"nested inside a field", append([]byte{0xa1, 0x61, 0x68, 0xa1, 0x61, 0x58}, nested(1000)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, errAny := kv.CBOR[any]().Decode(c.data)
			_, errDoc := kv.CBOR[*doc]().Decode(c.data)
			runtime.ReadMemStats(&after)
			for _, err := range []error{errAny, errDoc} {
				if !errors.Is(err, kv.ErrCorrupt) {
					t.Fatalf("decode: %v, want kv.ErrCorrupt", err)
				}
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Fatalf("decoding %d bytes allocated %d bytes", len(c.data), grew)
			}
		})
	}
}
