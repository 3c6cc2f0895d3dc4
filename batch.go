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

// KeyScanner is a Store with string keys that can list the keys that
// start with a prefix without reading their values (an index-only range
// query, an iterator that does not fetch values, SCAN MATCH without MGET).
// It is what a namespace needs for Keys, Len and Clear: PrefixScanner
// yields values too, which costs a read of every value in the range only
// to count or delete it.
type KeyScanner interface {
	// ScanKeys yields every key that starts with prefix and whose entry is
	// present and not expired, under the rules of Store.Keys.
	ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error]
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

// ScanKeys yields the keys of s that start with prefix. It uses s's
// KeyScanner when it has one; otherwise its PrefixScanner, dropping the
// values (it reads the entries of the prefix only, where filtering Keys
// would list every key of the store); otherwise it filters Keys.
func ScanKeys[V any](ctx context.Context, s Store[string, V], prefix string) iter.Seq2[string, error] {
	if k, ok := s.(KeyScanner); ok {
		return k.ScanKeys(ctx, prefix)
	}
	if p, ok := s.(PrefixScanner[V]); ok {
		return keysOfScan(p.Scan(ctx, prefix))
	}
	return filterKeys(s.Keys(ctx), prefix)
}

// keysOfScan yields the keys of a prefix scan. An entry whose value does
// not decode still names a key that is there, so it is yielded as a key;
// one whose key is unknown is passed on with its error.
func keysOfScan[V any](seq iter.Seq2[Entry[string, V], error]) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range seq {
			switch {
			case err == nil || (errors.Is(err, ErrCorrupt) && e.Key != ""):
				if !yield(e.Key, nil) {
					return
				}
			case errors.Is(err, ErrCorrupt):
				if !yield("", err) {
					return
				}
			default:
				yield("", err)
				return
			}
		}
	}
}

// filterKeys yields the keys of seq that start with prefix, passing on
// errors about one key as Scan does.
func filterKeys(seq iter.Seq2[string, error], prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for k, err := range seq {
			if err != nil && !errors.Is(err, ErrCorrupt) {
				yield(k, err)
				return
			}
			if (err != nil && k == "") || strings.HasPrefix(k, prefix) {
				if !yield(k, err) {
					return
				}
			}
		}
	}
}
