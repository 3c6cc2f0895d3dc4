package kv

import (
	"context"
	"errors"
	"iter"
	"time"
)

// Errors that every Store reports, wrapped with the backend and operation
// (test them with errors.Is, never by comparing strings).
var (
	// ErrNotFound is returned by Get when the key is absent or its entry
	// has expired.
	ErrNotFound = errors.New("kv: not found")

	// ErrClosed is returned by every method of a Store after Close.
	ErrClosed = errors.New("kv: store closed")

	// ErrCorrupt is returned when stored bytes cannot be decoded: a value
	// written by another program, truncated, tampered with or of an older
	// format. A cache treats it as a miss and may delete the entry.
	ErrCorrupt = errors.New("kv: corrupt value")

	// ErrTooLarge is returned by Set when a key or value is larger than the
	// backend accepts. Nothing is written (for SetMany, see BatchSetter).
	ErrTooLarge = errors.New("kv: key or value too large")

	// ErrInvalidTTL is returned by Set for a negative TTL.
	ErrInvalidTTL = errors.New("kv: invalid TTL")

	// ErrReadOnly is returned by every write (Set, Delete, Clear,
	// SetMany, DeleteMany, the conditional writes and a backend's own
	// maintenance writes) of a store opened read-only, such as one from
	// stores.OpenReadOnly. The write changes nothing.
	ErrReadOnly = errors.New("kv: store is read-only")
)

// Store is a key-value store with keys of type K and values of type V.
//
// Every method but Close takes a context first and returns promptly with
// an error once it is done. Implementations are safe for concurrent use by
// many goroutines. After Close, every method returns an error wrapping
// ErrClosed.
//
// Values are not shared with the caller: changing a slice after passing it
// to Set, or after getting it from Get, All or GetMany, does not change what
// the store holds. (The generic memory store keeps values of other types as
// they are; see its doc.)
//
// Entries may carry an expiry (see WithTTL). An expired entry is never
// returned, counted or iterated, even by a backend whose server deletes
// expired data lazily.
type Store[K comparable, V any] interface {
	// Get returns the value stored under key, or an error wrapping
	// ErrNotFound when the key is absent or expired.
	Get(ctx context.Context, key K) (V, error)

	// Set stores value under key, replacing any earlier value and expiry.
	// Options set a TTL; without one the entry does not expire.
	Set(ctx context.Context, key K, value V, opts ...SetOption) error

	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key K) error

	// Has reports whether key is present and not expired.
	Has(ctx context.Context, key K) (bool, error)

	// Len returns the number of entries that are present and not expired.
	Len(ctx context.Context) (int, error)

	// Clear removes every entry of this store, and nothing else: stores
	// that share a database, a server or a directory are untouched.
	Clear(ctx context.Context) error

	// Keys yields every key that is present and not expired, each once, in
	// an order the backend chooses. An error is yielded (with the zero K)
	// and ends the sequence, except an error wrapping ErrCorrupt about one
	// entry, after which the loop may go on to the next. Breaking out of
	// the loop releases any cursor; yield is never called again after it
	// returned false. A context that is done during the loop ends it with
	// an error wrapping the context's error (items already read may come
	// first), never as if the sequence were complete. Keys written or
	// deleted during iteration may or may not be seen.
	Keys(ctx context.Context) iter.Seq2[K, error]

	// All yields every entry that is present and not expired, each once,
	// under the same rules as Keys.
	All(ctx context.Context) iter.Seq2[Entry[K, V], error]

	// Close releases the store's resources. It closes only what the store
	// opened: a store built on a client, or a wrapper built on a store,
	// that the caller passed in does not close it (see the package doc's
	// Ownership). Close is idempotent.
	Close() error
}

// Entry is one key and value of a Store, with the time it expires at (the
// zero time when it never expires).
type Entry[K comparable, V any] struct {
	Key       K
	Value     V
	ExpiresAt time.Time
}

// TTL returns how long the entry has left to live at now, and false when it
// never expires.
func (e Entry[K, V]) TTL(now time.Time) (time.Duration, bool) {
	if e.ExpiresAt.IsZero() {
		return 0, false
	}
	return e.ExpiresAt.Sub(now), true
}

// SetOption configures one Set (or SetMany) call.
type SetOption func(*SetOptions)

// SetOptions is the resolved form of a list of SetOption values. Backends
// build it with NewSetOptions.
type SetOptions struct {
	// ExpiresAt is when the entry expires; the zero time means never.
	ExpiresAt time.Time

	ttl    time.Duration
	hasTTL bool
}

// WithTTL makes the entry expire ttl after the call. A zero TTL means the
// entry never expires; a negative one makes Set fail with ErrInvalidTTL.
func WithTTL(ttl time.Duration) SetOption {
	return func(o *SetOptions) {
		o.ttl, o.hasTTL = ttl, true
		o.ExpiresAt = time.Time{}
	}
}

// WithExpiresAt makes the entry expire at t. The zero time means never.
// A time in the past stores an entry that is already expired, which is
// never returned.
func WithExpiresAt(t time.Time) SetOption {
	return func(o *SetOptions) {
		o.ExpiresAt, o.hasTTL = t, false
	}
}

// NewSetOptions resolves opts at now. It returns an error wrapping
// ErrInvalidTTL for a negative TTL. The last option that sets an expiry
// wins.
//
// NewSetOptions is for implementers of Store (see "Implementing a Store"
// in the package doc); callers pass options to Set.
func NewSetOptions(now time.Time, opts ...SetOption) (SetOptions, error) {
	var o SetOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.hasTTL {
		if o.ttl < 0 {
			return SetOptions{}, ErrInvalidTTL
		}
		if o.ttl > 0 {
			o.ExpiresAt = now.Add(o.ttl)
		}
	}
	return o, nil
}

// Expired reports whether an entry that expires at expiresAt (zero: never)
// has expired at now. An entry is expired from the instant it expires.
// Stores apply it on every read (see "Implementing a Store" in the
// package doc).
func Expired(expiresAt, now time.Time) bool {
	return !expiresAt.IsZero() && !now.Before(expiresAt)
}
