package kv

import (
	"context"
	"iter"
)

// How the wrappers of this package (Typed, EncryptStore, Prefixed) offer
// exactly the capabilities of the store they wrap.
//
// A Go type cannot drop methods at run time, so a wrapper that always had
// GetMany would claim a batch capability its store lacks, and one that
// never had Scan would turn every kv.Scan into a full scan. Each wrapper is
// therefore built once, at construction, as one of eight small types: the
// core (every Store method, plus unexported versions of the optional
// ones) and the exported optional methods of the capabilities the wrapped
// store has. The choice is made once; a store's capabilities do not change
// after it is made.

// wrapper is the core of a wrapping store: the Store methods and the
// optional operations, which the capability types below export only when
// the wrapped store has them.
type wrapper[K comparable, V any] interface {
	Store[K, V]
	getMany(ctx context.Context, keys []K) (map[K]V, error)
	setMany(ctx context.Context, entries []Entry[K, V]) error
	deleteMany(ctx context.Context, keys []K) error
	scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error]
	scanKeys(ctx context.Context, prefix string) iter.Seq2[string, error]
}

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
}

// capabilitiesOf returns the capabilities a store has.
func capabilitiesOf[K comparable, V any](s Store[K, V]) capabilities {
	_, g := s.(BatchGetter[K, V])
	_, st := s.(BatchSetter[K, V])
	_, d := s.(BatchDeleter[K])
	_, sc := s.(PrefixScanner[V])
	_, ks := s.(KeyScanner)
	if _, stringKeys := any(s).(Store[string, V]); !stringKeys {
		sc, ks = false, false // prefix scans are of string keys
	}
	return capabilities{batch: g && st && d, scan: sc, keyScan: ks}
}

// offer returns w with the exported methods of exactly the capabilities c.
func offer[K comparable, V any](w wrapper[K, V], c capabilities) Store[K, V] {
	b, s, k := batchOf[K, V]{w}, scanOf[K, V]{w}, keyScanOf[K, V]{w}
	switch c {
	case capabilities{}:
		return bare[K, V]{w}
	case capabilities{batch: true}:
		return withB[K, V]{w, b}
	case capabilities{scan: true}:
		return withS[K, V]{w, s}
	case capabilities{keyScan: true}:
		return withK[K, V]{w, k}
	case capabilities{batch: true, scan: true}:
		return withBS[K, V]{w, b, s}
	case capabilities{batch: true, keyScan: true}:
		return withBK[K, V]{w, b, k}
	case capabilities{scan: true, keyScan: true}:
		return withSK[K, V]{w, s, k}
	default:
		return withBSK[K, V]{w, b, s, k}
	}
}

// The exported methods of each capability, calling the core's.

type batchOf[K comparable, V any] struct{ w wrapper[K, V] }

func (b batchOf[K, V]) GetMany(ctx context.Context, keys []K) (map[K]V, error) {
	return b.w.getMany(ctx, keys)
}

func (b batchOf[K, V]) SetMany(ctx context.Context, entries []Entry[K, V]) error {
	return b.w.setMany(ctx, entries)
}

func (b batchOf[K, V]) DeleteMany(ctx context.Context, keys []K) error {
	return b.w.deleteMany(ctx, keys)
}

type scanOf[K comparable, V any] struct{ w wrapper[K, V] }

func (s scanOf[K, V]) Scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, V], error] {
	return s.w.scan(ctx, prefix)
}

type keyScanOf[K comparable, V any] struct{ w wrapper[K, V] }

func (s keyScanOf[K, V]) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return s.w.scanKeys(ctx, prefix)
}

// The eight combinations.

type bare[K comparable, V any] struct{ wrapper[K, V] }

type withB[K comparable, V any] struct {
	wrapper[K, V]
	batchOf[K, V]
}

type withS[K comparable, V any] struct {
	wrapper[K, V]
	scanOf[K, V]
}

type withK[K comparable, V any] struct {
	wrapper[K, V]
	keyScanOf[K, V]
}

type withBS[K comparable, V any] struct {
	wrapper[K, V]
	batchOf[K, V]
	scanOf[K, V]
}

type withBK[K comparable, V any] struct {
	wrapper[K, V]
	batchOf[K, V]
	keyScanOf[K, V]
}

type withSK[K comparable, V any] struct {
	wrapper[K, V]
	scanOf[K, V]
	keyScanOf[K, V]
}

type withBSK[K comparable, V any] struct {
	wrapper[K, V]
	batchOf[K, V]
	scanOf[K, V]
	keyScanOf[K, V]
}
