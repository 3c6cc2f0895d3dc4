package kv

import (
	"context"
	"errors"
	"iter"
	"strings"
)

// Optional capabilities. A backend implements the ones it can do faster
// than a loop over the plain methods (one round trip, one transaction);
// callers use the helpers below, which use a capability when the store has
// it and fall back to the plain methods otherwise, in the manner of
// io.WriterTo and io.Copy.

// BatchGetter is a Store that gets many keys at once.
type BatchGetter[K comparable, V any] interface {
	// GetMany returns the values of the keys that are present and not
	// expired; absent keys are missing from the map. A nil or empty keys
	// gives an empty map.
	GetMany(ctx context.Context, keys []K) (map[K]V, error)
}

// BatchSetter is a Store that sets many entries at once.
type BatchSetter[K comparable, V any] interface {
	// SetMany stores every entry, each with its own ExpiresAt (zero:
	// never). When a key appears more than once, the last entry wins. On
	// error, some entries may have been written, with one exception: an
	// entry whose key or value is larger than the store accepts fails the
	// call with an error wrapping ErrTooLarge and is itself never written
	// (what its key held before stays); the other entries of the batch may
	// or may not have been. This is the one statement of that rule; the
	// SetMany helper's fallback, a loop over Set, keeps it.
	SetMany(ctx context.Context, entries []Entry[K, V]) error
}

// BatchDeleter is a Store that deletes many keys at once.
type BatchDeleter[K comparable] interface {
	// DeleteMany removes every key; absent keys are not an error.
	DeleteMany(ctx context.Context, keys []K) error
}

// PrefixScanner is a Store with string keys that can list the entries
// whose key starts with a prefix without reading the others (ordered keys,
// SCAN MATCH, a range query).
type PrefixScanner[V any] interface {
	// Scan yields every entry whose key starts with prefix, under the
	// rules of Store.All.
	Scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error]
}

// GetMany returns the values of keys found in s, using s's BatchGetter when
// it has one. Absent and expired keys are missing from the map.
func GetMany[K comparable, V any](ctx context.Context, s Store[K, V], keys []K) (map[K]V, error) {
	if b, ok := s.(BatchGetter[K, V]); ok {
		return b.GetMany(ctx, keys)
	}
	out := make(map[K]V, len(keys))
	for _, k := range keys {
		v, err := s.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// SetMany stores entries in s, using s's BatchSetter when it has one.
func SetMany[K comparable, V any](ctx context.Context, s Store[K, V], entries []Entry[K, V]) error {
	if b, ok := s.(BatchSetter[K, V]); ok {
		return b.SetMany(ctx, entries)
	}
	for _, e := range entries {
		if err := s.Set(ctx, e.Key, e.Value, WithExpiresAt(e.ExpiresAt)); err != nil {
			return err
		}
	}
	return nil
}

// DeleteMany removes keys from s, using s's BatchDeleter when it has one.
func DeleteMany[K comparable, V any](ctx context.Context, s Store[K, V], keys []K) error {
	if b, ok := s.(BatchDeleter[K]); ok {
		return b.DeleteMany(ctx, keys)
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Scan yields the entries of s whose key starts with prefix, using s's
// PrefixScanner when it has one and filtering All otherwise.
func Scan[V any](ctx context.Context, s Store[string, V], prefix string) iter.Seq2[Entry[string, V], error] {
	if p, ok := s.(PrefixScanner[V]); ok {
		return p.Scan(ctx, prefix)
	}
	return func(yield func(Entry[string, V], error) bool) {
		for e, err := range s.All(ctx) {
			if err != nil {
				// An entry that does not decode is passed on with its
				// error when its key matches (or is unknown); the loop
				// may go on past it, as it may in All.
				if errors.Is(err, ErrCorrupt) {
					if (e.Key == "" || strings.HasPrefix(e.Key, prefix)) && !yield(e, err) {
						return
					}
					continue
				}
				yield(e, err)
				return
			}
			if strings.HasPrefix(e.Key, prefix) && !yield(e, nil) {
				return
			}
		}
	}
}
