package kv_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

// getCounter counts the Gets that reach a store.
type getCounter[K comparable, V any] struct {
	kv.Store[K, V]
	gets atomic.Int64
}

func (g *getCounter[K, V]) Get(ctx context.Context, k K) (V, error) {
	g.gets.Add(1)
	return g.Store.Get(ctx, k)
}

// 100 concurrent misses of one key call the load function once, and all
// get its value.
func TestLoaderConcurrentMissesLoadOnce(t *testing.T) {
	ctx := context.Background()
	const callers = 100
	m := memory.New[string, string]()
	defer m.Close()
	store := &getCounter[string, string]{Store: m}
	var loads atomic.Int64
	load := func(ctx context.Context, key string) (string, time.Duration, error) {
		loads.Add(1)
		// Hold the load until every caller has missed the store, so that
		// none can find the stored value instead of joining the flight.
		for store.gets.Load() < callers {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		return "value of " + key, 0, nil
	}
	l := kv.Loader[string, string](store, load)
	var wg sync.WaitGroup
	results := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { results[i], errs[i] = l.Get(ctx, "k") })
	}
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d concurrent misses called load %d times, want 1", callers, n)
	}
	for i := range callers {
		if errs[i] != nil || results[i] != "value of k" {
			t.Fatalf("caller %d got %q, %v", i, results[i], errs[i])
		}
	}
	if v, err := m.Get(ctx, "k"); err != nil || v != "value of k" {
		t.Errorf("the store holds %q, %v; want the loaded value", v, err)
	}
}

// The TTL the load function gives is the entry's; a negative one is not
// stored at all.
func TestLoaderTTLFromLoad(t *testing.T) {
	ctx := context.Background()
	m := memory.New[string, int]()
	defer m.Close()
	var loads atomic.Int64
	ttls := map[string]time.Duration{"hour": time.Hour, "never": 0, "nostore": -1}
	l := kv.Loader[string, int](m, func(_ context.Context, key string) (int, time.Duration, error) {
		return int(loads.Add(1)), ttls[key], nil
	})
	before := time.Now()
	for _, k := range []string{"hour", "never", "nostore"} {
		if _, err := l.Get(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := kv.Collect(m.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]kv.Entry[string, int]{}
	for _, e := range entries {
		got[e.Key] = e
	}
	if _, ok := got["nostore"]; ok || len(got) != 2 {
		t.Fatalf("stored %v; want hour and never, not nostore", entries)
	}
	if exp := got["hour"].ExpiresAt; exp.Before(before.Add(time.Hour)) || exp.After(time.Now().Add(time.Hour)) {
		t.Errorf("hour expires at %v, want an hour after the load", exp)
	}
	if !got["never"].ExpiresAt.IsZero() {
		t.Errorf("never expires at %v, want no expiry", got["never"].ExpiresAt)
	}
	if _, err := l.Get(ctx, "nostore"); err != nil || loads.Load() != 4 {
		t.Errorf("a value not stored is loaded again: loads = %d, want 4 (%v)", loads.Load(), err)
	}
}

// A miss is remembered only with WithNegativeTTL, and a Set through the
// Loader forgets it.
func TestLoaderNegativeCaching(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		opts      []kv.LoaderOption
		wantLoads int64
	}{
		{"default", nil, 3},
		{"negative ttl", []kv.LoaderOption{kv.WithNegativeTTL(time.Hour)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := memory.New[string, int]()
			defer m.Close()
			var loads atomic.Int64
			l := kv.Loader[string, int](m, func(context.Context, string) (int, time.Duration, error) {
				loads.Add(1)
				return 0, 0, fmt.Errorf("no such user: %w", kv.ErrNotFound)
			}, tc.opts...)
			for range 3 {
				if _, err := l.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
					t.Fatalf("Get: %v, want ErrNotFound", err)
				}
			}
			if n := loads.Load(); n != tc.wantLoads {
				t.Errorf("three misses called load %d times, want %d", n, tc.wantLoads)
			}
			if err := l.Set(ctx, "k", 7); err != nil {
				t.Fatal(err)
			}
			if v, err := l.Get(ctx, "k"); err != nil || v != 7 {
				t.Errorf("Get after Set = %d, %v; want 7 (the remembered miss forgotten)", v, err)
			}
		})
	}
}

// A load error is returned and, by default, not remembered.
func TestLoaderErrors(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("origin down")
	for _, tc := range []struct {
		name      string
		opts      []kv.LoaderOption
		wantLoads int64
	}{
		{"default", nil, 3},
		{"error ttl", []kv.LoaderOption{kv.WithErrorTTL(time.Hour)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := memory.New[string, int]()
			defer m.Close()
			var loads atomic.Int64
			l := kv.Loader[string, int](m, func(context.Context, string) (int, time.Duration, error) {
				loads.Add(1)
				return 0, 0, boom
			}, tc.opts...)
			for range 3 {
				if _, err := l.Get(ctx, "k"); !errors.Is(err, boom) || errors.Is(err, kv.ErrNotFound) {
					t.Fatalf("Get: %v, want the load error", err)
				}
			}
			if n := loads.Load(); n != tc.wantLoads {
				t.Errorf("three failing Gets called load %d times, want %d", n, tc.wantLoads)
			}
			if n, err := m.Len(ctx); err != nil || n != 0 {
				t.Errorf("the store holds %d entries after failed loads, want 0 (%v)", n, err)
			}
		})
	}
}

// boxed keys print the same with %#v whatever the type of X, so they
// share a single-flight key: each must still get its own value.
type boxed struct{ X any }

func TestLoaderKeysThatPrintAlikeGetTheirOwnValue(t *testing.T) {
	ctx := context.Background()
	m := memory.New[boxed, string]()
	defer m.Close()
	a, b := boxed{int(1)}, boxed{int64(1)}
	if fmt.Sprintf("%#v", a) != fmt.Sprintf("%#v", b) {
		t.Skip("the keys print differently; nothing to test")
	}
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	l := kv.Loader[boxed, string](m, func(_ context.Context, k boxed) (string, time.Duration, error) {
		once.Do(func() { close(started); <-release })
		return fmt.Sprintf("%T", k.X), -1, nil
	})
	got := make(chan string)
	go func() {
		v, _ := l.Get(ctx, a)
		got <- v
	}()
	<-started
	go func() {
		v, _ := l.Get(ctx, b) // joins a's flight, then loads its own
		got <- v
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	results := map[string]bool{<-got: true, <-got: true}
	if diff := cmp.Diff(map[string]bool{"int": true, "int64": true}, results); diff != "" {
		t.Fatalf("values (-want +got):\n%s", diff)
	}
}

// A Get whose context ends while it waits for another's load returns.
func TestLoaderWaitHonoursContext(t *testing.T) {
	m := memory.New[string, int]()
	defer m.Close()
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	l := kv.Loader[string, int](m, func(context.Context, string) (int, time.Duration, error) {
		close(started)
		<-release
		return 1, 0, nil
	})
	go l.Get(context.Background(), "k")
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Get(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get: %v, want context.DeadlineExceeded", err)
	}
}

// A write of the key while a load of it runs is not overwritten by the
// loaded value: a Set through the Loader, and (the store being a
// ConditionalWriter, so the load is stored with SetIfAbsent) a Set by
// another client of the store.
func TestLoaderLoadDoesNotOverwriteAWriteMeanwhile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writer func(l, m kv.Store[string, string]) kv.Store[string, string]
	}{
		{"through the Loader", func(l, _ kv.Store[string, string]) kv.Store[string, string] { return l }},
		{"by another client of the store", func(_, m kv.Store[string, string]) kv.Store[string, string] { return m }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m := memory.New[string, string]()
			defer m.Close()
			started, release := make(chan struct{}), make(chan struct{})
			l := kv.Loader[string, string](m, func(context.Context, string) (string, time.Duration, error) {
				close(started)
				<-release
				return "loaded", 0, nil
			})
			done := make(chan string)
			go func() {
				v, _ := l.Get(ctx, "k")
				done <- v
			}()
			<-started
			w := tc.writer(l, m)
			if err := w.Set(ctx, "k", "written"); err != nil {
				t.Fatal(err)
			}
			close(release)
			if v := <-done; v != "loaded" {
				t.Fatalf("the loading Get returned %q, want loaded", v)
			}
			if v, err := w.Get(ctx, "k"); err != nil || v != "written" {
				t.Fatalf("Get after the load = %q, %v; want the write made meanwhile", v, err)
			}
		})
	}
}
