package otelkv

import (
	"context"
	"iter"

	"github.com/kvkit/kv"
)

// The optional capabilities, one small type each over the same *store.
// Wrap picks the combination that the wrapped store has, so a type
// assertion on the wrapper finds exactly what it would find on the store.

type getMany[K comparable, V any] struct{ s *store[K, V] }

type setMany[K comparable, V any] struct{ s *store[K, V] }

type deleteMany[K comparable, V any] struct{ s *store[K, V] }

type scan[K comparable, V any] struct{ s *store[K, V] }

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
		if s.size != nil {
			n := 0
			for _, v := range found {
				n += s.size(v)
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
	if err == nil && s.size != nil {
		n := 0
		for _, e := range entries {
			n += s.size(e.Value)
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
		passEntries(ctx, &c, s.size, s.scanner.Scan(ctx, prefix), yield)
	}
}

// The combinations: G is kv.BatchGetter, S kv.BatchSetter, D
// kv.BatchDeleter and P kv.PrefixScanner.
type (
	withG[K comparable, V any] struct {
		*store[K, V]
		getMany[K, V]
	}
	withS[K comparable, V any] struct {
		*store[K, V]
		setMany[K, V]
	}
	withGS[K comparable, V any] struct {
		*store[K, V]
		getMany[K, V]
		setMany[K, V]
	}
	withD[K comparable, V any] struct {
		*store[K, V]
		deleteMany[K, V]
	}
	withGD[K comparable, V any] struct {
		*store[K, V]
		getMany[K, V]
		deleteMany[K, V]
	}
	withSD[K comparable, V any] struct {
		*store[K, V]
		setMany[K, V]
		deleteMany[K, V]
	}
	withGSD[K comparable, V any] struct {
		*store[K, V]
		getMany[K, V]
		setMany[K, V]
		deleteMany[K, V]
	}
	withP[K comparable, V any] struct {
		*store[K, V]
		scan[K, V]
	}
	withGP[K comparable, V any] struct {
		*store[K, V]
		getMany[K, V]
		scan[K, V]
	}
	withSP[K comparable, V any] struct {
		*store[K, V]
		setMany[K, V]
		scan[K, V]
	}
	withGSP[K comparable, V any] struct {
		*store[K, V]
		getMany[K, V]
		setMany[K, V]
		scan[K, V]
	}
	withDP[K comparable, V any] struct {
		*store[K, V]
		deleteMany[K, V]
		scan[K, V]
	}
	withGDP[K comparable, V any] struct {
		*store[K, V]
		getMany[K, V]
		deleteMany[K, V]
		scan[K, V]
	}
	withSDP[K comparable, V any] struct {
		*store[K, V]
		setMany[K, V]
		deleteMany[K, V]
		scan[K, V]
	}
	withGSDP[K comparable, V any] struct {
		*store[K, V]
		getMany[K, V]
		setMany[K, V]
		deleteMany[K, V]
		scan[K, V]
	}
)

// capabilityBits returns which capabilities s's wrapped store has: bit 0
// G, bit 1 S, bit 2 D, bit 3 P.
func (s *store[K, V]) capabilityBits() int {
	bits := 0
	for i, has := range []bool{s.getter != nil, s.setter != nil, s.deleter != nil, s.scanner != nil} {
		if has {
			bits |= 1 << i
		}
	}
	return bits
}

// withCapabilities returns s as the type that has the capabilities of its
// wrapped store and no others.
func withCapabilities[K comparable, V any](s *store[K, V]) kv.Store[K, V] {
	g, m, d, p := getMany[K, V]{s}, setMany[K, V]{s}, deleteMany[K, V]{s}, scan[K, V]{s}
	switch s.capabilityBits() {
	case 0b0000:
		return s
	case 0b0001:
		return withG[K, V]{s, g}
	case 0b0010:
		return withS[K, V]{s, m}
	case 0b0011:
		return withGS[K, V]{s, g, m}
	case 0b0100:
		return withD[K, V]{s, d}
	case 0b0101:
		return withGD[K, V]{s, g, d}
	case 0b0110:
		return withSD[K, V]{s, m, d}
	case 0b0111:
		return withGSD[K, V]{s, g, m, d}
	}
	return withScan(s, g, m, d, p)
}

// withScan is withCapabilities for a store that has kv.PrefixScanner.
func withScan[K comparable, V any](s *store[K, V], g getMany[K, V], m setMany[K, V], d deleteMany[K, V], p scan[K, V]) kv.Store[K, V] {
	switch s.capabilityBits() {
	case 0b1001:
		return withGP[K, V]{s, g, p}
	case 0b1010:
		return withSP[K, V]{s, m, p}
	case 0b1011:
		return withGSP[K, V]{s, g, m, p}
	case 0b1100:
		return withDP[K, V]{s, d, p}
	case 0b1101:
		return withGDP[K, V]{s, g, d, p}
	case 0b1110:
		return withSDP[K, V]{s, m, d, p}
	case 0b1111:
		return withGSDP[K, V]{s, g, m, d, p}
	}
	return withP[K, V]{s, p}
}
