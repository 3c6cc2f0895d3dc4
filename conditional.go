package kv

import (
	"context"
	"errors"
)

// ErrUnsupported is returned, wrapped, by a helper that needs an optional
// capability the store lacks and that must not be emulated with the plain
// methods: Update and Lock on a store without ConditionalWriter, since a
// Get followed by a Set loses updates when two writers interleave.
var ErrUnsupported = errors.New("kv: operation not supported by this store")

// ConditionalWriter is a Store that writes only if a condition on the
// stored value holds, atomically: no other writer — another goroutine,
// another handle on the same location, another process — can change the
// entry between the check and the write. It is what idempotency keys,
// leases, counters and any read-modify-write shared by several writers
// need. A backend implements it only when it can make it atomic natively
// (a lock, a transaction, a conditional statement, a script); a wrapper
// offers it only when the store it wraps has it and the wrapper keeps the
// comparison meaningful (see Typed and EncryptStore).
//
// "Present" means what Get means: an entry whose expiry has passed is
// absent, for the condition as for Get. Values are compared as the store
// holds them; for a byte store, byte for byte (a nil and an empty value
// are equal). The SetOptions of the written value apply as they do for
// Set (a TTL counts from the write); a negative TTL fails with
// ErrInvalidTTL and an oversize key or value with ErrTooLarge, writing
// nothing. A false result with a nil error means the condition did not
// hold and nothing was written.
type ConditionalWriter[K comparable, V any] interface {
	// SetIfAbsent stores value under key only when the key is absent (or
	// its entry has expired), and reports whether it stored it.
	SetIfAbsent(ctx context.Context, key K, value V, opts ...SetOption) (stored bool, err error)

	// CompareAndSwap replaces the value of key with new only when the key
	// is present and its value equals old, and reports whether it did.
	// An absent key is never swapped: use SetIfAbsent to create.
	CompareAndSwap(ctx context.Context, key K, old, new V, opts ...SetOption) (swapped bool, err error)

	// CompareAndDelete removes key only when it is present and its value
	// equals old, and reports whether it did.
	CompareAndDelete(ctx context.Context, key K, old V) (deleted bool, err error)
}
