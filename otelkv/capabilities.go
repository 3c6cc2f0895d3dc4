package otelkv

import (
	"context"
	"iter"

	"github.com/kvkit/kv"
)

// The optional capabilities, one small type each over the same *store.
// Wrap picks the combination that the wrapped store has, so a type
// assertion on the wrapper finds exactly what it would find on the store.
// The 64 combinations (six capabilities, each present or not) are
// generated into combinations.go by the module's internal/capgen (which
// writes package kv's too): run go generate after changing its list.

//go:generate go run ../internal/capgen -root ..

type getMany[K comparable, V any] struct{ s *store[K, V] }

type setMany[K comparable, V any] struct{ s *store[K, V] }

type deleteMany[K comparable, V any] struct{ s *store[K, V] }

type scan[K comparable, V any] struct{ s *store[K, V] }

type scanKeys[K comparable, V any] struct{ s *store[K, V] }

type conditional[K comparable, V any] struct{ s *store[K, V] }

// GetMany calls the wrapped store's GetMany, as one operation that records
// the number of keys asked for and found.
func (g getMany[K, V]) GetMany(ctx context.Context, keys []K) (map[K]V, error) {
	s := g.s
	if !s.t.active {
		if err := s.check(opGetMany); err != nil {
			return nil, err
		}
		return s.getter.GetMany(ctx, keys)
	}
	ctx, c := s.t.begin(ctx, opGetMany)
	c.batch(len(keys))
	var found map[K]V
	err := s.check(opGetMany)
	if err == nil {
		found, err = s.getter.GetMany(ctx, keys)
	}
	if err == nil {
		if size := s.sizer(ctx, s.t.read); size != nil {
			n := 0
			for _, v := range found {
				n += size(v)
			}
			c.bytes(ctx, s.t.read, n)
		}
		c.returned(ctx, len(found))
	}
	c.end(ctx, err, resultNone)
	return found, err
}

// SetMany calls the wrapped store's SetMany.
func (m setMany[K, V]) SetMany(ctx context.Context, entries []kv.Entry[K, V]) error {
	s := m.s
	if !s.t.active {
		if err := s.check(opSetMany); err != nil {
			return err
		}
		return s.setter.SetMany(ctx, entries)
	}
	ctx, c := s.t.begin(ctx, opSetMany)
	c.batch(len(entries))
	err := s.check(opSetMany)
	if err == nil {
		err = s.setter.SetMany(ctx, entries)
	}
	if size := s.sizer(ctx, s.t.written); err == nil && size != nil {
		n := 0
		for _, e := range entries {
			n += size(e.Value)
		}
		c.bytes(ctx, s.t.written, n)
	}
	c.end(ctx, err, resultNone)
	return err
}

// DeleteMany calls the wrapped store's DeleteMany.
func (d deleteMany[K, V]) DeleteMany(ctx context.Context, keys []K) error {
	s := d.s
	if !s.t.active {
		if err := s.check(opDeleteMany); err != nil {
			return err
		}
		return s.deleter.DeleteMany(ctx, keys)
	}
	ctx, c := s.t.begin(ctx, opDeleteMany)
	c.batch(len(keys))
	err := s.check(opDeleteMany)
	if err == nil {
		err = s.deleter.DeleteMany(ctx, keys)
	}
	c.end(ctx, err, resultNone)
	return err
}

// Scan yields the wrapped store's Scan, as one operation like All.
func (p scan[K, V]) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, V], error] {
	s := p.s
	return func(yield func(kv.Entry[string, V], error) bool) {
		ctx, c := s.t.begin(ctx, opScan)
		if err := s.check(opScan); err != nil {
			c.end(ctx, err, resultNone)
			yield(kv.Entry[string, V]{}, err)
			return
		}
		passEntries(ctx, &c, s.sizer(ctx, s.t.read), s.scanner.Scan(ctx, prefix), yield)
	}
}

// ScanKeys yields the wrapped store's ScanKeys, as one operation like
// Keys.
func (p scanKeys[K, V]) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return keyLoop(p.s, ctx, opScanKeys, func(ctx context.Context) iter.Seq2[string, error] {
		return p.s.keys.ScanKeys(ctx, prefix)
	})
}

// SetIfAbsent calls the wrapped store's SetIfAbsent; the value's bytes
// count as written when it was stored.
func (w conditional[K, V]) SetIfAbsent(ctx context.Context, key K, value V, opts ...kv.SetOption) (bool, error) {
	return w.s.conditionally(ctx, opSetIfAbsent, value, func(ctx context.Context) (bool, error) {
		return w.s.cond.SetIfAbsent(ctx, key, value, opts...)
	})
}

// CompareAndSwap calls the wrapped store's CompareAndSwap; the new
// value's bytes count as written when it was swapped.
func (w conditional[K, V]) CompareAndSwap(ctx context.Context, key K, old, new V, opts ...kv.SetOption) (bool, error) {
	return w.s.conditionally(ctx, opCompareAndSwap, new, func(ctx context.Context) (bool, error) {
		return w.s.cond.CompareAndSwap(ctx, key, old, new, opts...)
	})
}

// CompareAndDelete calls the wrapped store's CompareAndDelete.
func (w conditional[K, V]) CompareAndDelete(ctx context.Context, key K, old V) (bool, error) {
	var none V
	return w.s.conditionally(ctx, opCompareAndDelete, none, func(ctx context.Context) (bool, error) {
		return w.s.cond.CompareAndDelete(ctx, key, old)
	})
}

// conditionally runs the conditional write op as operation id: it checks
// Close, and when telemetry is active records the call, and written's
// bytes when op wrote (CompareAndDelete passes the zero value, measured
// as nothing for bytes and strings).
func (s *store[K, V]) conditionally(ctx context.Context, id opID, written V, op func(context.Context) (bool, error)) (bool, error) {
	if !s.t.active {
		if err := s.check(id); err != nil {
			return false, err
		}
		return op(ctx)
	}
	ctx, c := s.t.begin(ctx, id)
	done := false
	err := s.check(id)
	if err == nil {
		done, err = op(ctx)
	}
	if done && id != opCompareAndDelete {
		s.measure(ctx, &c, s.t.written, written)
	}
	c.end(ctx, err, resultNone)
	return done, err
}

// capabilityBits returns which capabilities s's wrapped store has, bit i
// for the i-th of: kv.BatchGetter, kv.BatchSetter, kv.BatchDeleter,
// kv.PrefixScanner, kv.KeyScanner, kv.ConditionalWriter (the order of
// internal/capgen's list).
func (s *store[K, V]) capabilityBits() int {
	bits := 0
	for i, has := range []bool{s.getter != nil, s.setter != nil, s.deleter != nil, s.scanner != nil, s.keys != nil, s.cond != nil} {
		if has {
			bits |= 1 << i
		}
	}
	return bits
}
