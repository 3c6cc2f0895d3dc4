package memory

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
	"github.com/maypok86/otter/v2"
	"github.com/puzpuzpuz/xsync/v4"
)

const errs storekit.Backend = "memory"

// DefaultSweepInterval is how often the janitor removes expired entries
// when WithSweepInterval is not given.
const DefaultSweepInterval = time.Minute

// Store is an in-memory kv.Store[K, V]. Values are kept as they are, with no
// encoding: a value of a pointer or reference type is shared between the
// caller and the store, so do not change it after Set. []byte values are
// the exception: they are copied on Set and on Get, as a byte store over a
// network would.
//
// Make one with New; the zero Store is not usable.
type Store[K comparable, V any] struct {
	mu sync.RWMutex
	// entries holds the entries when the store is unbounded, in a
	// github.com/puzpuzpuz/xsync/v4 Map, whose reads take no lock and
	// write no shared memory: a Get takes no lock either, as a bounded
	// one does (see Get). An entry is never changed once stored: a Set
	// stores a new one, so that a Get may read the one it found without a
	// lock. A Go map under mu, as the store first had, made every Get
	// write mu's reader count, one cache line for all cores: at -cpu=2 a
	// parallel Get took 1.0 to 1.9 times otter's, and takes 0.71 to 0.73
	// times it now; a single Get went from 1.65 to 1.43 times a map under
	// an RWMutex, and a Set from 1.29 to 3.9 times (two allocations, the
	// entry and the map's node; bench/RESULTS.md, "Quiet-machine
	// verdicts for the peers"). A cache is read more than it is written.
	entries *xsync.Map[K, *entry[V]]
	life    storekit.Lifecycle // changed under mu, so a call holding mu sees it settled

	// bounded holds the entries instead of entries under WithMaxEntries:
	// otter's W-TinyLFU decides what to evict. It is safe for concurrent
	// use, so Get takes no lock and the other single-key calls take the
	// read lock of mu; calls over many entries take the write lock, so
	// that they stay atomic, and the batch writes among them count
	// themselves in batches, which a Get checks (see getBounded).
	bounded *otter.Cache[K, item[V]]
	batches atomic.Uint64
	maint   *maintainer // runs otter's maintenance; nil when unbounded
	clone   func(V) V
	equal   func(a, b V) bool // nil: values of V cannot be compared
	now     storekit.Clock

	stop chan struct{}
	done chan struct{}
}

type entry[V any] struct {
	value     V
	expiresAt time.Time
}

// Option configures a Store.
type Option func(*options)

type options struct {
	maxEntries int
	sweep      time.Duration
	now        func() time.Time
}

// WithMaxEntries bounds the store to n entries, evicted by the W-TinyLFU
// policy of github.com/maypok86/otter/v2: reads (Get, GetMany, Has) and
// writes count as uses, and the entry least likely to be used again goes,
// which may be the one a Set has just written (a key seen once does not
// push out a key read often). The bound holds whenever no Set is running:
// each Set returns with the store at most n entries, and Sets running at
// the same moment may exceed it by one each until they return. Expired
// entries count until the janitor or DeleteExpired removes them. n <= 0
// means no bound, the default.
func WithMaxEntries(n int) Option { return func(o *options) { o.maxEntries = n } }

// WithSweepInterval sets how often a background janitor removes expired
// entries (they are invisible from the instant they expire either way; the
// janitor only frees their memory). d <= 0 starts no janitor. Close stops
// it.
func WithSweepInterval(d time.Duration) Option { return func(o *options) { o.sweep = d } }

// WithClock makes the store read the time from now instead of time.Now,
// for tests of expiry.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New returns an empty Store. Unless WithSweepInterval(0) is given it
// starts a janitor goroutine; with WithMaxEntries it also starts one for
// the cache's maintenance. Close stops both.
func New[K comparable, V any](opts ...Option) *Store[K, V] {
	o := options{sweep: DefaultSweepInterval, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Store[K, V]{
		entries: xsync.NewMap[K, *entry[V]](),
		now:     storekit.Clock(o.now),
		clone:   cloneFunc[V](),
		equal:   equalFunc[V](),
	}
	if o.maxEntries > 0 {
		s.entries = nil // before the store is shared
		s.maint = newMaintainer()
		s.bounded = newBounded[K, V](o.maxEntries, s.maint)
	}
	if o.sweep > 0 {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.janitor(o.sweep)
	}
	return s
}

// cloneFunc returns a copying function when V is []byte, and nil otherwise.
func cloneFunc[V any]() func(V) V {
	var f any = bytes.Clone
	c, _ := f.(func(V) V)
	return c
}

func (s *Store[K, V]) janitor(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.DeleteExpired()
		}
	}
}

// DeleteExpired removes every expired entry now and returns how many it
// removed. The janitor calls it on its interval.
func (s *Store[K, V]) DeleteExpired() int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bounded != nil {
		return s.deleteExpiredBounded(now)
	}
	n := 0
	for k, e := range s.entries.All() {
		if kv.Expired(e.expiresAt, now) {
			s.entries.Delete(k)
			n++
		}
	}
	return n
}

// keyString is key as errors name it.
func keyString[K comparable](key K) string {
	if s, ok := any(key).(string); ok {
		return s
	}
	return fmt.Sprint(key)
}

func (s *Store[K, V]) out(v V) V {
	if s.clone != nil {
		return s.clone(v)
	}
	return v
}

// lookup returns the live entry under key, or nil. The clock is read
// only for entries that expire. The caller holds the lock (a read lock is
// enough).
func (s *Store[K, V]) lookup(key K) (item[V], bool) {
	if s.bounded != nil {
		return s.lookupBounded(key)
	}
	e, ok := s.entries.Load(key)
	if !ok || s.now.Expired(e.expiresAt) {
		return item[V]{}, false
	}
	return item[V]{value: e.value, expiresAt: e.expiresAt}, true
}

// Get returns the value under key, or an error wrapping kv.ErrNotFound.
func (s *Store[K, V]) Get(ctx context.Context, key K) (v V, err error) {
	if s.bounded != nil {
		return s.getBounded(ctx, key)
	}
	// Unbounded, a lookup is one read of the concurrent map, with no
	// lock, checked against the batch writes as a bounded Get is (see
	// getBounded). This path stays short (it is the one most stores
	// take): the errors are built out of line, so that the frame holds no
	// spare zero values of V.
	if err := s.life.Begin(ctx); err != nil {
		return v, getError(err)
	}
	seen := s.batches.Load()
	e, ok := s.entries.Load(key)
	if seen%2 != 0 || s.batches.Load() != seen {
		s.mu.RLock()
		e, ok = s.entries.Load(key)
		s.mu.RUnlock()
	}
	if !ok {
		return v, notFound(key)
	}
	v, exp := e.value, e.expiresAt
	// The zero test is written here as well as in Clock.Expired, which is
	// not inlined: most entries never expire, and their Get makes no call.
	if !exp.IsZero() && s.now.Expired(exp) {
		var zero V
		return zero, notFound(key)
	}
	// A stored []byte is never written to, so it is copied here.
	if s.clone != nil {
		v = s.clone(v)
	}
	return v, nil
}

// getError is the error of a Get that could not begin. It is not
// inlined, so that Get's frame stays small.
//
//go:noinline
func getError(err error) error { return errs.Err("get", err) }

// notFound is the error of a Get of an absent or expired key, out of line
// as getError.
//
//go:noinline
func notFound[K comparable](key K) error {
	return errs.Key("get", keyString(key), kv.ErrNotFound)
}

// Has reports whether key is present and not expired.
func (s *Store[K, V]) Has(ctx context.Context, key K) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.life.Begin(ctx); err != nil {
		return false, errs.Err("has", err)
	}
	_, ok := s.lookup(key)
	return ok, nil
}

// Set stores value under key. It fails with kv.ErrInvalidTTL for a negative
// TTL.
func (s *Store[K, V]) Set(ctx context.Context, key K, value V, opts ...kv.SetOption) error {
	var o kv.SetOptions
	if len(opts) > 0 {
		var err error
		if o, err = s.now.SetOptions(opts...); err != nil {
			return errs.Key("set", keyString(key), err)
		}
	}
	if s.clone != nil {
		value = s.clone(value)
	}
	s.mu.RLock() // the engines are safe for concurrent use (see Store)
	if err := s.life.Begin(ctx); err != nil {
		s.mu.RUnlock()
		return errs.Err("set", err)
	}
	s.put(key, value, o.ExpiresAt)
	s.mu.RUnlock()
	return nil
}

// put stores one entry; bounded, it evicts beyond the bound. The caller
// holds the lock (a read lock is enough).
func (s *Store[K, V]) put(key K, value V, expiresAt time.Time) {
	if s.bounded != nil {
		s.putBounded(key, value, expiresAt)
		return
	}
	s.entries.Store(key, &entry[V]{value: value, expiresAt: expiresAt})
}

// Delete removes key; an absent key is not an error.
func (s *Store[K, V]) Delete(ctx context.Context, key K) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Begin(ctx); err != nil {
		return errs.Err("delete", err)
	}
	s.remove(key)
	return nil
}

// remove deletes key from where the entries live.
func (s *Store[K, V]) remove(key K) {
	if s.bounded != nil {
		s.bounded.Invalidate(key)
		return
	}
	s.entries.Delete(key)
}

// Len returns the number of live entries. It is O(n).
func (s *Store[K, V]) Len(ctx context.Context) (int, error) {
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.life.Begin(ctx); err != nil {
		return 0, errs.Err("len", err)
	}
	if s.bounded != nil {
		return s.lenBounded(now), nil
	}
	n := 0
	for _, e := range s.entries.All() {
		if !kv.Expired(e.expiresAt, now) {
			n++
		}
	}
	return n, nil
}

// Clear removes every entry.
func (s *Store[K, V]) Clear(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Begin(ctx); err != nil {
		return errs.Err("clear", err)
	}
	s.batchWrite(func() {
		if s.bounded != nil {
			s.bounded.InvalidateAll()
			return
		}
		s.entries.Clear()
	})
	return nil
}

// snapshot returns the live entries at the time of the call, so that
// iteration yields outside the lock and the loop body may use the store.
func (s *Store[K, V]) snapshot(ctx context.Context, op string) ([]kv.Entry[K, V], error) {
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.life.Begin(ctx); err != nil {
		return nil, errs.Err(op, err)
	}
	if s.bounded != nil {
		return s.snapshotBounded(now), nil
	}
	out := make([]kv.Entry[K, V], 0, s.entries.Size())
	for k, e := range s.entries.All() {
		if !kv.Expired(e.expiresAt, now) {
			out = append(out, kv.Entry[K, V]{Key: k, Value: e.value, ExpiresAt: e.expiresAt})
		}
	}
	return out, nil
}

// Keys yields the keys live when the loop starts. It stops with the
// context's error if ctx is done during the loop.
func (s *Store[K, V]) Keys(ctx context.Context) iter.Seq2[K, error] {
	return func(yield func(K, error) bool) {
		var zero K
		entries, err := s.snapshot(ctx, "keys")
		if err != nil {
			yield(zero, err)
			return
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				yield(zero, errs.Err("keys", err))
				return
			}
			if !yield(e.Key, nil) {
				return
			}
		}
	}
}

// All yields the entries live when the loop starts, under the rules of
// Keys.
func (s *Store[K, V]) All(ctx context.Context) iter.Seq2[kv.Entry[K, V], error] {
	return func(yield func(kv.Entry[K, V], error) bool) {
		entries, err := s.snapshot(ctx, "all")
		if err != nil {
			yield(kv.Entry[K, V]{}, err)
			return
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				yield(kv.Entry[K, V]{}, errs.Err("all", err))
				return
			}
			e.Value = s.out(e.Value)
			if !yield(e, nil) {
				return
			}
		}
	}
}

// GetMany returns the live values of keys under one lock.
func (s *Store[K, V]) GetMany(ctx context.Context, keys []K) (map[K]V, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.life.Begin(ctx); err != nil {
		return nil, errs.Err("get many", err)
	}
	out := make(map[K]V, len(keys))
	for _, k := range keys {
		if e, ok := s.lookup(k); ok {
			out[k] = s.out(e.value)
		}
	}
	return out, nil
}

// SetMany stores entries under one lock, each with its own expiry.
func (s *Store[K, V]) SetMany(ctx context.Context, entries []kv.Entry[K, V]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Begin(ctx); err != nil {
		return errs.Err("set many", err)
	}
	s.batchWrite(func() {
		for _, e := range entries {
			s.put(e.Key, s.out(e.Value), e.ExpiresAt)
		}
	})
	return nil
}

// DeleteMany removes keys under one lock.
func (s *Store[K, V]) DeleteMany(ctx context.Context, keys []K) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Begin(ctx); err != nil {
		return errs.Err("delete many", err)
	}
	s.batchWrite(func() {
		for _, k := range keys {
			s.remove(k)
		}
	})
	return nil
}

// Close stops the janitor and the maintenance goroutine, waits for them,
// and drops every entry. Later calls fail with kv.ErrClosed. Close is
// idempotent.
func (s *Store[K, V]) Close() error {
	s.mu.Lock()
	if !s.life.Close() {
		s.mu.Unlock()
		return nil
	}
	if s.entries != nil {
		s.entries.Clear() // a Get in flight may still read the map
	}
	if s.bounded != nil {
		s.bounded.InvalidateAll()
	}
	s.mu.Unlock()
	if s.stop != nil {
		close(s.stop)
		<-s.done
	}
	if s.maint != nil {
		s.maint.close()
	}
	return nil
}

var (
	_ kv.Store[string, []byte]       = (*Store[string, []byte])(nil)
	_ kv.BatchGetter[string, []byte] = (*Store[string, []byte])(nil)
	_ kv.BatchSetter[string, []byte] = (*Store[string, []byte])(nil)
	_ kv.BatchDeleter[string]        = (*Store[string, []byte])(nil)
)
