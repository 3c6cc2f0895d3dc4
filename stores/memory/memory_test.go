package memory_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/testclock"
	"github.com/kvkit/kv/stores/memory"
)

// liveKeys returns the keys Keys yields, as a set.
func liveKeys[K comparable, V any](t *testing.T, s *memory.Store[K, V]) map[K]bool {
	t.Helper()
	keys, err := kv.Collect(s.Keys(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[K]bool, len(keys))
	for _, k := range keys {
		got[k] = true
	}
	return got
}

// Each Set returns with the store within its bound, and Len, Keys and All
// agree on what is left.
func TestBoundHoldsAfterEachSet(t *testing.T) {
	ctx := context.Background()
	const bound = 10
	s := memory.New[int, int](memory.WithMaxEntries(bound), memory.WithSweepInterval(0))
	defer s.Close()
	for i := range 500 {
		if err := s.Set(ctx, i, i); err != nil {
			t.Fatal(err)
		}
		n, err := s.Len(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(i+1, bound); n != want {
			t.Fatalf("after %d Sets: Len = %d, want %d", i+1, n, want)
		}
	}
	keys := liveKeys(t, s)
	entries, err := kv.Collect(s.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != bound || len(entries) != bound {
		t.Fatalf("Keys yields %d keys and All %d entries, want the bound %d", len(keys), len(entries), bound)
	}
	for _, e := range entries {
		if !keys[e.Key] || e.Value != e.Key {
			t.Fatalf("All yields %v, which Keys does not or with a wrong value", e)
		}
	}
}

// The eviction policy weighs how often a key is used, not only how
// recently: keys read often stay through a pass over many keys written
// once, which evicts all of them under LRU.
func TestFrequentKeysSurviveAScan(t *testing.T) {
	ctx := context.Background()
	const bound = 20
	s := memory.New[int, int](memory.WithMaxEntries(bound), memory.WithSweepInterval(0))
	defer s.Close()
	// Fill the store first: otter counts uses once it is half full.
	hot := []int{-1, -2, -3, -4, -5}
	for k := -bound; k < 0; k++ {
		if err := s.Set(ctx, k, k); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		for _, k := range hot {
			if _, err := s.Get(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The scan: each key written once, never read; five times the bound,
	// short of the ten times after which otter halves its counts.
	for i := range 5 * bound {
		if err := s.Set(ctx, i, i); err != nil {
			t.Fatal(err)
		}
	}
	keys := liveKeys(t, s)
	for _, k := range hot {
		if !keys[k] {
			t.Errorf("hot key %d was evicted by the scan", k)
		}
	}
	if len(keys) != bound {
		t.Fatalf("%d keys left, want the bound %d", len(keys), bound)
	}
}

// Once concurrent Sets have returned, the store is within its bound.
func TestBoundUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	const bound = 50
	s := memory.New[string, int](memory.WithMaxEntries(bound))
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				k := fmt.Sprintf("%d-%d", g, i%120)
				if err := s.Set(ctx, k, i); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Get(ctx, k); err != nil && !errors.Is(err, kv.ErrNotFound) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n, _ := s.Len(ctx); n != bound {
		t.Fatalf("Len = %d, want the bound %d", n, bound)
	}
}

// modes are the store's two modes, for the tests that must hold in both.
var modes = map[string][]memory.Option{
	"unbounded": nil,
	"bounded":   {memory.WithMaxEntries(100)},
}

func TestExpiryWithClock(t *testing.T) {
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) { testExpiryWithClock(t, mode) })
	}
}

func testExpiryWithClock(t *testing.T, mode []memory.Option) {
	ctx := context.Background()
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := memory.New[string, string](append(mode, memory.WithClock(clock.Now), memory.WithSweepInterval(0))...)
	defer s.Close()
	if err := s.Set(ctx, "short", "x", kv.WithTTL(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "long", "y", kv.WithTTL(time.Hour)); err != nil {
		t.Fatal(err)
	}
	entries, err := kv.Collect(s.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		ttl, ok := e.TTL(clock.Now())
		want := map[string]time.Duration{"short": time.Second, "long": time.Hour}[e.Key]
		if !ok || ttl != want {
			t.Errorf("entry %q TTL = %v, %v; want %v", e.Key, ttl, ok, want)
		}
	}
	clock.Add(time.Second) // the instant "short" expires
	if _, err := s.Get(ctx, "short"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get(short) at expiry: err = %v, want ErrNotFound", err)
	}
	if n, _ := s.Len(ctx); n != 1 {
		t.Fatalf("Len = %d, want 1", n)
	}
	if removed := s.DeleteExpired(); removed != 1 {
		t.Fatalf("DeleteExpired removed %d, want 1", removed)
	}
}

func TestJanitorSweepsAndStops(t *testing.T) {
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) { testJanitorSweepsAndStops(t, mode) })
	}
}

func testJanitorSweepsAndStops(t *testing.T, mode []memory.Option) {
	ctx := context.Background()
	before := runtime.NumGoroutine()
	s := memory.New[string, int](append(mode, memory.WithSweepInterval(5*time.Millisecond))...)
	if err := s.Set(ctx, "a", 1, kv.WithTTL(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "b", 2); err != nil {
		t.Fatal(err)
	}
	// Give the janitor many intervals; then a direct sweep must find
	// nothing left, which it would if no janitor ran.
	time.Sleep(200 * time.Millisecond)
	if n := s.DeleteExpired(); n != 0 {
		t.Fatalf("a direct sweep removed %d entries: the janitor did not run", n)
	}
	if ok, _ := s.Has(ctx, "b"); !ok {
		t.Fatal("the janitor removed an entry without TTL")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waits for the janitor, so the goroutine count is back.
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("goroutines after Close = %d, before New = %d: janitor still running", n, before)
	}
}

func TestBytesAreCopied(t *testing.T) {
	ctx := context.Background()
	s := memory.New[string, []byte]()
	defer s.Close()
	in := []byte("hello")
	if err := s.Set(ctx, "k", in); err != nil {
		t.Fatal(err)
	}
	in[0] = 'J'
	out, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	out[1] = 'A'
	again, _ := s.Get(ctx, "k")
	if string(again) != "hello" {
		t.Fatalf("stored value changed through the caller's slices: %q", again)
	}
}

func TestNegativeTTL(t *testing.T) {
	ctx := context.Background()
	s := memory.New[string, int]()
	defer s.Close()
	err := s.Set(ctx, "k", 1, kv.WithTTL(-time.Second))
	if !errors.Is(err, kv.ErrInvalidTTL) {
		t.Fatalf("Set with negative TTL: err = %v, want ErrInvalidTTL", err)
	}
	if ok, _ := s.Has(ctx, "k"); ok {
		t.Fatal("a Set that failed wrote its entry")
	}
}

// A batch write is seen whole or not at all by Gets, in both modes: SetMany
// writes a, then b, with the same number, ever larger; a Get of a that sees
// a number means the batch that wrote it is done, so a Get of b after it
// sees that number or a later one. Keys between a and b make each batch
// long, so that the reader's two Gets often fall inside one batch, where a
// Get that trusted an odd batch count unchanged over its lookup would see
// a new a and an old b.
func TestGetSeesBatchWhole(t *testing.T) {
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) { testGetSeesBatchWhole(t, mode) })
	}
}

func testGetSeesBatchWhole(t *testing.T, mode []memory.Option) {
	ctx := context.Background()
	s := memory.New[string, int](mode...)
	defer s.Close()
	const batches, between = 5000, 32
	batch := func(i int) []kv.Entry[string, int] {
		es := []kv.Entry[string, int]{{Key: "a", Value: i}}
		for j := range between {
			es = append(es, kv.Entry[string, int]{Key: "between-" + strconv.Itoa(j), Value: i})
		}
		return append(es, kv.Entry[string, int]{Key: "b", Value: i})
	}
	if err := s.SetMany(ctx, batch(0)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= batches; i++ {
			if err := s.SetMany(ctx, batch(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	torn := 0
	for a := 0; a < batches; {
		select {
		case <-done:
			a = batches
			continue
		default:
		}
		var err error
		if a, err = s.Get(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		b, err := s.Get(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		if b < a {
			torn++
		}
	}
	<-done
	if torn > 0 {
		t.Fatalf("%d times a Get of b after a Get of a saw an earlier batch than a's: a Get saw half a batch", torn)
	}
}
