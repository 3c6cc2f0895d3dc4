package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/memory"
	kvredis "github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
)

// scaleStore is a byte store of the scaling benchmarks and the largest
// entry count it is measured at.
type scaleStore struct {
	name string
	max  int
	open func(*testing.B) kv.Store[string, []byte]
}

// scaleMax returns the largest entry count of the scaling benchmarks:
// 1M, or BENCH_SCALE_MAX when set (to keep a quick run quick).
func scaleMax() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_SCALE_MAX")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

func scaleStores() []scaleStore {
	return []scaleStore{
		{"memory", 1_000_000, func(b *testing.B) kv.Store[string, []byte] {
			s := memory.New[string, []byte]()
			b.Cleanup(func() { s.Close() })
			return s
		}},
		{"sqlite", 1_000_000, func(b *testing.B) kv.Store[string, []byte] {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "scale.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
		{"badger", 1_000_000, func(b *testing.B) kv.Store[string, []byte] {
			s, err := badger.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
		{"redis", 1_000_000, func(b *testing.B) kv.Store[string, []byte] {
			s, err := kvredis.New(rueidisClient(b), uniqueName(b, "scale"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				s.Clear(context.Background())
				s.Close()
			})
			return s
		}},
	}
}

var (
	scaleKeysOnce sync.Once
	scaleKeys     []string
)

// scaleKeyList returns the keys of the scaling benchmarks, made once.
func scaleKeyList() []string {
	scaleKeysOnce.Do(func() { scaleKeys = keyList(scaleMax()) })
	return scaleKeys
}

// fill grows s from have to want entries (keys scaleKeyList()[have:want])
// with kv.SetMany in batches of 1000.
func fill(b *testing.B, s kv.Store[string, []byte], keys []string, have, want int, value []byte) {
	b.Helper()
	ctx := context.Background()
	const batch = 1000
	entries := make([]kv.Entry[string, []byte], 0, batch)
	for i := have; i < want; i += batch {
		entries = entries[:0]
		for _, k := range keys[i:min(i+batch, want)] {
			entries = append(entries, kv.Entry[string, []byte]{Key: k, Value: value})
		}
		if err := kv.SetMany(ctx, s, entries); err != nil {
			b.Fatalf("loading entries %d-%d: %v", i, i+len(entries), err)
		}
	}
}

// BenchmarkScale measures Get and Set of 100-byte values at random keys of
// a store holding 1K, 10K, 100K and 1M entries (memory, SQLite, Badger,
// Redis). The store grows between the sizes rather than being reloaded, so
// each is loaded once; the load is not timed. Compare the sizes with
//
//	benchstat -col /entries out.txt
func BenchmarkScale(b *testing.B) {
	value := bytes.Repeat([]byte("v"), 100)
	for _, st := range scaleStores() {
		b.Run("store="+st.name, func(b *testing.B) {
			s := st.open(b)
			keys := scaleKeyList()
			have := 0
			for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
				if n > min(st.max, len(keys)) {
					break
				}
				t0 := time.Now()
				fill(b, s, keys, have, n, value)
				// A line benchstat ignores, kept in the raw output.
				fmt.Printf("load store=%s entries %d to %d took %v\n", st.name, have, n, time.Since(t0).Round(time.Millisecond))
				have = n
				b.Run("entries="+countName(n), func(b *testing.B) {
					ctx := context.Background()
					b.Run("op=Get", func(b *testing.B) {
						r := rand.New(rand.NewPCG(1, uint64(n)))
						b.ReportAllocs()
						for b.Loop() {
							v, err := s.Get(ctx, keys[r.IntN(n)])
							if err != nil || len(v) != len(value) {
								b.Fatal(len(v), err)
							}
						}
					})
					b.Run("op=Set", func(b *testing.B) {
						r := rand.New(rand.NewPCG(2, uint64(n)))
						b.ReportAllocs()
						for b.Loop() {
							if err := s.Set(ctx, keys[r.IntN(n)], value); err != nil {
								b.Fatal(err)
							}
						}
					})
				})
			}
		})
	}
}

// BenchmarkValueSize measures Get and Set of one of 16 keys with values of
// 100 B to 1 MB (memory, SQLite, Badger, Redis). Compare with
//
//	benchstat -col /size out.txt
func BenchmarkValueSize(b *testing.B) {
	const nkeys = 16
	keys := keyList(nkeys)
	stores := scaleStores()
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			for _, size := range []int{100, 1 << 10, 10 << 10, 100 << 10, 1 << 20} {
				b.Run("size="+sizeName(size), func(b *testing.B) {
					s := st.open(b)
					value := bytes.Repeat([]byte("v"), size)
					fill(b, s, keys, 0, nkeys, value)
					ctx := context.Background()
					b.Run("op=Get", func(b *testing.B) {
						b.ReportAllocs()
						b.SetBytes(int64(size))
						i := 0
						for b.Loop() {
							v, err := s.Get(ctx, keys[i%nkeys])
							if err != nil || len(v) != size {
								b.Fatal(len(v), err)
							}
							i++
						}
					})
					b.Run("op=Set", func(b *testing.B) {
						b.ReportAllocs()
						b.SetBytes(int64(size))
						i := 0
						for b.Loop() {
							if err := s.Set(ctx, keys[i%nkeys], value); err != nil {
								b.Fatal(err)
							}
							i++
						}
					})
				})
			}
		})
	}
}
