package otelkv

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/kvkit/kv"
	"go.opentelemetry.io/otel/metric"
)

// closedError is what operation name returns after Close.
func closedError(name string) error {
	return fmt.Errorf("kv/otelkv: %s: %w", name, kv.ErrClosed)
}

// store is the instrumented store with no optional capability; the types
// in capabilities.go add them.
type store[K comparable, V any] struct {
	inner  kv.Store[K, V]
	t      *telemetry
	size   func(V) int // nil: values are not measured
	closed atomic.Bool

	// The capabilities of inner, nil where it lacks one.
	getter  kv.BatchGetter[K, V]
	setter  kv.BatchSetter[K, V]
	deleter kv.BatchDeleter[K]
	scanner kv.PrefixScanner[V]
	keys    kv.KeyScanner
	cond    kv.ConditionalWriter[K, V]
}

// check returns the error of operation id after Close, and nil before.
func (s *store[K, V]) check(id opID) error {
	if s.closed.Load() {
		return s.t.ops[id].closed
	}
	return nil
}

// sizer returns how to measure the values that counter (read or
// written) counts, or nil when they are not measured: values of a type
// with no size, or a counter that records nothing (a View that drops the
// byte counters, sdkmetric.AggregationDrop, disables them).
func (s *store[K, V]) sizer(ctx context.Context, counter metric.Int64Counter) func(V) int {
	if s.size == nil || !counter.Enabled(ctx) {
		return nil
	}
	return s.size
}

// measure adds the size of v to counter for call c, when it is measured.
func (s *store[K, V]) measure(ctx context.Context, c *call, counter metric.Int64Counter, v V) {
	if size := s.sizer(ctx, counter); size != nil {
		c.bytes(ctx, counter, size(v))
	}
}

// Get calls the wrapped store's Get. A miss is recorded as one, not as an
// error.
func (s *store[K, V]) Get(ctx context.Context, key K) (V, error) {
	if !s.t.active {
		if err := s.check(opGet); err != nil {
			var zero V
			return zero, err
		}
		return s.inner.Get(ctx, key)
	}
	ctx, c := s.t.begin(ctx, opGet)
	var v V
	err := s.check(opGet)
	if err == nil {
		v, err = s.inner.Get(ctx, key)
	}
	r := resultHit
	switch {
	case err == nil:
		s.measure(ctx, &c, s.t.read, v)
	case errorKind(err) == kindNone:
		r = resultMiss
	}
	c.end(ctx, err, r)
	return v, err
}

// Set calls the wrapped store's Set.
func (s *store[K, V]) Set(ctx context.Context, key K, value V, opts ...kv.SetOption) error {
	if !s.t.active {
		if err := s.check(opSet); err != nil {
			return err
		}
		return s.inner.Set(ctx, key, value, opts...)
	}
	ctx, c := s.t.begin(ctx, opSet)
	err := s.check(opSet)
	if err == nil {
		err = s.inner.Set(ctx, key, value, opts...)
	}
	if err == nil {
		s.measure(ctx, &c, s.t.written, value)
	}
	c.end(ctx, err, resultNone)
	return err
}

// Delete calls the wrapped store's Delete.
func (s *store[K, V]) Delete(ctx context.Context, key K) error {
	if !s.t.active {
		if err := s.check(opDelete); err != nil {
			return err
		}
		return s.inner.Delete(ctx, key)
	}
	ctx, c := s.t.begin(ctx, opDelete)
	err := s.check(opDelete)
	if err == nil {
		err = s.inner.Delete(ctx, key)
	}
	c.end(ctx, err, resultNone)
	return err
}

// Has calls the wrapped store's Has.
func (s *store[K, V]) Has(ctx context.Context, key K) (bool, error) {
	if !s.t.active {
		if err := s.check(opHas); err != nil {
			return false, err
		}
		return s.inner.Has(ctx, key)
	}
	ctx, c := s.t.begin(ctx, opHas)
	ok := false
	err := s.check(opHas)
	if err == nil {
		ok, err = s.inner.Has(ctx, key)
	}
	c.end(ctx, err, resultNone)
	return ok, err
}

// Len calls the wrapped store's Len.
func (s *store[K, V]) Len(ctx context.Context) (int, error) {
	ctx, c := s.t.begin(ctx, opLen)
	n := 0
	err := s.check(opLen)
	if err == nil {
		n, err = s.inner.Len(ctx)
	}
	c.end(ctx, err, resultNone)
	return n, err
}

// Clear calls the wrapped store's Clear.
func (s *store[K, V]) Clear(ctx context.Context) error {
	ctx, c := s.t.begin(ctx, opClear)
	err := s.check(opClear)
	if err == nil {
		err = s.inner.Clear(ctx)
	}
	c.end(ctx, err, resultNone)
	return err
}

// Keys yields the wrapped store's keys. One loop is one operation: its
// span covers the whole loop and records how many keys it yielded.
func (s *store[K, V]) Keys(ctx context.Context) iter.Seq2[K, error] {
	return keyLoop(s, ctx, opKeys, s.inner.Keys)
}

// keyLoop is Keys and ScanKeys: the loop over the sequence list(ctx)
// returns is one operation op, whose span covers the whole loop and
// records how many keys it yielded.
func keyLoop[K comparable, V, T any](s *store[K, V], ctx context.Context, op opID, list func(context.Context) iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		ctx, c := s.t.begin(ctx, op)
		if err := s.check(op); err != nil {
			c.end(ctx, err, resultNone)
			yield(zero, err)
			return
		}
		n := 0
		var first error
		for k, err := range list(ctx) {
			if err == nil {
				n++
			} else if first == nil {
				first = err
			}
			if !yield(k, err) {
				break
			}
		}
		c.returned(ctx, n)
		c.end(ctx, first, resultNone)
	}
}

// All yields the wrapped store's entries, as one operation like Keys.
func (s *store[K, V]) All(ctx context.Context) iter.Seq2[kv.Entry[K, V], error] {
	return func(yield func(kv.Entry[K, V], error) bool) {
		ctx, c := s.t.begin(ctx, opAll)
		if err := s.check(opAll); err != nil {
			c.end(ctx, err, resultNone)
			yield(kv.Entry[K, V]{}, err)
			return
		}
		passEntries(ctx, &c, s.sizer(ctx, s.t.read), s.inner.All(ctx), yield)
	}
}

// passEntries yields what seq yields, as the one operation c (All, Scan):
// it counts the entries and the bytes of their values (by size; none when
// size is nil), records the first error, and ends c when the loop ends,
// however it ends.
func passEntries[K comparable, V any](ctx context.Context, c *call, size func(V) int,
	seq iter.Seq2[kv.Entry[K, V], error], yield func(kv.Entry[K, V], error) bool) {
	n, bytes := 0, 0
	var first error
	for e, err := range seq {
		switch {
		case err == nil:
			n++
			if size != nil {
				bytes += size(e.Value)
			}
		case first == nil:
			first = err
		}
		if !yield(e, err) {
			break
		}
	}
	c.bytes(ctx, c.t.read, bytes)
	c.returned(ctx, n)
	c.end(ctx, first, resultNone)
}

// Close marks the store closed: from then on its methods return an error
// wrapping kv.ErrClosed. It does not close the wrapped store, which its
// owner closes. Close is idempotent and returns nil.
func (s *store[K, V]) Close() error {
	s.closed.Store(true)
	return nil
}
