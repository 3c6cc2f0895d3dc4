package kv

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"sync"
	"time"
)

// DefaultNearTTL is how long Tiered keeps an entry in its near store when
// WithNearTTL is not given.
const DefaultNearTTL = time.Minute

// TieredOption configures Tiered.
type TieredOption func(*tieredOptions)

type tieredOptions struct {
	nearTTL time.Duration
}

// WithNearTTL bounds how long an entry stays in the near store after it
// was put there (d > 0; DefaultNearTTL otherwise). It is the bound on
// staleness: a write to the far store by anyone but this Tiered is seen
// at most d later.
func WithNearTTL(d time.Duration) TieredOption {
	return func(o *tieredOptions) {
		if d > 0 {
			o.nearTTL = d
		}
	}
}

// Tiered returns a store that keeps a near copy of what it reads and
// writes in near (a bounded memory store, such as
// memory.New[K, V](memory.WithMaxEntries(n))) in front of far (any store):
//
//   - Get and Has answer from near when they can; Get on a near miss reads
//     far and puts what it found in near (read-through). A miss in far is
//     not remembered (see Loader for that).
//   - Set, Delete and Clear go to far first and then to near
//     (write-through, delete-through); an entry written keeps its expiry
//     in near, capped at the near TTL. When writes through this Tiered
//     overlap (of one key, or of keys that share one of its 64 locks),
//     neither can know which reached far last, so they drop the key from
//     near instead and the next Get reads far.
//   - GetMany answers from near what it can and gets the rest with one
//     call to far's GetMany, putting what it found in near.
//   - Len, Keys, All and the prefix scans ask far, which is the truth.
//
// What it promises: a Get after a Set or Delete through the same Tiered
// sees it, also while other goroutines read and fill near (a fill that
// raced with a write is dropped). What it does not promise: a write to far
// by another client, or through another Tiered on the same far store, is
// seen only once the near copy expires, up to the near TTL
// (WithNearTTL) later. Tiered does not learn the expiry of an entry it
// reads from far, so such an entry stays near for the near TTL even when
// it expires in far sooner, and may be returned up to that long after it
// expired; set the near TTL below the shortest TTL you rely on.
//
// On Redis, stores/redis's WithClientSideCache is the alternative that
// stays coherent with other writers: Redis tells the client when a cached
// key changes. It is not instant either: measured on loopback, a read
// right after another client's write returned the old value in 20% of
// rounds, with a stale window of 119 µs at the median and 18 ms at the
// 99th percentile.
//
// Under the conformance suite it declares what far does but shared
// handles, for the reason above. Give it a near store of its own: Clear
// clears all of near.
//
// Conditional writes (ConditionalWriter, when far has it) are far's and
// only far's: the condition is checked by far, atomically, never against
// near, so a stale near copy can make a CompareAndSwap fail but never
// succeed wrongly. A conditional write that wrote puts its value in near
// as a Set does (a CompareAndDelete removes the key); one that did not, or
// failed, removes the key from near, so that the Get of a kv.Update that
// retries reads far. Writes by other clients are still seen by Get only
// within the near TTL: an Update then costs a retry, not a lost update.
//
// Tiered has the capabilities of far (batch, PrefixScanner, KeyScanner,
// ConditionalWriter), chosen once here. Closing it marks it closed and closes neither near
// nor far (see the package doc's Ownership).
func Tiered[K comparable, V any](near, far Store[K, V], opts ...TieredOption) Store[K, V] {
	o := tieredOptions{nearTTL: DefaultNearTTL}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	t := &tiered[K, V]{near: near, far: far, o: o, seed: maphash.MakeSeed()}
	t.cond, _ = far.(ConditionalWriter[K, V])
	return offer[K, V](t, capabilitiesOf(far))
}

// tieredShards is how many write generations a Tiered keeps; a write
// drops the fills under way of the keys of its shard.
const tieredShards = 64

// tiered is the core of a store made by Tiered.
type tiered[K comparable, V any] struct {
	near, far Store[K, V]
	cond      ConditionalWriter[K, V] // far, when it has it; else nil
	o         tieredOptions
	seed      maphash.Seed
	shards    [tieredShards]tieredShard
	closeFlag
}

// tieredShard orders the near writes of the keys that hash to it. gen
// counts the starts and ends of writes through the Tiered (and Clears);
// writing is how many are under way.
//
// A write bumps gen and writing before it writes far, and after, under mu,
// puts its value in near only if no other write of the shard started or
// ended meanwhile (two overlapping writes of a key may reach far in
// either order, so neither knows it won); otherwise it removes the key
// from near, and the next Get reads far. A fill from far notes gen before
// it reads far and writes near, under mu, only if gen has not moved since:
// a write that started after the note may have reached far after the
// read. A fill that happens while a write is still under way is
// overwritten or removed when that write ends.
type tieredShard struct {
	mu      sync.Mutex
	gen     uint64
	writing int
}

const tieredName = "tiered"

func (t *tiered[K, V]) shard(key K) *tieredShard {
	return &t.shards[maphash.Comparable(t.seed, key)%tieredShards]
}

func (t *tiered[K, V]) start(ctx context.Context, op string) error {
	if err := t.check(tieredName, op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kv: %s %s: %w", tieredName, op, err)
	}
	return nil
}

// nearExpiry is when a copy put in near at now expires: at the entry's
// own expiry or after the near TTL, whichever comes first.
func nearExpiry(now, expiresAt time.Time, nearTTL time.Duration) time.Time {
	capAt := now.Add(nearTTL)
	if expiresAt.IsZero() || capAt.Before(expiresAt) {
		return capAt
	}
	return expiresAt
}

// beginWrite records that a write of key starts, and returns what endWrite
// needs.
func (t *tiered[K, V]) beginWrite(key K) (*tieredShard, uint64) {
	sh := t.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.gen++
	sh.writing++
	return sh, sh.gen
}

// endWrite records that the write of key begun at gen has reached far:
// it puts value in near (nil: the key was deleted, or the write failed)
// when no other write of the shard overlapped, and removes the key from
// near otherwise.
func (t *tiered[K, V]) endWrite(ctx context.Context, key K, sh *tieredShard, gen uint64, value *V, expiresAt time.Time) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.writing--
	sh.gen++
	if value != nil && sh.writing == 0 && sh.gen == gen+1 {
		if err := t.near.Set(ctx, key, *value, WithExpiresAt(nearExpiry(time.Now(), expiresAt, t.o.nearTTL))); err == nil {
			return
		}
	}
	// A near copy that may be older than far must not stay, even when
	// ctx is cancelled.
	_ = t.near.Delete(context.WithoutCancel(ctx), key)
}

// fill puts value, read from far after gen was noted, in near unless a
// write of key's shard started or ended in between.
func (t *tiered[K, V]) fill(ctx context.Context, key K, value V, gen uint64) {
	sh := t.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen == gen {
		_ = t.near.Set(ctx, key, value, WithTTL(t.o.nearTTL))
	}
}

func (t *tiered[K, V]) gen(key K) uint64 {
	sh := t.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.gen
}

func (t *tiered[K, V]) Get(ctx context.Context, key K) (V, error) {
	var zero V
	if err := t.start(ctx, "get"); err != nil {
		return zero, err
	}
	if v, err := t.near.Get(ctx, key); err == nil {
		return v, nil
	}
	gen := t.gen(key)
	v, err := t.far.Get(ctx, key)
	if err != nil {
		return zero, err
	}
	t.fill(ctx, key, v, gen)
	return v, nil
}

func (t *tiered[K, V]) Set(ctx context.Context, key K, value V, opts ...SetOption) error {
	if err := t.start(ctx, "set"); err != nil {
		return err
	}
	o, err := NewSetOptions(time.Now(), opts...)
	if err != nil {
		return fmt.Errorf("kv: %s set: %w", tieredName, err)
	}
	sh, gen := t.beginWrite(key)
	err = t.far.Set(ctx, key, value, WithExpiresAt(o.ExpiresAt))
	if err != nil {
		t.endWrite(ctx, key, sh, gen, nil, time.Time{})
		return err
	}
	t.endWrite(ctx, key, sh, gen, &value, o.ExpiresAt)
	return nil
}

func (t *tiered[K, V]) Delete(ctx context.Context, key K) error {
	if err := t.start(ctx, "delete"); err != nil {
		return err
	}
	sh, gen := t.beginWrite(key)
	err := t.far.Delete(ctx, key)
	t.endWrite(ctx, key, sh, gen, nil, time.Time{})
	return err
}

func (t *tiered[K, V]) Has(ctx context.Context, key K) (bool, error) {
	if err := t.start(ctx, "has"); err != nil {
		return false, err
	}
	if ok, err := t.near.Has(ctx, key); err == nil && ok {
		return true, nil
	}
	return t.far.Has(ctx, key)
}

func (t *tiered[K, V]) Len(ctx context.Context) (int, error) {
	if err := t.start(ctx, "len"); err != nil {
		return 0, err
	}
	return t.far.Len(ctx)
}

// Clear clears far, then near, with every fill under way dropped.
func (t *tiered[K, V]) Clear(ctx context.Context) error {
	if err := t.start(ctx, "clear"); err != nil {
		return err
	}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		sh.gen++
		sh.writing++
		sh.mu.Unlock()
	}
	err := t.far.Clear(ctx)
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		sh.gen++
		sh.writing--
	}
	nerr := t.near.Clear(context.WithoutCancel(ctx))
	for i := range t.shards {
		t.shards[i].mu.Unlock()
	}
	if err == nil && nerr != nil {
		err = fmt.Errorf("kv: %s clear near: %w", tieredName, nerr)
	}
	return err
}

func (t *tiered[K, V]) Keys(ctx context.Context) iter.Seq2[K, error] {
	if err := t.start(ctx, "keys"); err != nil {
		return ErrorSeq[K](err)
	}
	return t.far.Keys(ctx)
}

func (t *tiered[K, V]) All(ctx context.Context) iter.Seq2[Entry[K, V], error] {
	if err := t.start(ctx, "all"); err != nil {
		return ErrorSeq[Entry[K, V]](err)
	}
	return t.far.All(ctx)
}

// getMany answers from near what it can and gets the rest from far in
// one call, filling near.
func (t *tiered[K, V]) getMany(ctx context.Context, keys []K) (map[K]V, error) {
	if err := t.start(ctx, "get many"); err != nil {
		return nil, err
	}
	out, err := GetMany(ctx, t.near, keys)
	if err != nil {
		out = make(map[K]V, len(keys))
	}
	var rest []K
	gens := make(map[K]uint64)
	for _, k := range keys {
		if _, ok := out[k]; !ok {
			if _, dup := gens[k]; !dup {
				rest = append(rest, k)
				gens[k] = t.gen(k)
			}
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	found, err := GetMany(ctx, t.far, rest)
	if err != nil {
		return nil, err
	}
	for k, v := range found {
		out[k] = v
		t.fill(ctx, k, v, gens[k])
	}
	return out, nil
}

func (t *tiered[K, V]) setMany(ctx context.Context, entries []Entry[K, V]) error {
	if err := t.start(ctx, "set many"); err != nil {
		return err
	}
	shards, gens := make([]*tieredShard, len(entries)), make([]uint64, len(entries))
	for i, e := range entries {
		shards[i], gens[i] = t.beginWrite(e.Key)
	}
	err := SetMany(ctx, t.far, entries)
	for i := range entries {
		e := &entries[i]
		if err != nil {
			t.endWrite(ctx, e.Key, shards[i], gens[i], nil, time.Time{})
		} else {
			t.endWrite(ctx, e.Key, shards[i], gens[i], &e.Value, e.ExpiresAt)
		}
	}
	return err
}

func (t *tiered[K, V]) deleteMany(ctx context.Context, keys []K) error {
	if err := t.start(ctx, "delete many"); err != nil {
		return err
	}
	shards, gens := make([]*tieredShard, len(keys)), make([]uint64, len(keys))
	for i, k := range keys {
		shards[i], gens[i] = t.beginWrite(k)
	}
	err := DeleteMany(ctx, t.far, keys)
	for i, k := range keys {
		t.endWrite(ctx, k, shards[i], gens[i], nil, time.Time{})
	}
	return err
}

func (t *tiered[K, V]) scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error] {
	if err := t.start(ctx, "scan"); err != nil {
		return ErrorSeq[Entry[string, V]](err)
	}
	p, ok := t.far.(PrefixScanner[V])
	if !ok {
		return ErrorSeq[Entry[string, V]](errors.New("kv: tiered scan: far store is not a PrefixScanner"))
	}
	return p.Scan(ctx, prefix)
}

func (t *tiered[K, V]) scanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := t.start(ctx, "scan keys"); err != nil {
		return ErrorSeq[string](err)
	}
	p, ok := t.far.(KeyScanner)
	if !ok {
		return ErrorSeq[string](errors.New("kv: tiered scan keys: far store is not a KeyScanner"))
	}
	return p.ScanKeys(ctx, prefix)
}

// conditionally runs write, a conditional write of key to far, between the
// begin and end of a write of key: when it wrote, value (nil for a delete)
// goes to near as endWrite decides; when it did not, or failed, the key
// leaves near, since its copy may be what made the caller's condition
// wrong.
func (t *tiered[K, V]) conditionally(ctx context.Context, key K, value *V, expiresAt time.Time, write func() (bool, error)) (bool, error) {
	sh, gen := t.beginWrite(key)
	done, err := write()
	if err != nil || !done {
		value = nil
	}
	t.endWrite(ctx, key, sh, gen, value, expiresAt)
	return done, err
}

// conditionalStart checks that t is open and ctx live, and resolves opts
// as Set does.
func (t *tiered[K, V]) conditionalStart(ctx context.Context, op string, opts []SetOption) (SetOptions, error) {
	if err := t.start(ctx, op); err != nil {
		return SetOptions{}, err
	}
	o, err := NewSetOptions(time.Now(), opts...)
	if err != nil {
		return SetOptions{}, fmt.Errorf("kv: %s %s: %w", tieredName, op, err)
	}
	return o, nil
}

func (t *tiered[K, V]) setIfAbsent(ctx context.Context, key K, value V, opts ...SetOption) (bool, error) {
	o, err := t.conditionalStart(ctx, "set if absent", opts)
	if err != nil {
		return false, err
	}
	return t.conditionally(ctx, key, &value, o.ExpiresAt, func() (bool, error) {
		return t.cond.SetIfAbsent(ctx, key, value, WithExpiresAt(o.ExpiresAt))
	})
}

func (t *tiered[K, V]) compareAndSwap(ctx context.Context, key K, old, new V, opts ...SetOption) (bool, error) {
	o, err := t.conditionalStart(ctx, "compare and swap", opts)
	if err != nil {
		return false, err
	}
	return t.conditionally(ctx, key, &new, o.ExpiresAt, func() (bool, error) {
		return t.cond.CompareAndSwap(ctx, key, old, new, WithExpiresAt(o.ExpiresAt))
	})
}

func (t *tiered[K, V]) compareAndDelete(ctx context.Context, key K, old V) (bool, error) {
	if err := t.start(ctx, "compare and delete"); err != nil {
		return false, err
	}
	return t.conditionally(ctx, key, nil, time.Time{}, func() (bool, error) {
		return t.cond.CompareAndDelete(ctx, key, old)
	})
}
