package kv

import (
	"context"
	"fmt"
	"iter"
)

// TypedStore is a Store[K, V] over a byte-level Store[string, []byte]: keys
// go through a KeyCodec and values through a Codec. Make one with Typed.
//
// It always offers the batch capabilities; they use the raw store's when
// it has them and loop otherwise.
type TypedStore[K comparable, V any] struct {
	raw    Store[string, []byte]
	keys   KeyCodec[K]
	values Codec[V]
}

// Typed lifts a byte-level store to keys of type K and values of type V.
// Closing the TypedStore closes raw.
func Typed[K comparable, V any](raw Store[string, []byte], keys KeyCodec[K], values Codec[V]) *TypedStore[K, V] {
	return &TypedStore[K, V]{raw: raw, keys: keys, values: values}
}

// Raw returns the byte-level store under s.
func (s *TypedStore[K, V]) Raw() Store[string, []byte] { return s.raw }

func (s *TypedStore[K, V]) encodeKey(op string, key K) (string, error) {
	k, err := s.keys.EncodeKey(key)
	if err != nil {
		return "", fmt.Errorf("kv: typed %s: encode key %v: %w", op, key, err)
	}
	return k, nil
}

// Get returns the decoded value under key. Bytes that do not decode give an
// error wrapping ErrCorrupt.
func (s *TypedStore[K, V]) Get(ctx context.Context, key K) (V, error) {
	var zero V
	k, err := s.encodeKey("get", key)
	if err != nil {
		return zero, err
	}
	b, err := s.raw.Get(ctx, k)
	if err != nil {
		return zero, err
	}
	v, err := s.values.Decode(b)
	if err != nil {
		return zero, fmt.Errorf("kv: typed get %q: %w", k, err)
	}
	return v, nil
}

// Set encodes value and stores it under key.
func (s *TypedStore[K, V]) Set(ctx context.Context, key K, value V, opts ...SetOption) error {
	k, err := s.encodeKey("set", key)
	if err != nil {
		return err
	}
	b, err := s.values.Encode(value)
	if err != nil {
		return fmt.Errorf("kv: typed set %q: %w", k, err)
	}
	return s.raw.Set(ctx, k, b, opts...)
}

// Delete removes key.
func (s *TypedStore[K, V]) Delete(ctx context.Context, key K) error {
	k, err := s.encodeKey("delete", key)
	if err != nil {
		return err
	}
	return s.raw.Delete(ctx, k)
}

// Has reports whether key is present. It does not decode the value.
func (s *TypedStore[K, V]) Has(ctx context.Context, key K) (bool, error) {
	k, err := s.encodeKey("has", key)
	if err != nil {
		return false, err
	}
	return s.raw.Has(ctx, k)
}

// Len returns the number of entries of the raw store.
func (s *TypedStore[K, V]) Len(ctx context.Context) (int, error) { return s.raw.Len(ctx) }

// Clear removes every entry of the raw store.
func (s *TypedStore[K, V]) Clear(ctx context.Context) error { return s.raw.Clear(ctx) }

// Close closes the raw store.
func (s *TypedStore[K, V]) Close() error { return s.raw.Close() }

// Keys yields the decoded keys. A key that does not decode is yielded as an
// error wrapping ErrCorrupt; the loop may go on past it.
func (s *TypedStore[K, V]) Keys(ctx context.Context) iter.Seq2[K, error] {
	return func(yield func(K, error) bool) {
		var zero K
		for rk, err := range s.raw.Keys(ctx) {
			if err != nil {
				yield(zero, err)
				return
			}
			k, err := s.keys.DecodeKey(rk)
			if err != nil {
				err = fmt.Errorf("kv: typed keys %q: %w", rk, err)
			}
			if !yield(k, err) {
				return
			}
		}
	}
}

// All yields the decoded entries. An entry whose key or value does not
// decode is yielded as an error wrapping ErrCorrupt (with the key, when it
// decoded); the loop may go on past it.
func (s *TypedStore[K, V]) All(ctx context.Context) iter.Seq2[Entry[K, V], error] {
	return func(yield func(Entry[K, V], error) bool) {
		for re, err := range s.raw.All(ctx) {
			if err != nil {
				yield(Entry[K, V]{}, err)
				return
			}
			e, err := s.decodeEntry(re)
			if err != nil {
				err = fmt.Errorf("kv: typed all %q: %w", re.Key, err)
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

func (s *TypedStore[K, V]) decodeEntry(re Entry[string, []byte]) (Entry[K, V], error) {
	e := Entry[K, V]{ExpiresAt: re.ExpiresAt}
	var err error
	if e.Key, err = s.keys.DecodeKey(re.Key); err != nil {
		return e, err
	}
	e.Value, err = s.values.Decode(re.Value)
	return e, err
}

// GetMany gets keys in one call to the raw store's GetMany when it has one.
// The first value that does not decode fails the call with ErrCorrupt.
func (s *TypedStore[K, V]) GetMany(ctx context.Context, keys []K) (map[K]V, error) {
	raw := make([]string, len(keys))
	back := make(map[string]K, len(keys))
	for i, key := range keys {
		k, err := s.encodeKey("get many", key)
		if err != nil {
			return nil, err
		}
		raw[i], back[k] = k, key
	}
	found, err := GetMany(ctx, s.raw, raw)
	if err != nil {
		return nil, err
	}
	out := make(map[K]V, len(found))
	for k, b := range found {
		v, err := s.values.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("kv: typed get many %q: %w", k, err)
		}
		out[back[k]] = v
	}
	return out, nil
}

// SetMany encodes entries and sets them in one call to the raw store's
// SetMany when it has one.
func (s *TypedStore[K, V]) SetMany(ctx context.Context, entries []Entry[K, V]) error {
	raw := make([]Entry[string, []byte], len(entries))
	for i, e := range entries {
		k, err := s.encodeKey("set many", e.Key)
		if err != nil {
			return err
		}
		b, err := s.values.Encode(e.Value)
		if err != nil {
			return fmt.Errorf("kv: typed set many %q: %w", k, err)
		}
		raw[i] = Entry[string, []byte]{Key: k, Value: b, ExpiresAt: e.ExpiresAt}
	}
	return SetMany(ctx, s.raw, raw)
}

// DeleteMany deletes keys in one call to the raw store's DeleteMany when it
// has one.
func (s *TypedStore[K, V]) DeleteMany(ctx context.Context, keys []K) error {
	raw := make([]string, len(keys))
	for i, key := range keys {
		k, err := s.encodeKey("delete many", key)
		if err != nil {
			return err
		}
		raw[i] = k
	}
	return DeleteMany(ctx, s.raw, raw)
}

var (
	_ Store[string, int]       = (*TypedStore[string, int])(nil)
	_ BatchGetter[string, int] = (*TypedStore[string, int])(nil)
	_ BatchSetter[string, int] = (*TypedStore[string, int])(nil)
	_ BatchDeleter[string]     = (*TypedStore[string, int])(nil)
)
