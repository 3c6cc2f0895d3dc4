package kv

import (
	"context"
	"fmt"
	"iter"
)

// Typed lifts a byte-level store to keys of type K and values of type V:
// keys go through keys, values through values.
//
// The store it returns has exactly the capabilities of raw, chosen once
// here: the batch methods when raw has all three of BatchGetter,
// BatchSetter and BatchDeleter, each one call to raw's with every value
// decoded; and PrefixScanner and KeyScanner when raw has them and keys is
// a PrefixKeyCodec, which makes K string (StringKeys is one). A prefix
// scan through any other key codec could not be translated into a scan of
// raw: the encodings of the keys that start with "ab" need not share any
// prefix (IntKeys: the keys 1 and 10 do, but a CBOR or hashed key codec
// would not), so it is left to kv.Scan's fallback over All. And
// ConditionalWriter when raw has it and values is a DeterministicCodec
// that reports itself deterministic (CBOR, JSON, Bytes and String are;
// EncryptCodec is not): SetIfAbsent stores the encoded value,
// CompareAndSwap and CompareAndDelete compare the encoding of old with the
// bytes raw holds, atomically as raw does. Only a deterministic codec
// makes that comparison one of values; through another, equal values
// could compare unequal, and Update would retry until it gave up. Values
// are then equal when their encodings are: through JSON a nil and an
// empty slice differ (null and []), as they do not in a byte store.
//
// Closing the returned store marks it closed (its methods report
// ErrClosed) and does not close raw: the caller opened raw and closes it,
// after the typed store is done with (see the package doc's Ownership).
func Typed[K comparable, V any](raw Store[string, []byte], keys KeyCodec[K], values Codec[V]) Store[K, V] {
	t := &typed[K, V]{raw: raw, keys: keys, values: values}
	c := capabilitiesOf(raw)
	var ok bool
	if t.prefixes, ok = any(keys).(PrefixKeyCodec); !ok {
		c.scan, c.keyScan = false, false
	}
	if d, ok := values.(DeterministicCodec[V]); !ok || !d.Deterministic() {
		c.conditional = false
	}
	if c.conditional {
		t.cond = raw.(ConditionalWriter[string, []byte])
	}
	return offer[K, V](t, c)
}

// typed is the core of a store made by Typed.
type typed[K comparable, V any] struct {
	raw      Store[string, []byte]
	keys     KeyCodec[K]
	values   Codec[V]
	prefixes PrefixKeyCodec                    // keys, when it keeps prefixes; else nil
	cond     ConditionalWriter[string, []byte] // raw, when offered; else nil
	closeFlag
}

// start checks that s is open and encodes key.
func (s *typed[K, V]) start(op string, key K) (string, error) {
	if err := s.check("typed", op); err != nil {
		return "", err
	}
	k, err := s.keys.EncodeKey(key)
	if err != nil {
		return "", fmt.Errorf("kv: typed %s: encode key %v: %w", op, key, err)
	}
	return k, nil
}

// Get returns the decoded value under key. Bytes that do not decode give an
// error wrapping ErrCorrupt.
func (s *typed[K, V]) Get(ctx context.Context, key K) (V, error) {
	var zero V
	k, err := s.start("get", key)
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
func (s *typed[K, V]) Set(ctx context.Context, key K, value V, opts ...SetOption) error {
	k, err := s.start("set", key)
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
func (s *typed[K, V]) Delete(ctx context.Context, key K) error {
	k, err := s.start("delete", key)
	if err != nil {
		return err
	}
	return s.raw.Delete(ctx, k)
}

// Has reports whether key is present. It does not decode the value.
func (s *typed[K, V]) Has(ctx context.Context, key K) (bool, error) {
	k, err := s.start("has", key)
	if err != nil {
		return false, err
	}
	return s.raw.Has(ctx, k)
}

// Len returns the number of entries of the raw store.
func (s *typed[K, V]) Len(ctx context.Context) (int, error) {
	if err := s.check("typed", "len"); err != nil {
		return 0, err
	}
	return s.raw.Len(ctx)
}

// Clear removes every entry of the raw store.
func (s *typed[K, V]) Clear(ctx context.Context) error {
	if err := s.check("typed", "clear"); err != nil {
		return err
	}
	return s.raw.Clear(ctx)
}

// Keys yields the decoded keys. A key that does not decode is yielded as an
// error wrapping ErrCorrupt; the loop may go on past it.
func (s *typed[K, V]) Keys(ctx context.Context) iter.Seq2[K, error] {
	if err := s.check("typed", "keys"); err != nil {
		return ErrorSeq[K](err)
	}
	return s.decodeKeys("keys", s.raw.Keys(ctx))
}

// decodeKeys yields the decoded keys of seq.
func (s *typed[K, V]) decodeKeys(op string, seq iter.Seq2[string, error]) iter.Seq2[K, error] {
	return func(yield func(K, error) bool) {
		var zero K
		for rk, err := range seq {
			if err != nil {
				yield(zero, err)
				return
			}
			k, err := s.keys.DecodeKey(rk)
			if err != nil {
				err = fmt.Errorf("kv: typed %s %q: %w", op, rk, err)
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
func (s *typed[K, V]) All(ctx context.Context) iter.Seq2[Entry[K, V], error] {
	if err := s.check("typed", "all"); err != nil {
		return ErrorSeq[Entry[K, V]](err)
	}
	return s.decodeEntries("all", s.raw.All(ctx))
}

// decodeEntries yields the decoded entries of seq.
func (s *typed[K, V]) decodeEntries(op string, seq iter.Seq2[Entry[string, []byte], error]) iter.Seq2[Entry[K, V], error] {
	return func(yield func(Entry[K, V], error) bool) {
		for re, err := range seq {
			if err != nil {
				yield(Entry[K, V]{}, err)
				return
			}
			e, err := s.decodeEntry(re)
			if err != nil {
				err = fmt.Errorf("kv: typed %s %q: %w", op, re.Key, err)
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

func (s *typed[K, V]) decodeEntry(re Entry[string, []byte]) (Entry[K, V], error) {
	e := Entry[K, V]{ExpiresAt: re.ExpiresAt}
	var err error
	if e.Key, err = s.keys.DecodeKey(re.Key); err != nil {
		return e, err
	}
	e.Value, err = s.values.Decode(re.Value)
	return e, err
}

func (s *typed[K, V]) getMany(ctx context.Context, keys []K) (map[K]V, error) {
	if err := s.check("typed", "get many"); err != nil {
		return nil, err
	}
	raw := make([]string, len(keys))
	back := make(map[string]K, len(keys))
	for i, key := range keys {
		k, err := s.start("get many", key)
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

func (s *typed[K, V]) setMany(ctx context.Context, entries []Entry[K, V]) error {
	if err := s.check("typed", "set many"); err != nil {
		return err
	}
	raw := make([]Entry[string, []byte], len(entries))
	for i, e := range entries {
		k, err := s.start("set many", e.Key)
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

func (s *typed[K, V]) deleteMany(ctx context.Context, keys []K) error {
	if err := s.check("typed", "delete many"); err != nil {
		return err
	}
	raw := make([]string, len(keys))
	for i, key := range keys {
		k, err := s.start("delete many", key)
		if err != nil {
			return err
		}
		raw[i] = k
	}
	return DeleteMany(ctx, s.raw, raw)
}

// scan is offered only when s.prefixes is set, which makes K string.
func (s *typed[K, V]) scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error] {
	if err := s.check("typed", "scan"); err != nil {
		return ErrorSeq[Entry[string, V]](err)
	}
	p, err := s.prefixes.EncodePrefix(prefix)
	if err != nil {
		return ErrorSeq[Entry[string, V]](fmt.Errorf("kv: typed scan: encode prefix %q: %w", prefix, err))
	}
	return func(yield func(Entry[string, V], error) bool) {
		for e, err := range s.decodeEntries("scan", Scan(ctx, s.raw, p)) {
			if !yield(Entry[string, V]{Key: any(e.Key).(string), Value: e.Value, ExpiresAt: e.ExpiresAt}, err) {
				return
			}
		}
	}
}

// scanKeys is offered only when s.prefixes is set, which makes K string.
func (s *typed[K, V]) scanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := s.check("typed", "scan keys"); err != nil {
		return ErrorSeq[string](err)
	}
	p, err := s.prefixes.EncodePrefix(prefix)
	if err != nil {
		return ErrorSeq[string](fmt.Errorf("kv: typed scan keys: encode prefix %q: %w", prefix, err))
	}
	return func(yield func(string, error) bool) {
		for k, err := range s.decodeKeys("scan keys", ScanKeys(ctx, s.raw, p)) {
			if !yield(any(k).(string), err) {
				return
			}
		}
	}
}

// encode encodes key and value for op.
func (s *typed[K, V]) encode(op string, key K, value V) (string, []byte, error) {
	k, err := s.start(op, key)
	if err != nil {
		return "", nil, err
	}
	b, err := s.values.Encode(value)
	if err != nil {
		return "", nil, fmt.Errorf("kv: typed %s %q: %w", op, k, err)
	}
	return k, b, nil
}

// setIfAbsent, compareAndSwap and compareAndDelete are offered only when
// raw is a ConditionalWriter and s.values is deterministic.
func (s *typed[K, V]) setIfAbsent(ctx context.Context, key K, value V, opts ...SetOption) (bool, error) {
	k, b, err := s.encode("set if absent", key, value)
	if err != nil {
		return false, err
	}
	return s.cond.SetIfAbsent(ctx, k, b, opts...)
}

func (s *typed[K, V]) compareAndSwap(ctx context.Context, key K, old, new V, opts ...SetOption) (bool, error) {
	k, ob, err := s.encode("compare and swap", key, old)
	if err != nil {
		return false, err
	}
	_, nb, err := s.encode("compare and swap", key, new)
	if err != nil {
		return false, err
	}
	return s.cond.CompareAndSwap(ctx, k, ob, nb, opts...)
}

func (s *typed[K, V]) compareAndDelete(ctx context.Context, key K, old V) (bool, error) {
	k, b, err := s.encode("compare and delete", key, old)
	if err != nil {
		return false, err
	}
	return s.cond.CompareAndDelete(ctx, k, b)
}
