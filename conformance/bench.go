package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// benchKeys is how many entries each benchmark preloads and reads from.
const benchKeys = 1000

// Benchmark measures the common operations of the store that cfg
// describes, each on a fresh location, with allocations reported. Its
// sub-benchmarks are named Operation/ValueSize:
//
//   - Get, Set: one entry; SetTTL: Set with WithTTL (when TTL is declared).
//   - GetMany100, SetMany100: 100 entries through kv.GetMany and kv.SetMany,
//     so they measure the batch capability when the store has one and the
//     fallback loop otherwise.
//   - Get100Loop: the same 100 entries as GetMany100, read with 100 Gets:
//     the baseline that GetMany100 is measured against.
//   - Mixed: 90% Get and 10% Set.
//   - Parallel: Get from GOMAXPROCS goroutines (b.RunParallel).
//
// with values of 100 B and 10 KiB (sizes over MaxValueSize are left out).
// Compare stores, or a store against its raw client, with benchstat.
func Benchmark(b *testing.B, cfg Config) {
	if cfg.NewStore == nil {
		b.Fatal("conformance: Config.NewStore is nil")
	}
	caps := cfg.Capabilities.withDefaults()
	for _, op := range []struct {
		name string
		fn   func(*testing.B, *bench)
		skip bool
	}{
		{"Get", benchGet, false},
		{"Set", benchSet, false},
		{"SetTTL", benchSetTTL, !caps.TTL},
		{"GetMany100", benchGetMany, false},
		{"Get100Loop", benchGetLoop, false},
		{"SetMany100", benchSetMany, false},
		{"Mixed", benchMixed, false},
		{"Parallel", benchParallel, false},
	} {
		if op.skip {
			continue
		}
		b.Run(op.name, func(b *testing.B) {
			for _, size := range []int{100, 10 << 10} {
				if caps.MaxValueSize > 0 && size > caps.MaxValueSize {
					continue
				}
				b.Run(sizeName(size), func(b *testing.B) {
					op.fn(b, newBench(b, cfg, size))
				})
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// bench is one sub-benchmark's store, preloaded with benchKeys entries.
type bench struct {
	s     store
	keys  []string
	value []byte
}

func newBench(b *testing.B, cfg Config, size int) *bench {
	b.Helper()
	s, err := cfg.NewStore(b)()
	if err != nil {
		b.Fatalf("opening the store: %v", err)
	}
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("Close: %v", err)
		}
	})
	bn := &bench{s: s, keys: make([]string, benchKeys), value: randomBytes(uint64(size), size)}
	entries := make([]kv.Entry[string, []byte], benchKeys)
	for i := range bn.keys {
		bn.keys[i] = fmt.Sprintf("bench/key-%06d", i)
		entries[i] = kv.Entry[string, []byte]{Key: bn.keys[i], Value: bn.value}
	}
	if err := kv.SetMany(b.Context(), s, entries); err != nil {
		b.Fatalf("preloading %d entries: %v", benchKeys, err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	return bn
}

func benchGet(b *testing.B, bn *bench) {
	ctx := b.Context()
	i := 0
	for b.Loop() {
		if _, err := bn.s.Get(ctx, bn.keys[i%benchKeys]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchSet(b *testing.B, bn *bench) {
	ctx := b.Context()
	i := 0
	for b.Loop() {
		if err := bn.s.Set(ctx, bn.keys[i%benchKeys], bn.value); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchSetTTL(b *testing.B, bn *bench) {
	ctx := b.Context()
	i := 0
	for b.Loop() {
		if err := bn.s.Set(ctx, bn.keys[i%benchKeys], bn.value, kv.WithTTL(time.Hour)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchGetMany(b *testing.B, bn *bench) {
	ctx := b.Context()
	b.SetBytes(100 * int64(len(bn.value)))
	i := 0
	for b.Loop() {
		start := (i * 100) % benchKeys
		got, err := kv.GetMany(ctx, bn.s, bn.keys[start:start+100])
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 100 {
			b.Fatalf("GetMany found %d of 100 keys", len(got))
		}
		i++
	}
}

func benchGetLoop(b *testing.B, bn *bench) {
	ctx := b.Context()
	b.SetBytes(100 * int64(len(bn.value)))
	i := 0
	for b.Loop() {
		start := (i * 100) % benchKeys
		for _, k := range bn.keys[start : start+100] {
			if _, err := bn.s.Get(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
		i++
	}
}

func benchSetMany(b *testing.B, bn *bench) {
	ctx := b.Context()
	b.SetBytes(100 * int64(len(bn.value)))
	entries := make([]kv.Entry[string, []byte], 100)
	i := 0
	for b.Loop() {
		start := (i * 100) % benchKeys
		for j := range entries {
			entries[j] = kv.Entry[string, []byte]{Key: bn.keys[start+j], Value: bn.value}
		}
		if err := kv.SetMany(ctx, bn.s, entries); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchMixed(b *testing.B, bn *bench) {
	ctx := b.Context()
	i := 0
	for b.Loop() {
		k := bn.keys[(i*7)%benchKeys]
		if i%10 == 0 {
			if err := bn.s.Set(ctx, k, bn.value); err != nil {
				b.Fatal(err)
			}
		} else if _, err := bn.s.Get(ctx, k); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchParallel(b *testing.B, bn *bench) {
	ctx := b.Context()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := bn.s.Get(ctx, bn.keys[i%benchKeys]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
