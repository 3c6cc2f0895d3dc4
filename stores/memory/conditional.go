package memory

import (
	"bytes"
	"context"
	"reflect"

	"github.com/kvkit/kv"
)

// The conditional writes (kv.ConditionalWriter) check and write under the
// store's write lock, so no other call sees the entry in between. Values
// are compared byte for byte when V is []byte, and with == otherwise; a V
// whose values cannot be compared with == (a slice, a map, a func) fails
// with an error wrapping kv.ErrUnsupported.

// equalFunc returns how values of V are compared, or nil when they cannot
// be.
func equalFunc[V any]() func(a, b V) bool {
	var f any = bytes.Equal
	if eq, ok := f.(func(V, V) bool); ok {
		return eq
	}
	if !reflect.TypeFor[V]().Comparable() {
		return nil
	}
	return func(a, b V) bool { return any(a) == any(b) }
}

// conditional runs one conditional write: cond decides from the live entry
// (found false: absent) whether write runs, under the write lock, which
// every other write excludes (the bounded mode's Set holds the read lock).
func (s *Store[K, V]) conditional(ctx context.Context, op string, key K, opts []kv.SetOption, cond func(e item[V], found bool) bool, write func(o kv.SetOptions)) (bool, error) {
	var o kv.SetOptions
	if len(opts) > 0 {
		var err error
		if o, err = s.now.SetOptions(opts...); err != nil {
			return false, errs.Key(op, keyString(key), err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Begin(ctx); err != nil {
		return false, errs.Err(op, err)
	}
	if e, found := s.lookup(key); !cond(e, found) {
		return false, nil
	}
	write(o)
	return true, nil
}

// SetIfAbsent stores value under key only when the key is absent or
// expired, and reports whether it did.
func (s *Store[K, V]) SetIfAbsent(ctx context.Context, key K, value V, opts ...kv.SetOption) (bool, error) {
	value = s.out(value)
	return s.conditional(ctx, "setifabsent", key, opts,
		func(_ item[V], found bool) bool { return !found },
		func(o kv.SetOptions) { s.put(key, value, o.ExpiresAt) })
}

// CompareAndSwap replaces the value of key with new only when key is
// present with value old, and reports whether it did.
func (s *Store[K, V]) CompareAndSwap(ctx context.Context, key K, old, new V, opts ...kv.SetOption) (bool, error) {
	if s.equal == nil {
		return false, errs.Key("compareandswap", keyString(key), kv.ErrUnsupported)
	}
	new = s.out(new)
	return s.conditional(ctx, "compareandswap", key, opts,
		func(e item[V], found bool) bool { return found && s.equal(e.value, old) },
		func(o kv.SetOptions) { s.put(key, new, o.ExpiresAt) })
}

// CompareAndDelete removes key only when it is present with value old, and
// reports whether it did.
func (s *Store[K, V]) CompareAndDelete(ctx context.Context, key K, old V) (bool, error) {
	if s.equal == nil {
		return false, errs.Key("compareanddelete", keyString(key), kv.ErrUnsupported)
	}
	return s.conditional(ctx, "compareanddelete", key, nil,
		func(e item[V], found bool) bool { return found && s.equal(e.value, old) },
		func(kv.SetOptions) { s.remove(key) })
}
