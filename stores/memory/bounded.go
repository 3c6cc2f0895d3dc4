package memory

import (
	"context"
	"time"

	"github.com/kvkit/kv"
	"github.com/maypok86/otter/v2"
)

// item is what the bounded mode keeps in otter under a key: the value and
// the store's own expiry, checked on read with the store's clock (otter's
// expiry would read another clock, and WithClock must rule both modes).
type item[V any] struct {
	value     V
	expiresAt time.Time
}

// newBounded returns the otter cache behind WithMaxEntries(n). Its
// maintenance (applying buffered reads and writes, evicting) runs on the
// goroutine that calls into it, so the store starts no goroutine for it.
func newBounded[K comparable, V any](n int) *otter.Cache[K, item[V]] {
	return otter.Must(&otter.Options[K, item[V]]{
		MaximumSize: n,
		Executor:    func(fn func()) { fn() },
	})
}

// lookupBounded returns the live item under key, marking it used.
func (s *Store[K, V]) lookupBounded(key K) (item[V], bool) {
	it, ok := s.bounded.GetIfPresent(key)
	if !ok || s.now.Expired(it.expiresAt) {
		return item[V]{}, false
	}
	return it, true
}

// getBounded is Get with a bound: otter is safe for concurrent use, so the
// read lock only keeps Close and the calls over many entries out.
func (s *Store[K, V]) getBounded(ctx context.Context, key K) (V, error) {
	var zero V
	s.mu.RLock()
	if err := s.life.Begin(ctx); err != nil {
		s.mu.RUnlock()
		return zero, errs.Err("get", err)
	}
	it, ok := s.lookupBounded(key)
	s.mu.RUnlock()
	if !ok {
		return zero, errs.Key("get", keyString(key), kv.ErrNotFound)
	}
	return s.out(it.value), nil
}

// setBounded is Set with a bound, under the read lock (see getBounded).
func (s *Store[K, V]) setBounded(ctx context.Context, key K, value V, expiresAt time.Time) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.life.Begin(ctx); err != nil {
		return errs.Err("set", err)
	}
	s.putBounded(key, value, expiresAt)
	return nil
}

// putBounded writes one item and, when the table is over the bound (otter
// buffers its writes and evicts when it applies them), applies the
// buffered work now, so that the call returns within the bound.
func (s *Store[K, V]) putBounded(key K, value V, expiresAt time.Time) {
	s.bounded.Set(key, item[V]{value: value, expiresAt: expiresAt})
	if s.bounded.EstimatedSize() > s.maxEntries {
		s.bounded.CleanUp()
	}
}

// deleteExpiredBounded removes the items expired at now. The caller holds
// the write lock, so no Set runs meanwhile.
func (s *Store[K, V]) deleteExpiredBounded(now time.Time) int {
	var expired []K
	for k, it := range s.bounded.All() {
		if kv.Expired(it.expiresAt, now) {
			expired = append(expired, k)
		}
	}
	for _, k := range expired {
		s.bounded.Invalidate(k)
	}
	return len(expired)
}

// lenBounded counts the items live at now. The caller holds the lock.
func (s *Store[K, V]) lenBounded(now time.Time) int {
	s.bounded.CleanUp() // apply buffered evictions before counting
	n := 0
	for _, it := range s.bounded.All() {
		if !kv.Expired(it.expiresAt, now) {
			n++
		}
	}
	return n
}

// snapshotBounded returns the items live at now. The caller holds the
// lock.
func (s *Store[K, V]) snapshotBounded(now time.Time) []kv.Entry[K, V] {
	s.bounded.CleanUp()
	out := make([]kv.Entry[K, V], 0, s.bounded.EstimatedSize())
	for k, it := range s.bounded.All() {
		if !kv.Expired(it.expiresAt, now) {
			out = append(out, kv.Entry[K, V]{Key: k, Value: it.value, ExpiresAt: it.expiresAt})
		}
	}
	return out
}
