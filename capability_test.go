package kv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/memory"
)

// byteStore is the type of store the capability tests wrap.
type byteStore = kv.Store[string, []byte]

// batchStore is a byte store with the three batch capabilities.
type batchStore interface {
	byteStore
	kv.BatchGetter[string, []byte]
	kv.BatchSetter[string, []byte]
	kv.BatchDeleter[string]
}

// caps0 hides every optional method of the store it holds.
type caps0 struct{ byteStore }

// batchPart gives a store the memory store's batch methods.
type batchPart struct{ m batchStore }

func (p batchPart) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	return p.m.GetMany(ctx, keys)
}

func (p batchPart) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	return p.m.SetMany(ctx, entries)
}

func (p batchPart) DeleteMany(ctx context.Context, keys []string) error {
	return p.m.DeleteMany(ctx, keys)
}

// scanPart gives a store PrefixScanner over base (a store with no
// capability, so that kv.Scan filters its All).
type scanPart struct{ base byteStore }

func (p scanPart) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	return kv.Scan(ctx, p.base, prefix)
}

// keyScanPart gives a store KeyScanner over base, reading no values.
type keyScanPart struct{ base byteStore }

func (p keyScanPart) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return kv.ScanKeys(ctx, p.base, prefix)
}

// conditionalPart gives a store the memory store's conditional writes.
type conditionalPart struct {
	m kv.ConditionalWriter[string, []byte]
}

func (p conditionalPart) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	return p.m.SetIfAbsent(ctx, key, value, opts...)
}

func (p conditionalPart) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	return p.m.CompareAndSwap(ctx, key, old, new, opts...)
}

func (p conditionalPart) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	return p.m.CompareAndDelete(ctx, key, old)
}

// withCapabilities returns a store over m that has exactly the
// capabilities c declares (Batch, PrefixScan, KeyScan and Conditional),
// one of the sixteen combinations internal/capgen writes into
// capabilities_test.go.
func withCapabilities(m *memory.Store[string, []byte], c conformance.Capabilities) byteStore {
	bits := 0
	for i, has := range [...]bool{c.Batch, c.PrefixScan, c.KeyScan, c.Conditional} {
		if has {
			bits |= 1 << i
		}
	}
	return combine(caps0{m}, m, bits)
}

// everyCapabilitySet is every combination of the optional capabilities,
// with TTL (which the memory store has).
func everyCapabilitySet() []conformance.Capabilities {
	var out []conformance.Capabilities
	for i := range 16 {
		out = append(out, conformance.Capabilities{TTL: true, Batch: i&1 != 0, PrefixScan: i&2 != 0, KeyScan: i&4 != 0, Conditional: i&8 != 0})
	}
	return out
}

func capsName(c conformance.Capabilities) string {
	return fmt.Sprintf("batch=%v,scan=%v,keyscan=%v,conditional=%v", c.Batch, c.PrefixScan, c.KeyScan, c.Conditional)
}

// opaqueKeys is a string key codec that does not say it keeps prefixes.
type opaqueKeys struct{}

func (opaqueKeys) EncodeKey(k string) (string, error) { return k, nil }
func (opaqueKeys) DecodeKey(s string) (string, error) { return s, nil }

// opaqueValues is the bytes codec without the Deterministic method.
type opaqueValues struct{}

func (opaqueValues) Encode(v []byte) ([]byte, error) { return v, nil }
func (opaqueValues) Decode(b []byte) ([]byte, error) { return bytes.Clone(b), nil }

// wrapper is one of package kv's wrappers, with the capabilities it
// declares over a store that has c. A wrapper is made for each open of a
// location, over the store of that location, which outlives it.
type wrapper struct {
	name string
	wrap func(byteStore) byteStore
	caps func(c conformance.Capabilities) conformance.Capabilities
}

// notFound is a load function for which every key is absent.
func notFound(context.Context, string) ([]byte, time.Duration, error) {
	return nil, 0, kv.ErrNotFound
}

func wrappers(t testing.TB) []wrapper {
	ring, err := kv.NewKeyring(1, map[uint32][]byte{1: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	// The store under the wrappers outlives them, so a location persists
	// and two wrappers on it share it.
	same := func(c conformance.Capabilities) conformance.Capabilities {
		c.Persistent, c.SharedHandles = true, true
		return c
	}
	near := func() *memory.Store[string, []byte] {
		// No janitor, so nothing to stop: the near store is dropped with
		// the Tiered. A small bound, so that the suite sees evictions.
		return memory.New[string, []byte](memory.WithSweepInterval(0), memory.WithMaxEntries(16))
	}
	return []wrapper{
		{"typed", func(s byteStore) byteStore { return kv.Typed(s, kv.StringKeys(), kv.Bytes()) }, same},
		{"typed-opaque-keys", func(s byteStore) byteStore { return kv.Typed(s, opaqueKeys{}, kv.Bytes()) },
			func(c conformance.Capabilities) conformance.Capabilities {
				// No prefix scan through a codec that may not keep prefixes.
				c.PrefixScan, c.KeyScan = false, false
				return same(c)
			}},
		{"typed-opaque-values", func(s byteStore) byteStore { return kv.Typed(s, kv.StringKeys(), opaqueValues{}) },
			func(c conformance.Capabilities) conformance.Capabilities {
				// No conditional writes through a codec that does not
				// say it is deterministic.
				c.Conditional = false
				return same(c)
			}},
		{"typed-encrypted-values", func(s byteStore) byteStore { return kv.Typed(s, kv.StringKeys(), kv.EncryptCodec(kv.Bytes(), ring)) },
			func(c conformance.Capabilities) conformance.Capabilities {
				// EncryptCodec says it is not deterministic.
				c.Conditional = false
				return same(c)
			}},
		{"encrypted", func(s byteStore) byteStore { return kv.EncryptStore(s, ring) },
			func(c conformance.Capabilities) conformance.Capabilities {
				// Ciphertexts differ per write: no conditional writes.
				c.Conditional = false
				return same(c)
			}},
		{"prefixed", func(s byteStore) byteStore { return kv.Prefixed(s, "ns:") }, same},
		{"prefixed-empty", func(s byteStore) byteStore { return kv.Prefixed(s, "") }, same},
		{"tiered", func(s byteStore) byteStore { return kv.Tiered[string, []byte](near(), s) },
			func(c conformance.Capabilities) conformance.Capabilities {
				// Each Tiered has a near store of its own: another handle's
				// writes are seen only when the near copy expires.
				c = same(c)
				c.SharedHandles = false
				return c
			}},
		{"loader", func(s byteStore) byteStore { return kv.Loader(s, notFound) }, same},
		{"loader-negative", func(s byteStore) byteStore { return kv.Loader(s, notFound, kv.WithNegativeTTL(time.Hour)) },
			func(c conformance.Capabilities) conformance.Capabilities {
				// A remembered miss hides another handle's write.
				c = same(c)
				c.SharedHandles = false
				return c
			}},
	}
}

// TestWrappersOfferExactlyTheWrappedCapabilities checks every wrapper over
// a store with every combination of capabilities: Capabilities.Check
// passes for what the wrapper should offer, and fails when any one
// capability is flipped (declared but absent, or present but undeclared).
func TestWrappersOfferExactlyTheWrappedCapabilities(t *testing.T) {
	for _, w := range wrappers(t) {
		for _, c := range everyCapabilitySet() {
			t.Run(w.name+"/"+capsName(c), func(t *testing.T) {
				m := memory.New[string, []byte](memory.WithSweepInterval(0))
				defer m.Close()
				raw := withCapabilities(m, c)
				if err := c.Check(raw); err != nil {
					t.Fatalf("the test store itself: %v", err)
				}
				s := w.wrap(raw)
				want := w.caps(c)
				if err := want.Check(s); err != nil {
					t.Errorf("%T: %v", s, err)
				}
				for _, flip := range []func(*conformance.Capabilities){
					func(c *conformance.Capabilities) { c.Batch = !c.Batch },
					func(c *conformance.Capabilities) { c.PrefixScan = !c.PrefixScan },
					func(c *conformance.Capabilities) { c.KeyScan = !c.KeyScan },
					func(c *conformance.Capabilities) { c.Conditional = !c.Conditional },
				} {
					wrong := want
					flip(&wrong)
					if err := wrong.Check(s); err == nil {
						t.Errorf("%T passes Check with %s, which it does not have", s, capsName(wrong))
					}
				}
			})
		}
	}
}

// TestWrappersConformance runs the whole suite on every wrapper over a
// store with none, all and only the batch and conditional capabilities
// (the memory store's), declaring what the wrapper offers, so each forwarded
// capability is shown to work and each fallback too. (Which combination
// a wrapper offers is TestWrappersOfferExactlyTheWrappedCapabilities's.) The
// store under the wrapper is made once per location and outlives the
// wrappers opened on it: closing a wrapper does not close it, so the
// location persists and is shared between handles.
func TestWrappersConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 30 runs of the suite")
	}
	sets := []conformance.Capabilities{
		{TTL: true},
		{TTL: true, Batch: true, Conditional: true}, // the memory store's
		{TTL: true, Batch: true, PrefixScan: true, KeyScan: true, Conditional: true},
	}
	for _, w := range wrappers(t) {
		for _, c := range sets {
			t.Run(w.name+"/"+capsName(c), func(t *testing.T) {
				t.Parallel()
				declared := w.caps(c)
				conformance.Run(t, conformance.Config{
					NewStore: func(t testing.TB) conformance.Opener {
						m := memory.New[string, []byte](memory.WithSweepInterval(0))
						t.Cleanup(func() { m.Close() })
						raw := withCapabilities(m, c)
						return func() (byteStore, error) { return w.wrap(raw), nil }
					},
					Capabilities: declared,
				})
			})
		}
	}
}

// readCounter counts the reads of values that reach a store.
type readCounter struct {
	batchStore
	reads atomic.Int64
}

func (r *readCounter) Get(ctx context.Context, k string) ([]byte, error) {
	r.reads.Add(1)
	return r.batchStore.Get(ctx, k)
}

func (r *readCounter) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	r.reads.Add(1)
	return r.batchStore.All(ctx)
}

func (r *readCounter) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	r.reads.Add(1)
	return r.batchStore.GetMany(ctx, keys)
}

func (r *readCounter) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	r.reads.Add(1)
	return kv.Scan(ctx, caps0{r.batchStore}, prefix)
}

func (r *readCounter) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return kv.ScanKeys(ctx, caps0{r.batchStore}, prefix)
}

// TestPrefixedListsWithoutReadingValues checks that Keys, Len and Clear of
// a namespace over a store with KeyScanner read no value, and that they
// see only the namespace.
func TestPrefixedListsWithoutReadingValues(t *testing.T) {
	ctx := context.Background()
	m := memory.New[string, []byte](memory.WithSweepInterval(0))
	defer m.Close()
	raw := &readCounter{batchStore: m}
	for _, k := range []string{"ns:a", "ns:b", "ns:c", "other:a", "n", "ns"} {
		if err := raw.Set(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	ns := kv.Prefixed[[]byte](raw, "ns:")
	n, err := ns.Len(ctx)
	if err != nil || n != 3 {
		t.Errorf("Len = %d, %v; want 3", n, err)
	}
	keys, err := kv.Collect(ns.Keys(ctx))
	if err != nil || len(keys) != 3 {
		t.Errorf("Keys = %q, %v; want a, b, c", keys, err)
	}
	if err := ns.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if got := raw.reads.Load(); got != 0 {
		t.Errorf("Len, Keys and Clear read values %d times, want 0", got)
	}
	left, err := kv.Collect(m.Keys(ctx))
	if err != nil || len(left) != 3 {
		t.Errorf("after Clear the store holds %q, %v; want other:a, n, ns", left, err)
	}
}

// Closing a wrapper closes it, not the store under it: close only what
// you opened. (Before, Typed and EncryptStore closed the store they were
// given.)
func TestWrappersCloseOnlyThemselves(t *testing.T) {
	ctx := context.Background()
	for _, w := range wrappers(t) {
		t.Run(w.name, func(t *testing.T) {
			raw := memory.New[string, []byte]()
			defer raw.Close()
			s := w.wrap(raw)
			if err := s.Set(ctx, "k", []byte("v")); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
				t.Errorf("Get after Close: %v, want ErrClosed", err)
			}
			if err := raw.Set(ctx, "still", []byte("open")); err != nil {
				t.Errorf("the store under the wrapper after its Close: %v, want it open", err)
			}
			if n, err := raw.Len(ctx); err != nil || n != 2 {
				t.Errorf("the store under the wrapper holds %d entries, %v; want 2", n, err)
			}
		})
	}
}
