package otelkv_test

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/otelkv"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/sqlite"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// byteStore is the type of store the conformance suite tests.
type byteStore = kv.Store[string, []byte]

// wrapped returns an opener of otelkv stores over the stores open opens.
// The wrapper does not close what it wraps, so each wrapped store is
// closed when the test ends, after the suite has closed the wrapper.
func wrapped(t testing.TB, open func() (byteStore, error), hide func(byteStore) byteStore, opts ...otelkv.Option) conformance.Opener {
	return func() (byteStore, error) {
		inner, err := open()
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { inner.Close() })
		if hide != nil {
			inner = hide(inner)
		}
		return otelkv.Wrap(inner, opts...), nil
	}
}

// TestConformance runs the suite on the wrapper over stores with and
// without each capability. The suite's Capabilities subtest checks both
// ways that the wrapper offers what it declares and nothing else.
func TestConformance(t *testing.T) {
	newMemory := func() (byteStore, error) { return memory.New[string, []byte](), nil }
	cases := []struct {
		name string
		open func(t testing.TB) func() (byteStore, error)
		hide func(byteStore) byteStore
		caps conformance.Capabilities
		opts []otelkv.Option
	}{
		{"memory", func(testing.TB) func() (byteStore, error) { return newMemory }, nil,
			conformance.Capabilities{TTL: true, Batch: true, Conditional: true}, nil},
		{"memory-plain", func(testing.TB) func() (byteStore, error) { return newMemory }, plain,
			conformance.Capabilities{TTL: true}, nil},
		// With no-op providers the store takes its short path, which must
		// keep the contract too.
		{"memory-noop", func(testing.TB) func() (byteStore, error) { return newMemory }, nil,
			conformance.Capabilities{TTL: true, Batch: true, Conditional: true}, noop},
		{"sqlite", newSQLite, nil,
			conformance.Capabilities{TTL: true, Persistent: true, SharedHandles: true, Batch: true, PrefixScan: true, KeyScan: true, Conditional: true}, nil},
		{"memory-conditional", func(testing.TB) func() (byteStore, error) { return newMemory }, conditionalOnly,
			conformance.Capabilities{TTL: true, Conditional: true}, nil},
		{"sqlite-scan-only", newSQLite, scanOnly,
			conformance.Capabilities{TTL: true, Persistent: true, SharedHandles: true, PrefixScan: true}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conformance.Run(t, conformance.Config{
				NewStore:     func(t testing.TB) conformance.Opener { return wrapped(t, tc.open(t), tc.hide, tc.opts...) },
				Capabilities: tc.caps,
			})
		})
	}
}

// noop are the options of the API's no-op providers.
var noop = []otelkv.Option{
	otelkv.WithMeterProvider(metricnoop.NewMeterProvider()),
	otelkv.WithTracerProvider(tracenoop.NewTracerProvider()),
}

// newSQLite prepares a database file of its own.
func newSQLite(t testing.TB) func() (byteStore, error) {
	path := filepath.Join(t.TempDir(), "kv.db")
	return func() (byteStore, error) { return sqlite.Open(path) }
}

// Stores that hide some of the capabilities of the store they embed: a
// plain kv.Store has only the interface's methods.
type (
	plainStore struct{ byteStore }
	getterOnly struct {
		byteStore
		kv.BatchGetter[string, []byte]
	}
	setterOnly struct {
		byteStore
		kv.BatchSetter[string, []byte]
	}
	deleterOnly struct {
		byteStore
		kv.BatchDeleter[string]
	}
	scannerOnly struct {
		byteStore
		kv.PrefixScanner[[]byte]
	}
	getterScanner struct {
		byteStore
		kv.BatchGetter[string, []byte]
		kv.PrefixScanner[[]byte]
	}
)

func plain(s byteStore) byteStore    { return plainStore{s} }
func scanOnly(s byteStore) byteStore { return scannerOnly{s, s.(kv.PrefixScanner[[]byte])} }

// capabilities lists which optional interfaces s implements.
func capabilities(s any) map[string]bool {
	_, g := s.(kv.BatchGetter[string, []byte])
	_, st := s.(kv.BatchSetter[string, []byte])
	_, d := s.(kv.BatchDeleter[string])
	_, p := s.(kv.PrefixScanner[[]byte])
	_, k := s.(kv.KeyScanner)
	_, c := s.(kv.ConditionalWriter[string, []byte])
	return map[string]bool{"BatchGetter": g, "BatchSetter": st, "BatchDeleter": d, "PrefixScanner": p,
		"KeyScanner": k, "ConditionalWriter": c}
}

// TestCapabilitiesForwarded checks that the wrapper has exactly the
// optional interfaces of the store it wraps, for each one alone, none, some
// and all, and that each forwarded one reaches the wrapped store's own
// method rather than the fallback over the plain methods.
func TestCapabilitiesForwarded(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mem := memory.New[string, []byte]()
	t.Cleanup(func() { mem.Close() })
	inners := map[string]byteStore{
		"none":          plainStore{db},
		"getter":        getterOnly{db, db},
		"setter":        setterOnly{db, db},
		"deleter":       deleterOnly{db, db},
		"scanner":       scannerOnly{db, db},
		"getterScanner": getterScanner{db, db, db},
		"keyScanner":    keyScannerOnly{db, db},
		"conditional":   conditionalOnly(db),
		"scanKeysCond":  scanKeysConditional{conditionalOnly(db).(*atomicStore), db},
		"memory":        mem,
		"sqlite":        db,
	}
	for name, inner := range inners {
		t.Run(name, func(t *testing.T) {
			w := otelkv.Wrap(inner)
			defer w.Close()
			if diff := cmp.Diff(capabilities(inner), capabilities(w)); diff != "" {
				t.Errorf("capabilities of the wrapper differ from the wrapped store's (-inner +wrapper):\n%s", diff)
			}
		})
	}
}

// TestCapabilitiesCheck runs conformance's Capabilities.Check on the
// wrapper both ways: the capabilities of the wrapped store pass, and
// declaring one more, or one fewer, fails.
func TestCapabilitiesCheck(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mem := memory.New[string, []byte]()
	t.Cleanup(func() { mem.Close() })
	cases := []struct {
		name  string
		inner byteStore
		caps  conformance.Capabilities
	}{
		{"none", plainStore{db}, conformance.Capabilities{}},
		{"batch", mem, conformance.Capabilities{Batch: true, Conditional: true}},
		{"scan", scannerOnly{db, db}, conformance.Capabilities{PrefixScan: true}},
		{"keyscan", keyScannerOnly{db, db}, conformance.Capabilities{KeyScan: true}},
		{"conditional", conditionalOnly(db), conformance.Capabilities{Conditional: true}},
		{"all", db, conformance.Capabilities{Batch: true, PrefixScan: true, KeyScan: true, Conditional: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := otelkv.Wrap(tc.inner)
			defer w.Close()
			if err := tc.caps.Check(w); err != nil {
				t.Errorf("Check with the wrapped store's capabilities: %v", err)
			}
			more, fewer := tc.caps, tc.caps
			more.Batch = !tc.caps.Batch
			if more.Check(w) == nil {
				t.Errorf("Check passes with Batch %v, which the wrapped store does not have", more.Batch)
			}
			fewer.PrefixScan = !tc.caps.PrefixScan
			if fewer.Check(w) == nil {
				t.Errorf("Check passes with PrefixScan %v, which the wrapped store does not have", fewer.PrefixScan)
			}
			keys := tc.caps
			keys.KeyScan = !tc.caps.KeyScan
			if keys.Check(w) == nil {
				t.Errorf("Check passes with KeyScan %v, which the wrapped store does not have", keys.KeyScan)
			}
			cond := tc.caps
			cond.Conditional = !tc.caps.Conditional
			if cond.Check(w) == nil {
				t.Errorf("Check passes with Conditional %v, which the wrapped store does not have", cond.Conditional)
			}
		})
	}
}

// drain runs seq to its end and returns what it yielded.
func drain[T any](t *testing.T, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// keyScannerOnly is a store with kv.KeyScanner and no other capability.
type keyScannerOnly struct {
	byteStore
	kv.KeyScanner
}

// scanKeysConditional has kv.KeyScanner and kv.ConditionalWriter.
type scanKeysConditional struct {
	*atomicStore
	kv.KeyScanner
}

// atomicStore gives a store kv.ConditionalWriter, and no other optional
// capability: every write holds mu, so each conditional write is atomic
// with respect to the store's other writes through it.
type atomicStore struct {
	byteStore
	mu sync.Mutex
}

func conditionalOnly(s byteStore) byteStore { return &atomicStore{byteStore: s} }

func (s *atomicStore) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byteStore.Set(ctx, key, value, opts...)
}

func (s *atomicStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byteStore.Delete(ctx, key)
}

func (s *atomicStore) Clear(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byteStore.Clear(ctx)
}

// current returns key's value and whether it is present.
func (s *atomicStore) current(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := s.byteStore.Get(ctx, key)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (s *atomicStore) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok, err := s.current(ctx, key); err != nil || ok {
		return false, err
	}
	return written(s.byteStore.Set(ctx, key, value, opts...))
}

func (s *atomicStore) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok, err := s.current(ctx, key); err != nil || !ok || !bytes.Equal(v, old) {
		return false, err
	}
	return written(s.byteStore.Set(ctx, key, new, opts...))
}

func (s *atomicStore) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok, err := s.current(ctx, key); err != nil || !ok || !bytes.Equal(v, old) {
		return false, err
	}
	return written(s.byteStore.Delete(ctx, key))
}

// written is the result of a conditional write whose condition held.
func written(err error) (bool, error) { return err == nil, err }
