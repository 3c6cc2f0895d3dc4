package conformance

import (
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// Opener opens a store over one location (a directory, a database table, a
// key prefix). Every call opens the same location.
type Opener func() (kv.Store[string, []byte], error)

// Config describes the store under test.
type Config struct {
	// NewStore prepares a fresh, empty location of its own (t.TempDir(), a
	// new table or key prefix, ...) and returns an Opener for it. The suite
	// calls it once per subtest and closes every store it opens. Cleaning
	// the location up afterwards is NewStore's job (t.Cleanup).
	NewStore func(t testing.TB) Opener

	// Capabilities declares what the store can do. The suite tests every
	// declared capability and checks that an undeclared one is absent.
	Capabilities Capabilities
}

// Capabilities lists the optional behaviour a store declares.
type Capabilities struct {
	// TTL: Set honours WithTTL and WithExpiresAt.
	TTL bool

	// Persistent: data written and closed is there when the location is
	// opened again.
	Persistent bool

	// SharedHandles: two stores open on the same location at once see each
	// other's writes (a file directory, a database, a server).
	SharedHandles bool

	// Batch: the store implements kv.BatchGetter, kv.BatchSetter and
	// kv.BatchDeleter.
	Batch bool

	// PrefixScan: the store implements kv.PrefixScanner.
	PrefixScan bool

	// MaxKeySize is the longest key in bytes the store accepts; 0 means at
	// least the 4 KiB the suite tries. A longer key must fail with
	// kv.ErrTooLarge and write nothing.
	MaxKeySize int

	// MaxValueSize is the largest value in bytes the store accepts; 0 means
	// at least the 8 MiB the suite tries. A larger value must fail with
	// kv.ErrTooLarge and write nothing.
	MaxValueSize int

	// TTLResolution is the shortest TTL the store keeps apart from "now";
	// the suite's TTL tests use it to size their waits. 0 means 50ms.
	TTLResolution time.Duration
}
