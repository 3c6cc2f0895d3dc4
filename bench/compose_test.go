package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
	kvredis "github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
)

// composeValue is the 1 KiB value the composition benchmarks read.
var composeValue = newRecord(recordSize).Data

// benchGets reads the preloaded keys of s in turn.
func benchGets(b *testing.B, s kv.Store[string, []byte]) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Get(ctx, benchKey(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// preload writes every benchmark key with composeValue.
func preload(b *testing.B, s kv.Store[string, []byte]) {
	b.Helper()
	entries := make([]kv.Entry[string, []byte], benchKeys)
	for i := range entries {
		entries[i] = kv.Entry[string, []byte]{Key: benchKey(i), Value: composeValue}
	}
	if err := kv.SetMany(context.Background(), s, entries); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPrefixed: Get of a 1 KiB value through kv.Prefixed against a
// Get of the bare store under it (impl=bare, the baseline), on the
// memory store and on SQLite.
func BenchmarkPrefixed(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) kv.Store[string, []byte]
	}{
		{"memory", func(b *testing.B) kv.Store[string, []byte] {
			m := memory.New[string, []byte]()
			b.Cleanup(func() { m.Close() })
			return m
		}},
		{"sqlite", func(b *testing.B) kv.Store[string, []byte] {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "kv.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
	}
	impls := inRoundOrder([]string{"bare", "prefixed"})
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			for _, impl := range impls {
				b.Run("impl="+impl, func(b *testing.B) {
					raw := st.open(b)
					s := raw
					if impl == "prefixed" {
						s = kv.Prefixed(raw, "ns:")
					}
					preload(b, s)
					benchGets(b, s)
				})
			}
		})
	}
}

// BenchmarkTiered: a near hit of kv.Tiered (a memory store bounded to
// 10,000 entries in front of Redis) against a Get of the memory store
// (impl=memory, the baseline), of a memory store with the same bound
// (impl=memory-bounded) and of the Redis store (impl=redis).
func BenchmarkTiered(b *testing.B) {
	for _, impl := range inRoundOrder([]string{"memory", "memory-bounded", "tiered", "redis"}) {
		b.Run("impl="+impl, func(b *testing.B) {
			var s kv.Store[string, []byte]
			switch impl {
			case "memory":
				m := memory.New[string, []byte]()
				b.Cleanup(func() { m.Close() })
				s = m
			case "memory-bounded":
				m := memory.New[string, []byte](memory.WithMaxEntries(10_000))
				b.Cleanup(func() { m.Close() })
				s = m
			case "tiered":
				near := memory.New[string, []byte](memory.WithMaxEntries(10_000))
				b.Cleanup(func() { near.Close() })
				s = kv.Tiered(near, redisBytes(b))
			case "redis":
				s = redisBytes(b)
			}
			preload(b, s)
			if impl == "tiered" {
				for i := range benchKeys { // every key near
					if _, err := s.Get(context.Background(), benchKey(i)); err != nil {
						b.Fatal(err)
					}
				}
			}
			benchGets(b, s)
		})
	}
}

// redisBytes is a kv Redis store under a fresh name, cleared and closed
// when the benchmark ends.
func redisBytes(b *testing.B) kv.Store[string, []byte] {
	s, err := kvredis.New(rueidisClient(b), uniqueName(b, "compose"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.Clear(context.Background())
		s.Close()
	})
	return s
}

// BenchmarkWrappedConditional: CompareAndSwap of a 1 KiB value through kv.Typed
// (string keys, kv.Bytes values) and kv.Prefixed over the memory store,
// against the memory store's own CompareAndSwap (impl=bare, the
// baseline). Each iteration swaps one key between two values, so every
// swap succeeds.
func BenchmarkWrappedConditional(b *testing.B) {
	other := append([]byte{}, composeValue...)
	other[len(other)-1] ^= 1
	for _, impl := range inRoundOrder([]string{"bare", "typed", "prefixed"}) {
		b.Run("impl="+impl, func(b *testing.B) {
			m := memory.New[string, []byte]()
			b.Cleanup(func() { m.Close() })
			var s kv.Store[string, []byte] = m
			switch impl {
			case "typed":
				s = kv.Typed(m, kv.StringKeys(), kv.Bytes())
			case "prefixed":
				s = kv.Prefixed(m, "ns:")
			}
			c, ok := s.(kv.ConditionalWriter[string, []byte])
			if !ok {
				b.Fatalf("%s: no conditional writes", impl)
			}
			ctx := context.Background()
			if err := s.Set(ctx, "k", composeValue); err != nil {
				b.Fatal(err)
			}
			from, to := composeValue, other
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if ok, err := c.CompareAndSwap(ctx, "k", from, to); err != nil || !ok {
					b.Fatalf("CompareAndSwap = %v, %v", ok, err)
				}
				from, to = to, from
			}
		})
	}
}
