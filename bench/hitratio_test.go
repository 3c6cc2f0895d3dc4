package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/maypok86/otter/v2"

	"github.com/kvkit/kv/stores/memory"
)

// Hit-ratio simulation: every bounded cache replays the same fixed-seed
// trace of keys; a miss is followed by a Set of that key, as a read-through
// cache does. The hit ratio is reported as the metric hit-% (ns/op is the
// time of one whole replay and means little). Run it once per trace with
// -benchtime=1x: the traces are deterministic, so -count adds nothing for
// memory, otter and golang-lru; ristretto's admission samples its
// candidates from map iteration, so its ratio varies by a few tenths.

const (
	hitKeySpace = 100_000   // distinct hot keys
	hitTraceLen = 1_000_000 // requests per trace
	hitScanLen  = 300_000   // cold keys of the scan trace, each requested once
)

// zipfTrace draws n keys in [0, keys) with P(k) ∝ 1/(k+1)^s from a fixed
// seed. math/rand's Zipf needs s > 1, so this inverts the CDF by binary
// search, which works for any s > 0.
func zipfTrace(n, keys int, s float64, seed uint64) []uint64 {
	cdf := make([]float64, keys)
	sum := 0.0
	for k := range keys {
		sum += 1 / math.Pow(float64(k+1), s)
		cdf[k] = sum
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	// Shuffle the ranks onto keys so that the hottest keys are not the
	// smallest integers (hashing of small integers then favours no one).
	perm := r.Perm(keys)
	out := make([]uint64, n)
	for i := range out {
		u := r.Float64() * sum
		k := sort.SearchFloat64s(cdf, u)
		if k >= keys {
			k = keys - 1
		}
		out[i] = uint64(perm[k])
	}
	return out
}

// scanTrace is a Zipf s=1.1 hot set with one pass over hitScanLen cold keys
// (never requested again) interleaved into its middle: in the middle of the
// trace every other request is the next cold key.
func scanTrace() []uint64 {
	hot := zipfTrace(hitTraceLen, hitKeySpace, 1.1, 3)
	out := make([]uint64, 0, hitTraceLen+hitScanLen)
	start := (hitTraceLen - 2*hitScanLen) / 2
	cold := uint64(hitKeySpace)
	for i, k := range hot {
		if i >= start && cold < hitKeySpace+hitScanLen {
			out = append(out, cold)
			cold++
		}
		out = append(out, k)
	}
	return out
}

// boundedCache is what the simulation needs of a cache.
type boundedCache interface {
	get(k uint64) bool
	set(k uint64)
	close()
}

type memoryCache struct{ s *memory.Store[uint64, uint64] }

func (c memoryCache) get(k uint64) bool {
	_, err := c.s.Get(context.Background(), k)
	return err == nil
}
func (c memoryCache) set(k uint64) { _ = c.s.Set(context.Background(), k, k) }
func (c memoryCache) close()       { _ = c.s.Close() }

type otterCache struct{ c *otter.Cache[uint64, uint64] }

func (c otterCache) get(k uint64) bool { _, ok := c.c.GetIfPresent(k); return ok }
func (c otterCache) set(k uint64)      { c.c.Set(k, k) }
func (c otterCache) close()            {}

type ristrettoCache struct {
	c *ristretto.Cache[uint64, uint64]
}

func (c ristrettoCache) get(k uint64) bool { _, ok := c.c.Get(k); return ok }

// set waits for the buffered write to land, so no write is dropped for
// contention and the replay stays sequential.
func (c ristrettoCache) set(k uint64) { c.c.Set(k, k, 1); c.c.Wait() }
func (c ristrettoCache) close()       { c.c.Close() }

type lruCache struct {
	c *expirable.LRU[uint64, uint64]
}

func (c lruCache) get(k uint64) bool { _, ok := c.c.Get(k); return ok }
func (c lruCache) set(k uint64)      { c.c.Add(k, k) }
func (c lruCache) close()            {}

func newBoundedCache(b *testing.B, impl string, size int) boundedCache {
	switch impl {
	case "memory":
		return memoryCache{memory.New[uint64, uint64](memory.WithMaxEntries(size), memory.WithSweepInterval(0))}
	case "otter":
		return otterCache{otter.Must(&otter.Options[uint64, uint64]{MaximumSize: size})}
	case "ristretto":
		c, err := ristretto.NewCache(&ristretto.Config[uint64, uint64]{
			NumCounters: int64(10 * size), MaxCost: int64(size), BufferItems: 64,
			// Count entries, not bytes: without this each entry also costs its
			// bookkeeping, and the cache holds far fewer than size entries.
			IgnoreInternalCost: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		return ristrettoCache{c}
	case "golang-lru":
		return lruCache{expirable.NewLRU[uint64, uint64](size, nil, time.Hour)}
	}
	b.Fatalf("unknown impl %q", impl)
	return nil
}

// replay runs the trace through c and returns the hit ratio in percent.
func replay(c boundedCache, trace []uint64) float64 {
	hits := 0
	for _, k := range trace {
		if c.get(k) {
			hits++
		} else {
			c.set(k)
		}
	}
	return 100 * float64(hits) / float64(len(trace))
}

func BenchmarkHitRatio(b *testing.B) {
	traces := []struct {
		name  string
		trace func() []uint64
	}{
		{"zipf0.8", func() []uint64 { return zipfTrace(hitTraceLen, hitKeySpace, 0.8, 1) }},
		{"zipf1.1", func() []uint64 { return zipfTrace(hitTraceLen, hitKeySpace, 1.1, 2) }},
		{"scan", scanTrace},
	}
	for _, tr := range traces {
		trace := tr.trace()
		for _, pct := range []int{1, 10} {
			size := hitKeySpace * pct / 100
			for _, impl := range []string{"memory", "otter", "ristretto", "golang-lru"} {
				b.Run(fmt.Sprintf("trace=%s/size=%d%%/impl=%s", tr.name, pct, impl), func(b *testing.B) {
					var ratio float64
					for b.Loop() {
						c := newBoundedCache(b, impl, size)
						ratio = replay(c, trace)
						c.close()
					}
					b.ReportMetric(ratio, "hit-%")
				})
			}
		}
	}
}
