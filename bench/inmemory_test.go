package bench

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/maypok86/otter/v2"

	"github.com/kvkit/kv/stores/memory"
)

// The in-memory caches a program would pick instead of the memory store,
// on the jobs they share: parallel Gets on a Zipf or uniform trace over a
// preloaded key space, and the heap one entry costs.

// inMemoryCache is what the throughput and memory benchmarks need of a
// cache with string keys and values.
type inMemoryCache interface {
	get(k string) bool
	set(k, v string)
	close()
}

type rwMapCache struct {
	mu sync.RWMutex
	m  map[string]string
}

func (c *rwMapCache) get(k string) bool {
	c.mu.RLock()
	_, ok := c.m[k]
	c.mu.RUnlock()
	return ok
}

func (c *rwMapCache) set(k, v string) {
	c.mu.Lock()
	c.m[k] = v
	c.mu.Unlock()
}
func (c *rwMapCache) close() {}

type memoryStringCache struct{ s *memory.Store[string, string] }

func (c memoryStringCache) get(k string) bool {
	_, err := c.s.Get(context.Background(), k)
	return err == nil
}
func (c memoryStringCache) set(k, v string) { _ = c.s.Set(context.Background(), k, v) }
func (c memoryStringCache) close()          { _ = c.s.Close() }

type otterStringCache struct{ c *otter.Cache[string, string] }

func (c otterStringCache) get(k string) bool { _, ok := c.c.GetIfPresent(k); return ok }
func (c otterStringCache) set(k, v string)   { c.c.Set(k, v) }
func (c otterStringCache) close()            {}

type ristrettoStringCache struct {
	c *ristretto.Cache[string, string]
}

func (c ristrettoStringCache) get(k string) bool { _, ok := c.c.Get(k); return ok }

// set waits for the buffered write, so that a preload is complete.
func (c ristrettoStringCache) set(k, v string) { c.c.Set(k, v, 1); c.c.Wait() }
func (c ristrettoStringCache) close()          { c.c.Close() }

type lruStringCache struct {
	c *expirable.LRU[string, string]
}

func (c lruStringCache) get(k string) bool { _, ok := c.c.Get(k); return ok }
func (c lruStringCache) set(k, v string)   { c.c.Add(k, v) }
func (c lruStringCache) close()            {}

// inMemoryImpls are the caches compared; map (a map under a sync.RWMutex)
// is the baseline. Every bounded one is sized to hold all size entries.
var inMemoryImpls = []string{"map", "memory", "memory-bounded", "otter", "ristretto", "golang-lru"}

func newInMemoryCache(b *testing.B, impl string, size int) inMemoryCache {
	switch impl {
	case "map":
		return &rwMapCache{m: make(map[string]string)}
	case "memory":
		return memoryStringCache{memory.New[string, string](memory.WithSweepInterval(0))}
	case "memory-bounded":
		return memoryStringCache{memory.New[string, string](memory.WithMaxEntries(size), memory.WithSweepInterval(0))}
	case "otter":
		return otterStringCache{otter.Must(&otter.Options[string, string]{MaximumSize: size})}
	case "ristretto":
		c, err := ristretto.NewCache(&ristretto.Config[string, string]{
			NumCounters: int64(10 * size), MaxCost: int64(size), BufferItems: 64,
			IgnoreInternalCost: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		return ristrettoStringCache{c}
	case "golang-lru":
		return lruStringCache{expirable.NewLRU[string, string](size, nil, time.Hour)}
	}
	b.Fatalf("unknown impl %q", impl)
	return nil
}

const (
	parallelKeySpace = 100_000
	parallelTraceLen = 1 << 16 // a power of two, indexed with a mask
)

// BenchmarkInMemoryParallelGet runs Gets from b.RunParallel goroutines
// over a trace of keys (Zipf s=0.8 and 1.1, and uniform) on a cache
// preloaded with every key, so each Get is a hit (ristretto may have
// dropped a few). Each goroutine starts at its own point of the trace.
// Run with -cpu=1,2: ns/op is the time per Get over all goroutines, so
// throughput is 1/ns.
func BenchmarkInMemoryParallelGet(b *testing.B) {
	keys := keyList(parallelKeySpace)
	dists := []struct {
		name string
		s    float64 // 0: uniform
	}{{"zipf0.8", 0.8}, {"zipf1.1", 1.1}, {"uniform", 0}}
	for _, d := range dists {
		var trace []string
		if d.s > 0 {
			for _, k := range zipfTrace(parallelTraceLen, parallelKeySpace, d.s, 7) {
				trace = append(trace, keys[k])
			}
		} else {
			r := rand.New(rand.NewPCG(7, 7))
			for range parallelTraceLen {
				trace = append(trace, keys[r.IntN(parallelKeySpace)])
			}
		}
		b.Run("dist="+d.name, func(b *testing.B) {
			for _, im := range inRoundOrder(inMemoryImpls) {
				// Opened, preloaded and read once outside the measured
				// function, which the testing package calls more than once.
				c := newInMemoryCache(b, im, parallelKeySpace)
				for _, k := range keys {
					c.set(k, k)
				}
				for _, k := range keys {
					c.get(k)
				}
				b.Run("impl="+im, func(b *testing.B) {
					b.ReportAllocs()
					// ristretto may have dropped a few keys: misses are
					// not an error here.
					_ = runTrace(b, trace, c.get)
				})
				c.close()
			}
		})
	}
}

// runTrace calls get on the keys of trace (parallelTraceLen long) from
// b.RunParallel goroutines, each starting at its own point of the trace,
// and returns how many calls missed.
func runTrace(b *testing.B, trace []string, get func(string) bool) int {
	var mu sync.Mutex
	next, misses := 0, 0
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		i := next
		next += parallelTraceLen / 8
		mu.Unlock()
		miss := 0
		for pb.Next() {
			if !get(trace[i&(parallelTraceLen-1)]) {
				miss++
			}
			i++
		}
		mu.Lock()
		misses += miss
		mu.Unlock()
	})
	return misses
}

// BenchmarkInMemoryBytesPerEntry reports the heap one entry costs
// (bytes/entry: runtime.MemStats.HeapAlloc after a GC, with 10⁶ entries
// less before any) beyond its key's and value's bytes, which are made
// before and shared by every cache. Run it with -benchtime=1x.
func BenchmarkInMemoryBytesPerEntry(b *testing.B) {
	const n = 1_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	value := "v"
	for _, im := range inRoundOrder(inMemoryImpls) {
		b.Run("impl="+im, func(b *testing.B) {
			var perEntry float64
			for b.Loop() {
				before := heapAfterGC()
				c := newInMemoryCache(b, im, n)
				for _, k := range keys {
					c.set(k, value)
				}
				perEntry = float64(heapAfterGC()-before) / n
				runtime.KeepAlive(c)
				c.close()
			}
			b.ReportMetric(perEntry, "bytes/entry")
		})
	}
}

func heapAfterGC() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
