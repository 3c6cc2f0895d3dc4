package kv

import (
	"context"
	"iter"
)

// How the wrappers of this package (Typed, EncryptStore, Prefixed, Tiered,
// Loader) offer exactly the capabilities of the store they wrap.
//
// A Go type cannot drop methods at run time, so a wrapper that always had
// GetMany would claim a batch capability its store lacks, and one that
// never had Scan would turn every kv.Scan into a full scan. Each wrapper is
// therefore built once, at construction, as one of sixteen small types:
// the core (every Store method, plus unexported versions of the optional
// ones it can forward) and the exported methods of the capabilities the
// wrapped store has. The choice is made once; a store's capabilities do
// not change after it is made.
//
// Four capabilities make sixteen combinations, and each new one doubles
// them, so they are not written by hand: internal/capgen writes them into
// combinations.go, with offer, which picks one by the bits of the set
// (the same generator writes otelkv's). What is written by hand is one
// core interface and one small exporting type per capability, below.
// A wrapper that cannot keep a capability meaningful (EncryptStore and
// conditional writes) clears it from the set before calling offer, and
// its core need not implement that capability's interface.

//go:generate go run ./internal/capgen

// The core interfaces, one per capability: the unexported versions of its
// methods, which a wrapper's core (a Store) implements for each capability
// it can forward and offer exports only when the wrapped store has it.
type (
	batchCore[K comparable, V any] interface {
		getMany(ctx context.Context, keys []K) (map[K]V, error)
		setMany(ctx context.Context, entries []Entry[K, V]) error
		deleteMany(ctx context.Context, keys []K) error
	}
	scanCore[V any] interface {
		scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error]
	}
	keyScanCore interface {
		scanKeys(ctx context.Context, prefix string) iter.Seq2[string, error]
	}
	condCore[K comparable, V any] interface {
		setIfAbsent(ctx context.Context, key K, value V, opts ...SetOption) (bool, error)
		compareAndSwap(ctx context.Context, key K, old, new V, opts ...SetOption) (bool, error)
		compareAndDelete(ctx context.Context, key K, old V) (bool, error)
	}
)

// capabilities is a set of the optional interfaces of package kv.
type capabilities struct {
	// batch is BatchGetter, BatchSetter and BatchDeleter together, as
	// conformance.Capabilities.Batch defines it: a store with only some of
	// the three is taken to have none.
	batch bool
	// scan is PrefixScanner.
	scan bool
	// keyScan is KeyScanner.
	keyScan bool
	// conditional is ConditionalWriter.
	conditional bool
}

// bits returns c as the index of offer's combinations: bit i for the i-th
// capability of internal/capgen's list (batch, scan, keyScan,
// conditional).
func (c capabilities) bits() int {
	bits := 0
	for i, has := range [...]bool{c.batch, c.scan, c.keyScan, c.conditional} {
		if has {
			bits |= 1 << i
		}
	}
	return bits
}

// capabilitiesOf returns the capabilities a store has.
func capabilitiesOf[K comparable, V any](s Store[K, V]) capabilities {
	_, g := s.(BatchGetter[K, V])
	_, st := s.(BatchSetter[K, V])
	_, d := s.(BatchDeleter[K])
	_, sc := s.(PrefixScanner[V])
	_, ks := s.(KeyScanner)
	_, cw := s.(ConditionalWriter[K, V])
	if _, stringKeys := any(s).(Store[string, V]); !stringKeys {
		sc, ks = false, false // prefix scans are of string keys
	}
	return capabilities{batch: g && st && d, scan: sc, keyScan: ks, conditional: cw}
}

// The exported methods of each capability, calling the core's.

type batchOf[K comparable, V any] struct{ w batchCore[K, V] }

func (b batchOf[K, V]) GetMany(ctx context.Context, keys []K) (map[K]V, error) {
	return b.w.getMany(ctx, keys)
}

func (b batchOf[K, V]) SetMany(ctx context.Context, entries []Entry[K, V]) error {
	return b.w.setMany(ctx, entries)
}

func (b batchOf[K, V]) DeleteMany(ctx context.Context, keys []K) error {
	return b.w.deleteMany(ctx, keys)
}

type scanOf[K comparable, V any] struct{ w scanCore[V] }

func (s scanOf[K, V]) Scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error] {
	return s.w.scan(ctx, prefix)
}

type keyScanOf[K comparable, V any] struct{ w keyScanCore }

func (s keyScanOf[K, V]) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return s.w.scanKeys(ctx, prefix)
}

type conditionalOf[K comparable, V any] struct{ w condCore[K, V] }

func (c conditionalOf[K, V]) SetIfAbsent(ctx context.Context, key K, value V, opts ...SetOption) (bool, error) {
	return c.w.setIfAbsent(ctx, key, value, opts...)
}

func (c conditionalOf[K, V]) CompareAndSwap(ctx context.Context, key K, old, new V, opts ...SetOption) (bool, error) {
	return c.w.compareAndSwap(ctx, key, old, new, opts...)
}

func (c conditionalOf[K, V]) CompareAndDelete(ctx context.Context, key K, old V) (bool, error) {
	return c.w.compareAndDelete(ctx, key, old)
}
