package kv_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

// farCounter counts the calls that reach the far store of a Tiered, and
// can hold a Get between reading and returning.
type farCounter struct {
	batchStore
	gets, getManys atomic.Int64
	lastGetMany    []string
	// hold, when set, is called by Get after it read the value.
	hold func()
}

func (f *farCounter) Get(ctx context.Context, k string) ([]byte, error) {
	f.gets.Add(1)
	v, err := f.batchStore.Get(ctx, k)
	if f.hold != nil {
		f.hold()
	}
	return v, err
}

func (f *farCounter) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	f.getManys.Add(1)
	f.lastGetMany = keys
	return f.batchStore.GetMany(ctx, keys)
}

func newTiered(t *testing.T, opts ...kv.TieredOption) (tier byteStore, near, far *memory.Store[string, []byte], counter *farCounter) {
	near = memory.New[string, []byte](memory.WithMaxEntries(100))
	far = memory.New[string, []byte]()
	t.Cleanup(func() { near.Close(); far.Close() })
	counter = &farCounter{batchStore: far}
	return kv.Tiered[string, []byte](near, counter, opts...), near, far, counter
}

func mustGet(t *testing.T, s byteStore, key string) string {
	t.Helper()
	v, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v)
}

func TestTieredReadThroughAndNearHits(t *testing.T) {
	ctx := context.Background()
	tier, near, far, counter := newTiered(t)
	if err := far.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := mustGet(t, tier, "k"); got != "v" {
			t.Fatalf("Get = %q, want v", got)
		}
	}
	if n := counter.gets.Load(); n != 1 {
		t.Errorf("three Gets reached far %d times, want 1 (then near hits)", n)
	}
	if _, err := near.Get(ctx, "k"); err != nil {
		t.Errorf("the read did not fill near: %v", err)
	}
	// A miss is not remembered: each one asks far.
	for range 2 {
		if _, err := tier.Get(ctx, "none"); !errors.Is(err, kv.ErrNotFound) {
			t.Fatalf("Get(none): %v, want ErrNotFound", err)
		}
	}
	if n := counter.gets.Load(); n != 3 {
		t.Errorf("far Gets = %d, want 3", n)
	}
}

func TestTieredWriteAndDeleteThrough(t *testing.T) {
	ctx := context.Background()
	tier, near, far, _ := newTiered(t)
	soon := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := tier.Set(ctx, "k", []byte("v"), kv.WithExpiresAt(soon)); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]byteStore{"near": near, "far": far} {
		entries, err := kv.Collect(s.All(ctx))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || string(entries[0].Value) != "v" {
			t.Fatalf("%s holds %v after Set, want k=v", name, entries)
		}
		if name == "far" && !entries[0].ExpiresAt.Equal(soon) {
			t.Errorf("far's expiry = %v, want %v", entries[0].ExpiresAt, soon)
		}
		if name == "near" && entries[0].ExpiresAt.After(soon) {
			t.Errorf("near's copy expires at %v, after the entry (%v)", entries[0].ExpiresAt, soon)
		}
	}
	if err := tier.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]byteStore{"near": near, "far": far} {
		if n, err := s.Len(ctx); err != nil || n != 0 {
			t.Errorf("%s has %d entries after Delete, %v; want 0", name, n, err)
		}
	}
}

// Another writer of the far store is seen once the near copy expires,
// not before: the near TTL is the bound on staleness, and it is real.
func TestTieredStalenessIsBoundedByNearTTL(t *testing.T) {
	ctx := context.Background()
	const nearTTL = 100 * time.Millisecond
	tier, _, far, _ := newTiered(t, kv.WithNearTTL(nearTTL))
	if err := tier.Set(ctx, "k", []byte("old")); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	if err := far.Set(ctx, "k", []byte("new")); err != nil { // another writer
		t.Fatal(err)
	}
	if got := mustGet(t, tier, "k"); got != "old" && time.Since(written) < nearTTL {
		t.Fatalf("Get right after another writer = %q; the near copy should still answer", got)
	}
	time.Sleep(nearTTL + 20*time.Millisecond)
	if got := mustGet(t, tier, "k"); got != "new" {
		t.Fatalf("Get after the near TTL = %q, want new", got)
	}
}

// A fill from far that raced with a write through the Tiered is dropped,
// so the near store never goes back to a value older than the last write.
func TestTieredFillRacingAWriteIsDropped(t *testing.T) {
	ctx := context.Background()
	tier, near, far, counter := newTiered(t)
	if err := far.Set(ctx, "k", []byte("old")); err != nil {
		t.Fatal(err)
	}
	read, release := make(chan struct{}), make(chan struct{})
	counter.hold = func() { close(read); <-release }
	done := make(chan string)
	go func() {
		v, _ := tier.Get(ctx, "k") // reads "old" from far, then waits
		done <- string(v)
	}()
	<-read
	counter.hold = nil
	if err := tier.Set(ctx, "k", []byte("new")); err != nil {
		t.Fatal(err)
	}
	close(release)
	if got := <-done; got != "old" {
		t.Fatalf("the racing Get returned %q, want what it read (old)", got)
	}
	v, err := near.Get(ctx, "k")
	if err != nil || string(v) != "new" {
		t.Fatalf("near holds %q, %v after the race; want new (the stale fill dropped)", v, err)
	}
	if got := mustGet(t, tier, "k"); got != "new" {
		t.Fatalf("Get after the race = %q, want new", got)
	}
}

// GetMany answers from near what it can, asks far for the rest in one
// call, and fills near with it.
func TestTieredGetManyFillsNear(t *testing.T) {
	ctx := context.Background()
	tier, near, far, counter := newTiered(t)
	for _, k := range []string{"a", "b", "c"} {
		if err := far.Set(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	mustGet(t, tier, "a") // a is now near
	got, err := kv.GetMany(ctx, tier, []string{"a", "b", "c", "none"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"a": []byte("a"), "b": []byte("b"), "c": []byte("c")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("GetMany (-want +got):\n%s", diff)
	}
	if n := counter.getManys.Load(); n != 1 {
		t.Fatalf("far GetMany calls = %d, want 1", n)
	}
	if diff := cmp.Diff([]string{"b", "c", "none"}, counter.lastGetMany); diff != "" {
		t.Errorf("far was asked for (-want +got):\n%s", diff)
	}
	nearGot, err := kv.GetMany(ctx, near, []string{"a", "b", "c"})
	if err != nil || len(nearGot) != 3 {
		t.Errorf("near holds %d of a, b, c after GetMany, %v; want 3", len(nearGot), err)
	}
}
