package memory_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kvkit/kv/stores/memory"
)

// rwMap is the baseline the store is measured against: what a program
// would write by hand instead of using the store.
type rwMap struct {
	mu sync.RWMutex
	m  map[string]string
}

func (r *rwMap) get(k string) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[k]
	return v, ok
}

func (r *rwMap) set(k string, v string) {
	r.mu.Lock()
	r.m[k] = v
	r.mu.Unlock()
}

const benchKeys = 1024

func benchKeyNames() []string {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	return keys
}

// BenchmarkCompare runs the store and the map+RWMutex baseline side by side
// on the same keys and 100-byte string values: compare them with benchstat.
// (Values of type []byte cost one more copy in the store, on purpose: see
// the Store doc.)
func BenchmarkCompare(b *testing.B) {
	ctx := context.Background()
	keys := benchKeyNames()
	value := strings.Repeat("v", 100)

	b.Run("impl=map/op=get", func(b *testing.B) {
		r := &rwMap{m: map[string]string{}}
		for _, k := range keys {
			r.set(k, value)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := r.get(keys[i%benchKeys]); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("impl=memory/op=get", func(b *testing.B) {
		s := memory.New[string, string]()
		defer s.Close()
		for _, k := range keys {
			_ = s.Set(ctx, k, value)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Get(ctx, keys[i%benchKeys]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=map/op=set", func(b *testing.B) {
		r := &rwMap{m: map[string]string{}}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.set(keys[i%benchKeys], value)
		}
	})
	b.Run("impl=memory/op=set", func(b *testing.B) {
		s := memory.New[string, string]()
		defer s.Close()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = s.Set(ctx, keys[i%benchKeys], value)
		}
	})
	b.Run("impl=map/op=parallel-get", func(b *testing.B) {
		r := &rwMap{m: map[string]string{}}
		for _, k := range keys {
			r.set(k, value)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				r.get(keys[i%benchKeys])
			}
		})
	})
	b.Run("impl=memory/op=parallel-get", func(b *testing.B) {
		s := memory.New[string, string]()
		defer s.Close()
		for _, k := range keys {
			_ = s.Set(ctx, k, value)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				_, _ = s.Get(ctx, keys[i%benchKeys])
			}
		})
	})
}
