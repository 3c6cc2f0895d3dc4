package kv

import (
	"context"
	"errors"
	"iter"
	"strings"
)

// clearBatch is how many keys Prefixed's Clear deletes per DeleteMany.
const clearBatch = 500

// Prefixed returns the part of s whose keys start with prefix, seen as a
// store of its own: its key k is s's key prefix+k, and it lists, counts
// and clears only the keys that start with prefix. Several namespaces
// (say an HTTP cache's responses and an application's counters) so share
// one table, one directory or one Redis key prefix; give them prefixes of
// which none starts with another ("c:" and "m:", not "c" and "cm").
//
// Keys, Len and Clear list the namespace with s's KeyScanner when it has
// one, reading no values; otherwise with its PrefixScanner (which reads
// the values of the namespace, and nothing outside it); otherwise by
// filtering s.Keys, which lists the whole store. All uses PrefixScanner,
// or filters s.All.
//
// It has exactly the capabilities of s, chosen once here (see Typed): the
// batch methods, PrefixScanner, KeyScanner and ConditionalWriter when s
// has them, each one call to s's with the prefix added and removed (a
// conditional write is s's, as atomic as s makes it).
//
// Closing the namespace marks it closed (its methods report ErrClosed)
// and does not close s: the caller opened s and closes it, after every
// namespace over it is done with (see the package doc's Ownership).
func Prefixed[V any](s Store[string, V], prefix string) Store[string, V] {
	p := &prefixed[V]{raw: s, prefix: prefix}
	p.cond, _ = s.(ConditionalWriter[string, V])
	return offer[string, V](p, capabilitiesOf(s))
}

// prefixed is the core of a store made by Prefixed.
type prefixed[V any] struct {
	raw    Store[string, V]
	prefix string
	cond   ConditionalWriter[string, V] // raw, when it has it; else nil
	closeFlag
}

const prefixedName = "prefixed"

func (s *prefixed[V]) Get(ctx context.Context, key string) (V, error) {
	if err := s.check(prefixedName, "get"); err != nil {
		var zero V
		return zero, err
	}
	return s.raw.Get(ctx, s.prefix+key)
}

func (s *prefixed[V]) Set(ctx context.Context, key string, value V, opts ...SetOption) error {
	if err := s.check(prefixedName, "set"); err != nil {
		return err
	}
	return s.raw.Set(ctx, s.prefix+key, value, opts...)
}

func (s *prefixed[V]) Delete(ctx context.Context, key string) error {
	if err := s.check(prefixedName, "delete"); err != nil {
		return err
	}
	return s.raw.Delete(ctx, s.prefix+key)
}

func (s *prefixed[V]) Has(ctx context.Context, key string) (bool, error) {
	if err := s.check(prefixedName, "has"); err != nil {
		return false, err
	}
	return s.raw.Has(ctx, s.prefix+key)
}

// Len counts the keys of the namespace (see Prefixed for how it lists
// them).
func (s *prefixed[V]) Len(ctx context.Context) (int, error) {
	if err := s.check(prefixedName, "len"); err != nil {
		return 0, err
	}
	n := 0
	for _, err := range ScanKeys(ctx, s.raw, s.prefix) {
		if err != nil && !errors.Is(err, ErrCorrupt) {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Clear deletes the keys of the namespace, clearBatch at a time.
func (s *prefixed[V]) Clear(ctx context.Context) error {
	if err := s.check(prefixedName, "clear"); err != nil {
		return err
	}
	batch := make([]string, 0, clearBatch)
	for k, err := range ScanKeys(ctx, s.raw, s.prefix) {
		if errors.Is(err, ErrCorrupt) && k == "" {
			continue
		}
		if err != nil {
			return err
		}
		if batch = append(batch, k); len(batch) == clearBatch {
			if err := DeleteMany(ctx, s.raw, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return DeleteMany(ctx, s.raw, batch)
}

func (s *prefixed[V]) Close() error { return s.closeFlag.Close() }

func (s *prefixed[V]) Keys(ctx context.Context) iter.Seq2[string, error] {
	if err := s.check(prefixedName, "keys"); err != nil {
		return ErrorSeq[string](err)
	}
	return s.trimKeys(ScanKeys(ctx, s.raw, s.prefix))
}

func (s *prefixed[V]) All(ctx context.Context) iter.Seq2[Entry[string, V], error] {
	if err := s.check(prefixedName, "all"); err != nil {
		return ErrorSeq[Entry[string, V]](err)
	}
	return s.trimEntries(Scan(ctx, s.raw, s.prefix))
}

// trimKeys removes the prefix from the keys of seq. An error about one
// entry is passed on (its key trimmed when known) and the loop goes on.
func (s *prefixed[V]) trimKeys(seq iter.Seq2[string, error]) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for k, err := range seq {
			k, ok := strings.CutPrefix(k, s.prefix)
			if err == nil && !ok {
				continue // not this namespace's: a scan never yields one
			}
			if !yield(k, err) || (err != nil && !errors.Is(err, ErrCorrupt)) {
				return
			}
		}
	}
}

// trimEntries removes the prefix from the keys of seq, as trimKeys does.
func (s *prefixed[V]) trimEntries(seq iter.Seq2[Entry[string, V], error]) iter.Seq2[Entry[string, V], error] {
	return func(yield func(Entry[string, V], error) bool) {
		for e, err := range seq {
			k, ok := strings.CutPrefix(e.Key, s.prefix)
			if err == nil && !ok {
				continue
			}
			e.Key = k
			if !yield(e, err) || (err != nil && !errors.Is(err, ErrCorrupt)) {
				return
			}
		}
	}
}

// full returns keys with the prefix added.
func (s *prefixed[V]) full(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = s.prefix + k
	}
	return out
}

func (s *prefixed[V]) getMany(ctx context.Context, keys []string) (map[string]V, error) {
	if err := s.check(prefixedName, "get many"); err != nil {
		return nil, err
	}
	found, err := GetMany(ctx, s.raw, s.full(keys))
	if err != nil {
		return nil, err
	}
	out := make(map[string]V, len(found))
	for k, v := range found {
		out[k[len(s.prefix):]] = v
	}
	return out, nil
}

func (s *prefixed[V]) setMany(ctx context.Context, entries []Entry[string, V]) error {
	if err := s.check(prefixedName, "set many"); err != nil {
		return err
	}
	full := make([]Entry[string, V], len(entries))
	for i, e := range entries {
		e.Key = s.prefix + e.Key
		full[i] = e
	}
	return SetMany(ctx, s.raw, full)
}

func (s *prefixed[V]) deleteMany(ctx context.Context, keys []string) error {
	if err := s.check(prefixedName, "delete many"); err != nil {
		return err
	}
	return DeleteMany(ctx, s.raw, s.full(keys))
}

func (s *prefixed[V]) scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error] {
	if err := s.check(prefixedName, "scan"); err != nil {
		return ErrorSeq[Entry[string, V]](err)
	}
	return s.trimEntries(Scan(ctx, s.raw, s.prefix+prefix))
}

func (s *prefixed[V]) scanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := s.check(prefixedName, "scan keys"); err != nil {
		return ErrorSeq[string](err)
	}
	return s.trimKeys(ScanKeys(ctx, s.raw, s.prefix+prefix))
}

func (s *prefixed[V]) setIfAbsent(ctx context.Context, key string, value V, opts ...SetOption) (bool, error) {
	if err := s.check(prefixedName, "set if absent"); err != nil {
		return false, err
	}
	return s.cond.SetIfAbsent(ctx, s.prefix+key, value, opts...)
}

func (s *prefixed[V]) compareAndSwap(ctx context.Context, key string, old, new V, opts ...SetOption) (bool, error) {
	if err := s.check(prefixedName, "compare and swap"); err != nil {
		return false, err
	}
	return s.cond.CompareAndSwap(ctx, s.prefix+key, old, new, opts...)
}

func (s *prefixed[V]) compareAndDelete(ctx context.Context, key string, old V) (bool, error) {
	if err := s.check(prefixedName, "compare and delete"); err != nil {
		return false, err
	}
	return s.cond.CompareAndDelete(ctx, s.prefix+key, old)
}
