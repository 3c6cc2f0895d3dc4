package bench

import (
	"context"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/kvkit/kv/stores/memory"
)

// The bounded memory store against its own engine: otter holding what the
// store holds under a key, so that the store's layer (lifecycle check,
// batch-write check, expiry) is measured apart from the size of what it
// keeps. The peer row of BenchmarkInMemoryParallelGet holds bare strings.

// layerItem has the layout of the store's bounded item: the value and its
// expiry.
type layerItem struct {
	value     string
	expiresAt time.Time
}

// layerExecutor runs otter's maintenance on one goroutine, as the store's
// maintainer does (stores/memory/bounded.go).
type layerExecutor struct{ tasks chan func() }

func newLayerExecutor() *layerExecutor {
	e := &layerExecutor{tasks: make(chan func(), 1)}
	go func() {
		for fn := range e.tasks {
			fn()
		}
	}()
	return e
}

func (e *layerExecutor) execute(fn func()) {
	select {
	case e.tasks <- fn:
	default:
		fn()
	}
}

func (e *layerExecutor) close() { close(e.tasks) }

// BenchmarkInMemoryBoundedLayer runs the parallel Gets of
// BenchmarkInMemoryParallelGet (Zipf s=0.8) on: otter with string values
// (the peer row), otter-item (otter holding layerItem, with the store's
// kind of executor: the store's engine alone), and memory-bounded (the
// store). memory-bounded/otter-item is the store's layer;
// otter-item/otter is the price of keeping the expiry beside the value.
func BenchmarkInMemoryBoundedLayer(b *testing.B) {
	keys := keyList(parallelKeySpace)
	var trace []string
	for _, k := range zipfTrace(parallelTraceLen, parallelKeySpace, 0.8, 7) {
		trace = append(trace, keys[k])
	}
	type cache struct {
		get   func(string) bool
		close func()
	}
	open := map[string]func() cache{
		"otter": func() cache {
			c := otter.Must(&otter.Options[string, string]{MaximumSize: parallelKeySpace})
			for _, k := range keys {
				c.Set(k, k)
			}
			return cache{func(k string) bool { _, ok := c.GetIfPresent(k); return ok }, func() {}}
		},
		"otter-item": func() cache {
			e := newLayerExecutor()
			c := otter.Must(&otter.Options[string, layerItem]{MaximumSize: parallelKeySpace, Executor: e.execute})
			for _, k := range keys {
				c.Set(k, layerItem{value: k})
			}
			return cache{func(k string) bool { _, ok := c.GetIfPresent(k); return ok }, e.close}
		},
		"memory-bounded": func() cache {
			s := memory.New[string, string](memory.WithMaxEntries(parallelKeySpace), memory.WithSweepInterval(0))
			for _, k := range keys {
				if err := s.Set(context.Background(), k, k); err != nil {
					b.Fatal(err)
				}
			}
			return cache{
				func(k string) bool { _, err := s.Get(context.Background(), k); return err == nil },
				func() { _ = s.Close() },
			}
		},
	}
	for _, impl := range inRoundOrder([]string{"otter", "otter-item", "memory-bounded"}) {
		c := open[impl]()
		for _, k := range keys {
			if !c.get(k) {
				b.Fatalf("%s: preloaded key %q missing", impl, k)
			}
		}
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			// Every Get must hit: a miss would time another path.
			if misses := runTrace(b, trace, c.get); misses != 0 {
				b.Fatalf("%s: %d of %d Gets missed", impl, misses, b.N)
			}
		})
		c.close()
	}
}
