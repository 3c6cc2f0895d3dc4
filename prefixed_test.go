package kv_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
	"github.com/redis/rueidis"
)

// neighbours are entries written next to every namespace under test, with
// keys that start like its prefix without being in it: Len, Keys, All and
// Clear of the namespace must neither see nor touch them.
var neighbours = map[string][]byte{"n": []byte("1"), "ns": []byte("2"), "ns;x": []byte("3"), "other:ns:a": []byte("4")}

// prefixedConfig runs the suite on namespaces "ns:" over the store that
// open returns (one per location, shared by every namespace opened there
// and closed when the subtest ends), with neighbours around each, and
// checks when the subtest ends that the neighbours are untouched.
func prefixedConfig(open func(t testing.TB) byteStore, caps conformance.Capabilities) conformance.Config {
	return conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			raw := open(t)
			ctx := context.Background()
			for k, v := range neighbours {
				if err := raw.Set(ctx, k, v); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				for k, v := range neighbours {
					got, err := raw.Get(ctx, k)
					if err != nil || !bytes.Equal(got, v) {
						t.Errorf("the namespace's neighbour %q is %q, %v; want %q", k, got, err, v)
					}
				}
			})
			return func() (byteStore, error) { return kv.Prefixed(raw, "ns:"), nil }
		},
		Capabilities: caps,
	}
}

// backend is a real store the wrappers are run over, one per location,
// closed (and cleared) when the subtest ends, with its capabilities.
type backend struct {
	name string
	open func(t testing.TB) byteStore
	caps conformance.Capabilities
}

func backends(t *testing.T) []backend {
	var client rueidis.Client
	redisOpen := func(t testing.TB) byteStore {
		if client == nil {
			c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{testenv.Server(t, "KV_TEST_REDIS_ADDR")}})
			if err != nil {
				t.Fatal(err)
			}
			client = c
		}
		s, err := redis.New(client, uniqueName(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// Runs after the neighbour check (cleanups run last first).
			if err := s.Clear(ctx); err != nil {
				t.Errorf("cleaning up: %v", err)
			}
			s.Close()
		})
		return s
	}
	t.Cleanup(func() {
		if client != nil {
			client.Close()
		}
	})
	// The store under a wrapper outlives it: persistent, shared handles.
	scanning := conformance.Capabilities{TTL: true, Persistent: true, SharedHandles: true, Batch: true, PrefixScan: true}
	// Each of these lists the keys of a range without reading values.
	scanning.KeyScan = true
	// SQLite, Badger and Redis have conditional writes.
	scanning.Conditional = true
	badgerCaps := scanning
	sqliteCaps := scanning
	redisCaps := sqliteCaps
	badgerCaps.MaxKeySize = 65000 - len(badger.DefaultPrefix) - 1 - len("ns:")
	return []backend{
		{"memory", func(t testing.TB) byteStore {
			m := memory.New[string, []byte]()
			t.Cleanup(func() { m.Close() })
			return m
		}, conformance.Capabilities{TTL: true, Persistent: true, SharedHandles: true, Batch: true, Conditional: true}},
		{"sqlite", func(t testing.TB) byteStore {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "kv.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}, sqliteCaps},
		{"badger", func(t testing.TB) byteStore {
			s, err := badger.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}, badgerCaps},
		{"redis", redisOpen, redisCaps},
	}
}

// Prefixed passes the suite over the memory store, SQLite, Badger and
// Redis, with the capabilities of each (and persistence and shared
// handles, since the store under the namespaces outlives them), with
// neighbours around each namespace.
func TestPrefixedConformance(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			conformance.Run(t, prefixedConfig(b.open, b.caps))
		})
	}
}

// Typed (string keys, bytes) and EncryptStore pass the suite over SQLite,
// Badger and Redis with exactly the capabilities of each (EncryptStore
// without conditional writes): Run's Capabilities subtest checks both
// ways, and its Batch, Scan and Conditional subtests that the forwarded
// capabilities work. (The memory store, and every
// combination of capabilities, are TestWrappersConformance's.)
func TestTypedAndEncryptedConformanceOverBackends(t *testing.T) {
	ring, err := kv.NewKeyring(1, map[uint32][]byte{1: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	wraps := map[string]func(byteStore) byteStore{
		"typed":     func(s byteStore) byteStore { return kv.Typed(s, kv.StringKeys(), kv.Bytes()) },
		"encrypted": func(s byteStore) byteStore { return kv.EncryptStore(s, ring) },
	}
	for _, b := range backends(t)[1:] {
		for name, wrap := range wraps {
			t.Run(name+"/"+b.name, func(t *testing.T) {
				caps := b.caps
				if name == "encrypted" {
					caps.Conditional = false // ciphertexts differ per write
				}
				if caps.MaxKeySize > 0 {
					caps.MaxKeySize += len("ns:") // no namespace here
				}
				conformance.Run(t, conformance.Config{
					NewStore: func(t testing.TB) conformance.Opener {
						raw := b.open(t)
						return func() (byteStore, error) { return wrap(raw), nil }
					},
					Capabilities: caps,
				})
			})
		}
	}
}

// uniqueName returns a name no other test uses.
func uniqueName(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "kvtest-prefixed-" + hex.EncodeToString(b)
}

// Two namespaces on one store are apart: each sees, counts and clears only
// its own keys, and the store sees both under their prefixes.
func TestPrefixedNamespacesAreApart(t *testing.T) {
	ctx := context.Background()
	raw := memory.New[string, []byte]()
	defer raw.Close()
	a, b := kv.Prefixed(raw, "a:"), kv.Prefixed(raw, "b:")
	for i := range 3 {
		if err := a.Set(ctx, fmt.Sprint(i), []byte("a")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Set(ctx, "0", []byte("b")); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get(ctx, "0"); err != nil || string(v) != "b" {
		t.Fatalf("b.Get(0) = %q, %v", v, err)
	}
	if n, err := a.Len(ctx); err != nil || n != 3 {
		t.Fatalf("a.Len = %d, %v; want 3", n, err)
	}
	if err := a.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := kv.Collect(raw.Keys(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b:0"}, keys); diff != "" {
		t.Fatalf("after a.Clear the store holds (-want +got):\n%s", diff)
	}
	// Closing a namespace closes it, not the store under it.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "0"); !errorsIsClosed(err) {
		t.Fatalf("a.Get after Close: %v, want ErrClosed", err)
	}
	if _, err := b.Get(ctx, "0"); err != nil {
		t.Fatalf("b.Get after a.Close: %v", err)
	}
	if _, err := raw.Get(ctx, "b:0"); err != nil {
		t.Fatalf("raw.Get after a.Close: %v", err)
	}
}

func errorsIsClosed(err error) bool { return errors.Is(err, kv.ErrClosed) }
