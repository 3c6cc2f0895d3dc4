package kv_test

import (
	"context"
	"errors"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/redis"
	"github.com/redis/rueidis"
)

// farCounter counts the calls that reach the far store of a Tiered, and
// can hold a Get between reading and returning.
type farCounter struct {
	batchStore
	gets, getManys atomic.Int64
	lastGetMany    []string
	// hold, when set, is called by Get after it read the value.
	hold func()
	// holdSet, when set, is called by Set after it wrote the value.
	holdSet func()
}

func (f *farCounter) Set(ctx context.Context, k string, v []byte, opts ...kv.SetOption) error {
	err := f.batchStore.Set(ctx, k, v, opts...)
	if h := f.holdSet; h != nil {
		h()
	}
	return err
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

// Two overlapping writes of one key may reach far in either order; the
// near store must not keep the one that did not win.
func TestTieredOverlappingWritesLeaveNoStaleNearCopy(t *testing.T) {
	ctx := context.Background()
	tier, near, far, counter := newTiered(t)
	wrote, release := make(chan struct{}), make(chan struct{})
	counter.holdSet = func() { close(wrote); <-release }
	done := make(chan error)
	go func() { done <- tier.Set(ctx, "k", []byte("first")) }() // reaches far, then waits
	<-wrote
	counter.holdSet = nil
	if err := tier.Set(ctx, "k", []byte("second")); err != nil { // reaches far last
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v, err := far.Get(ctx, "k"); err != nil || string(v) != "second" {
		t.Fatalf("far holds %q, %v; want second", v, err)
	}
	if v, err := near.Get(ctx, "k"); err == nil && string(v) != "second" {
		t.Fatalf("near holds %q while far holds second", v)
	}
	if got := mustGet(t, tier, "k"); got != "second" {
		t.Fatalf("Get = %q, want second", got)
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

// Tiered passes the suite with Redis as the far store (a fresh near store
// for each open), declaring what it promises: no shared handles, since
// another handle's writes are seen only when the near copy expires.
func TestTieredConformanceRedis(t *testing.T) {
	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{testenv.Server(t, "KV_TEST_REDIS_ADDR")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	conformance.Run(t, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			far, err := redis.New(client, uniqueName(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := far.Clear(ctx); err != nil {
					t.Errorf("cleaning up: %v", err)
				}
				far.Close()
			})
			return func() (byteStore, error) {
				near := memory.New[string, []byte](memory.WithSweepInterval(0), memory.WithMaxEntries(64))
				return kv.Tiered[string, []byte](near, far), nil
			}
		},
		Capabilities: conformance.Capabilities{TTL: true, Persistent: true, Batch: true, PrefixScan: true, KeyScan: true, Conditional: true},
	})
}

// scanCounter counts the prefix scans and full scans that reach a store.
type scanCounter struct {
	batchStore
	scans, alls atomic.Int64
}

func (s *scanCounter) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	s.scans.Add(1)
	return kv.Scan(ctx, caps0{s.batchStore}, prefix)
}

func (s *scanCounter) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	s.alls.Add(1)
	return s.batchStore.All(ctx)
}

// kv.Scan over a typed store (string keys) is the prefix scan of the
// store under it, not a full scan decoding every value; over an integer
// key codec, which cannot keep prefixes, it falls back to All.
func TestTypedScanUsesTheWrappedPrefixScan(t *testing.T) {
	ctx := context.Background()
	m := memory.New[string, []byte]()
	defer m.Close()
	raw := &scanCounter{batchStore: m}
	users := kv.Typed(raw, kv.StringKeys(), kv.JSON[int]())
	for i, k := range []string{"user:1", "user:2", "order:1"} {
		if err := users.Set(ctx, k, i); err != nil {
			t.Fatal(err)
		}
	}
	got, err := kv.Collect(kv.Scan(ctx, users, "user:"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || raw.scans.Load() != 1 || raw.alls.Load() != 0 {
		t.Fatalf("Scan gave %d entries with %d prefix scans and %d full scans of the store; want 2, 1, 0",
			len(got), raw.scans.Load(), raw.alls.Load())
	}
}
