package kv

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// LoadFunc loads the value of key for Loader on a miss. It returns the
// value and how long the store keeps it: ttl > 0 that long, 0 without
// expiry, and ttl < 0 not at all (the value is returned to this Get and
// the next Get loads again). It returns an error wrapping ErrNotFound when
// there is no such key.
type LoadFunc[K comparable, V any] func(ctx context.Context, key K) (value V, ttl time.Duration, err error)

// LoaderOption configures Loader.
type LoaderOption func(*loaderOptions)

type loaderOptions struct {
	negativeTTL time.Duration
	errorTTL    time.Duration
	maxMisses   int
}

// WithNegativeTTL makes Loader remember for d that a key was not found
// (the load function returned ErrNotFound), so that Get reports it absent
// without loading again until then (negative caching). A Set or Delete of
// the key through the Loader forgets it at once; a write to the store by
// anyone else is seen only after d. d <= 0 (the default) remembers
// nothing.
func WithNegativeTTL(d time.Duration) LoaderOption {
	return func(o *loaderOptions) { o.negativeTTL = d }
}

// WithErrorTTL makes Loader remember for d that loading a key failed, so
// that Get returns the same error without loading again until then, which
// protects a struggling origin. d <= 0 (the default) remembers no error:
// every Get after a failure loads again.
func WithErrorTTL(d time.Duration) LoaderOption {
	return func(o *loaderOptions) { o.errorTTL = d }
}

// WithMaxRemembered bounds how many misses and errors Loader remembers
// (DefaultMaxRemembered when n <= 0). When the bound is reached, expired
// ones are dropped first, then arbitrary ones.
func WithMaxRemembered(n int) LoaderOption {
	return func(o *loaderOptions) { o.maxMisses = n }
}

// DefaultMaxRemembered is how many misses and errors Loader remembers at
// most when WithMaxRemembered is not given.
const DefaultMaxRemembered = 10_000

// Loader returns a store that answers Get from s and, on a miss, calls
// load, stores what it returns in s for the TTL it gives, and returns it
// (get-or-load, the shape of groupcache's Getter and gocache's
// LoadableCache):
//
//   - Concurrent misses of one key call load once: the others wait for
//     that call and share its result (golang.org/x/sync/singleflight).
//     The call runs with the context of the Get that started it; a Get
//     whose context ends while it waits returns at once.
//   - A key load reports absent (ErrNotFound) is absent: Get returns
//     ErrNotFound, remembered for WithNegativeTTL when set.
//   - A load error is returned and not remembered, unless WithErrorTTL.
//   - A loaded value that s fails to store is still returned.
//   - A load never overwrites a Set or Delete of the key (or a Clear) made
//     through the Loader while it ran: its value is then returned and not
//     stored. When s is a ConditionalWriter, the loaded value is stored
//     with SetIfAbsent, so it never overwrites a write to s by anyone
//     else either; without it, a write to s by another client while a
//     load runs may be overwritten by the loaded value.
//
// Every other method is s's: Set, Delete and Clear write s (and forget the
// remembered misses and errors of what they touch), Has, Len, Keys and All
// read s and never load. GetMany gets from s in one call when s can and
// loads each key it did not find. The store has exactly the capabilities
// of s, chosen once here; its conditional writes are s's, with conditions
// on what s holds (a key absent from s is absent for SetIfAbsent even when
// load would find it), and forget what is remembered of their key like
// Set. Closing it marks it closed and does not close s
// (see the package doc's Ownership).
func Loader[K comparable, V any](s Store[K, V], load LoadFunc[K, V], opts ...LoaderOption) Store[K, V] {
	o := loaderOptions{maxMisses: DefaultMaxRemembered}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.maxMisses <= 0 {
		o.maxMisses = DefaultMaxRemembered
	}
	l := &loader[K, V]{s: s, load: load, o: o, misses: make(map[K]miss), seed: maphash.MakeSeed()}
	l.cond, _ = s.(ConditionalWriter[K, V])
	return offer[K, V](l, capabilitiesOf(s))
}

// loader is the core of a store made by Loader.
type loader[K comparable, V any] struct {
	s      Store[K, V]
	cond   ConditionalWriter[K, V] // s, when it has it; else nil
	load   LoadFunc[K, V]
	o      loaderOptions
	flight singleflight.Group

	mu     sync.Mutex
	misses map[K]miss

	// Writes through the Loader bump the generation of their key's shard
	// before and after they write s; a loaded value is stored, under the
	// shard's lock, only if the generation is the one noted before the
	// load, so a load never overwrites a Set or Delete made meanwhile
	// through the Loader.
	seed   maphash.Seed
	shards [loaderShards]loaderShard
	closeFlag
}

const loaderShards = 64

type loaderShard struct {
	mu  sync.Mutex
	gen uint64
}

func (l *loader[K, V]) shard(key K) *loaderShard {
	return &l.shards[maphash.Comparable(l.seed, key)%loaderShards]
}

// bump records a write of key.
func (l *loader[K, V]) bump(key K) {
	sh := l.shard(key)
	sh.mu.Lock()
	sh.gen++
	sh.mu.Unlock()
}

// bumpAll records a write of every key (Clear).
func (l *loader[K, V]) bumpAll() {
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		sh.gen++
		sh.mu.Unlock()
	}
}

func (l *loader[K, V]) gen(key K) uint64 {
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.gen
}

// miss is a remembered outcome of a load that gave no value.
type miss struct {
	err   error // wraps ErrNotFound for a negative entry
	until time.Time
}

// loaded is what one flight of load gives its callers.
type loaded[K comparable, V any] struct {
	key   K
	value V
}

const loaderName = "loader"

// flightKey names key for singleflight. It need not be injective: a caller
// that gets the result of a flight for another key that printed the same
// loads its own (see get).
func flightKey[K comparable](key K) string {
	if s, ok := any(key).(string); ok {
		return s
	}
	return fmt.Sprintf("%T\x00%#v", key, key)
}

func (l *loader[K, V]) Get(ctx context.Context, key K) (V, error) {
	var zero V
	if err := l.check(loaderName, "get"); err != nil {
		return zero, err
	}
	v, err := l.s.Get(ctx, key)
	if !errors.Is(err, ErrNotFound) {
		return v, err
	}
	if err := l.remembered(key, time.Now()); err != nil {
		return zero, err
	}
	ch := l.flight.DoChan(flightKey(key), func() (any, error) {
		v, err := l.loadAndStore(ctx, key)
		return loaded[K, V]{key, v}, err
	})
	select {
	case <-ctx.Done():
		return zero, fmt.Errorf("kv: %s get: %w", loaderName, ctx.Err())
	case r := <-ch:
		got, _ := r.Val.(loaded[K, V])
		if got.key != key {
			// Another key with the same flight key: load our own.
			return l.loadAndStore(ctx, key)
		}
		return got.value, r.Err
	}
}

// loadAndStore calls load for key, stores a value it gives and remembers a
// miss or an error as the options say.
func (l *loader[K, V]) loadAndStore(ctx context.Context, key K) (V, error) {
	var zero V
	gen := l.gen(key)
	v, ttl, err := l.load(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		err = fmt.Errorf("kv: %s get: %w", loaderName, err)
		l.rememberUnlessWritten(key, gen, err, l.o.negativeTTL)
		return zero, err
	case err != nil:
		err = fmt.Errorf("kv: %s get: load: %w", loaderName, err)
		l.rememberUnlessWritten(key, gen, err, l.o.errorTTL)
		return zero, err
	}
	if ttl >= 0 {
		sh := l.shard(key)
		sh.mu.Lock()
		if sh.gen == gen {
			// A value that cannot be stored is still the answer; the
			// next Get loads it again.
			l.store(ctx, key, v, ttl)
		}
		sh.mu.Unlock()
	}
	return v, nil
}

// store stores a loaded value: with SetIfAbsent when s has it, so that
// the value never replaces one another client of s wrote while the load
// ran, and with Set otherwise.
func (l *loader[K, V]) store(ctx context.Context, key K, v V, ttl time.Duration) {
	if l.cond != nil {
		_, _ = l.cond.SetIfAbsent(ctx, key, v, WithTTL(ttl))
		return
	}
	_ = l.s.Set(ctx, key, v, WithTTL(ttl))
}

// remembered returns the remembered error of key, if one is still due.
func (l *loader[K, V]) remembered(key K, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.misses[key]
	if !ok {
		return nil
	}
	if !now.Before(m.until) {
		delete(l.misses, key)
		return nil
	}
	return m.err
}

// rememberUnlessWritten remembers err for key unless a write of key's
// shard came after gen was noted (a Set's forget runs after its last
// bump, so it removes what is remembered before that bump).
func (l *loader[K, V]) rememberUnlessWritten(key K, gen uint64, err error, d time.Duration) {
	if d <= 0 {
		return
	}
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen == gen {
		l.remember(key, err, d)
	}
}

// remember keeps err as the outcome of loading key for d (nothing when
// d <= 0), within the bound on remembered outcomes.
func (l *loader[K, V]) remember(key K, err error, d time.Duration) {
	if d <= 0 {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.misses) >= l.o.maxMisses {
		for k, m := range l.misses {
			if !now.Before(m.until) {
				delete(l.misses, k)
			}
		}
		for k := range l.misses {
			if len(l.misses) < l.o.maxMisses {
				break
			}
			delete(l.misses, k)
		}
	}
	l.misses[key] = miss{err: err, until: now.Add(d)}
}

// forget drops what is remembered about keys (all of them when all).
func (l *loader[K, V]) forget(all bool, keys ...K) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if all {
		clear(l.misses)
		return
	}
	for _, k := range keys {
		delete(l.misses, k)
	}
}

// write runs op, a write of key to s, as write op: it checks Close, bumps
// key's generation before and after, so that no load under way stores
// over it, and forgets what is remembered of key.
func (l *loader[K, V]) write(op string, key K, write func() error) error {
	if err := l.check(loaderName, op); err != nil {
		return err
	}
	l.bump(key)
	err := write()
	l.bump(key)
	l.forget(false, key)
	return err
}

func (l *loader[K, V]) Set(ctx context.Context, key K, value V, opts ...SetOption) error {
	return l.write("set", key, func() error { return l.s.Set(ctx, key, value, opts...) })
}

func (l *loader[K, V]) Delete(ctx context.Context, key K) error {
	return l.write("delete", key, func() error { return l.s.Delete(ctx, key) })
}

// The conditional writes, offered when s has them, are s's: their
// conditions are on what s holds (a key absent from s is absent for them,
// even when load would find it).

func (l *loader[K, V]) setIfAbsent(ctx context.Context, key K, value V, opts ...SetOption) (done bool, err error) {
	err = l.write("set if absent", key, func() error {
		done, err = l.cond.SetIfAbsent(ctx, key, value, opts...)
		return err
	})
	return done, err
}

func (l *loader[K, V]) compareAndSwap(ctx context.Context, key K, old, new V, opts ...SetOption) (done bool, err error) {
	err = l.write("compare and swap", key, func() error {
		done, err = l.cond.CompareAndSwap(ctx, key, old, new, opts...)
		return err
	})
	return done, err
}

func (l *loader[K, V]) compareAndDelete(ctx context.Context, key K, old V) (done bool, err error) {
	err = l.write("compare and delete", key, func() error {
		done, err = l.cond.CompareAndDelete(ctx, key, old)
		return err
	})
	return done, err
}

func (l *loader[K, V]) Has(ctx context.Context, key K) (bool, error) {
	if err := l.check(loaderName, "has"); err != nil {
		return false, err
	}
	return l.s.Has(ctx, key)
}

func (l *loader[K, V]) Len(ctx context.Context) (int, error) {
	if err := l.check(loaderName, "len"); err != nil {
		return 0, err
	}
	return l.s.Len(ctx)
}

func (l *loader[K, V]) Clear(ctx context.Context) error {
	if err := l.check(loaderName, "clear"); err != nil {
		return err
	}
	l.bumpAll()
	err := l.s.Clear(ctx)
	l.bumpAll()
	l.forget(true)
	return err
}

func (l *loader[K, V]) Keys(ctx context.Context) iter.Seq2[K, error] {
	if err := l.check(loaderName, "keys"); err != nil {
		return ErrorSeq[K](err)
	}
	return l.s.Keys(ctx)
}

func (l *loader[K, V]) All(ctx context.Context) iter.Seq2[Entry[K, V], error] {
	if err := l.check(loaderName, "all"); err != nil {
		return ErrorSeq[Entry[K, V]](err)
	}
	return l.s.All(ctx)
}

// getMany gets keys from s in one call and loads each one it lacks. Keys
// that load reports absent are missing from the map; any other load error
// fails the call.
func (l *loader[K, V]) getMany(ctx context.Context, keys []K) (map[K]V, error) {
	if err := l.check(loaderName, "get many"); err != nil {
		return nil, err
	}
	out, err := GetMany(ctx, l.s, keys)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if _, ok := out[k]; ok {
			continue
		}
		v, err := l.Get(ctx, k)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return nil, err
		default:
			out[k] = v
		}
	}
	return out, nil
}

func (l *loader[K, V]) setMany(ctx context.Context, entries []Entry[K, V]) error {
	if err := l.check(loaderName, "set many"); err != nil {
		return err
	}
	for _, e := range entries {
		l.bump(e.Key)
	}
	err := SetMany(ctx, l.s, entries)
	for _, e := range entries {
		l.bump(e.Key)
		l.forget(false, e.Key)
	}
	return err
}

func (l *loader[K, V]) deleteMany(ctx context.Context, keys []K) error {
	if err := l.check(loaderName, "delete many"); err != nil {
		return err
	}
	for _, k := range keys {
		l.bump(k)
	}
	err := DeleteMany(ctx, l.s, keys)
	for _, k := range keys {
		l.bump(k)
	}
	l.forget(false, keys...)
	return err
}

func (l *loader[K, V]) scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error] {
	if err := l.check(loaderName, "scan"); err != nil {
		return ErrorSeq[Entry[string, V]](err)
	}
	return Scan(ctx, any(l.s).(Store[string, V]), prefix)
}

func (l *loader[K, V]) scanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := l.check(loaderName, "scan keys"); err != nil {
		return ErrorSeq[string](err)
	}
	return ScanKeys(ctx, any(l.s).(Store[string, V]), prefix)
}
