package kv_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

// plain hides every optional capability of the store it wraps, so the
// helpers must take their fallback path.
type plain struct{ kv.Store[string, []byte] }

// counting counts the calls a batch helper makes to the plain methods.
type counting struct {
	kv.Store[string, []byte]
	gets, sets, deletes int
}

func (c *counting) Get(ctx context.Context, k string) ([]byte, error) {
	c.gets++
	return c.Store.Get(ctx, k)
}

func (c *counting) Set(ctx context.Context, k string, v []byte, opts ...kv.SetOption) error {
	c.sets++
	return c.Store.Set(ctx, k, v, opts...)
}

func (c *counting) Delete(ctx context.Context, k string) error {
	c.deletes++
	return c.Store.Delete(ctx, k)
}

func newRaw(t *testing.T) *memory.Store[string, []byte] {
	s := memory.New[string, []byte](memory.WithSweepInterval(0))
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBatchHelpersFallBackAndAgree(t *testing.T) {
	ctx := context.Background()
	soon := time.Now().Add(time.Hour)
	entries := []kv.Entry[string, []byte]{
		{Key: "a", Value: []byte("1")},
		{Key: "b", Value: []byte("2"), ExpiresAt: soon},
		{Key: "gone", Value: []byte("3"), ExpiresAt: time.Now().Add(-time.Second)},
	}
	native := newRaw(t)
	fallback := &counting{Store: plain{newRaw(t)}}
	for _, s := range []kv.Store[string, []byte]{native, fallback} {
		if err := kv.SetMany(ctx, s, entries); err != nil {
			t.Fatal(err)
		}
	}
	if fallback.sets != 3 {
		t.Fatalf("fallback SetMany made %d Set calls, want 3", fallback.sets)
	}
	keys := []string{"a", "b", "gone", "missing"}
	want := map[string][]byte{"a": []byte("1"), "b": []byte("2")}
	for name, s := range map[string]kv.Store[string, []byte]{"native": native, "fallback": fallback} {
		got, err := kv.GetMany(ctx, s, keys)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s GetMany (-want +got):\n%s", name, diff)
		}
		all, err := kv.Collect(s.All(ctx))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range all {
			if e.Key == "b" && !e.ExpiresAt.Equal(soon) {
				t.Fatalf("%s: SetMany lost the per-entry expiry: %v", name, e.ExpiresAt)
			}
		}
		if err := kv.DeleteMany(ctx, s, []string{"a", "missing"}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Has(ctx, "a"); ok {
			t.Fatalf("%s: DeleteMany left a key", name)
		}
	}
	if fallback.gets != len(keys) || fallback.deletes != 2 {
		t.Fatalf("fallback made %d gets, %d deletes; want %d, 2", fallback.gets, fallback.deletes, len(keys))
	}
}

func TestScanFallback(t *testing.T) {
	ctx := context.Background()
	s := plain{newRaw(t)}
	for _, k := range []string{"user:1", "user:2", "users", "item:1"} {
		if err := s.Set(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for e, err := range kv.Scan(ctx, s, "user:") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Key)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"user:1", "user:2"}, got); diff != "" {
		t.Fatalf("Scan (-want +got):\n%s", diff)
	}
}

func TestTypedCorruptEntries(t *testing.T) {
	ctx := context.Background()
	raw := newRaw(t)
	typed := kv.Typed(raw, kv.IntKeys[int](), kv.CBOR[Point]())
	for i := range 3 {
		if err := typed.Set(ctx, i, Point{X: i}); err != nil {
			t.Fatal(err)
		}
	}
	// A value of another format and a key that is not an integer, written
	// under the typed store's feet.
	if err := raw.Set(ctx, "1", []byte{0xff, 0xfe}); err != nil {
		t.Fatal(err)
	}
	if err := raw.Set(ctx, "not-a-number", []byte{0x80}); err != nil {
		t.Fatal(err)
	}

	if _, err := typed.Get(ctx, 1); !errors.Is(err, kv.ErrCorrupt) {
		t.Fatalf("Get of a corrupt value: err = %v, want ErrCorrupt", err)
	}
	if _, err := kv.GetMany(ctx, typed, []int{0, 1}); !errors.Is(err, kv.ErrCorrupt) {
		t.Fatalf("GetMany over a corrupt value: err = %v, want ErrCorrupt", err)
	}

	var good []int
	corrupt := 0
	for e, err := range typed.All(ctx) {
		switch {
		case errors.Is(err, kv.ErrCorrupt):
			corrupt++ // the loop goes on past a corrupt entry
		case err != nil:
			t.Fatal(err)
		default:
			good = append(good, e.Key)
		}
	}
	slices.Sort(good)
	if diff := cmp.Diff([]int{0, 2}, good); diff != "" || corrupt != 2 {
		t.Fatalf("All yielded good %v (diff %s) and %d corrupt; want [0 2] and 2", good, diff, corrupt)
	}

	corrupt = 0
	for _, err := range typed.Keys(ctx) {
		if errors.Is(err, kv.ErrCorrupt) {
			corrupt++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if corrupt != 1 {
		t.Fatalf("Keys yielded %d corrupt keys, want 1", corrupt)
	}
}

func TestTypedBreakStopsIteration(t *testing.T) {
	ctx := context.Background()
	typed := kv.Typed(newRaw(t), kv.StringKeys(), kv.String())
	for _, k := range []string{"a", "b", "c", "d"} {
		if err := typed.Set(ctx, k, k); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for range typed.All(ctx) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("loop ran %d times after break at 2", n)
	}
}

func TestTypedErrorsPassThrough(t *testing.T) {
	ctx := context.Background()
	raw := newRaw(t)
	typed := kv.Typed(raw, kv.StringKeys(), kv.JSON[int]())
	if _, err := typed.Get(ctx, "none"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("miss: err = %v, want ErrNotFound", err)
	}
	if err := typed.Set(ctx, "k", 1, kv.WithTTL(-1)); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Fatalf("negative TTL: err = %v, want ErrInvalidTTL", err)
	}
	if err := typed.Close(); err != nil {
		t.Fatal(err)
	}
	if err := typed.Set(ctx, "k", 1); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("after Close: err = %v, want ErrClosed", err)
	}
	yielded := 0
	for _, err := range typed.Keys(ctx) {
		yielded++
		if !errors.Is(err, kv.ErrClosed) {
			t.Fatalf("Keys after Close yielded %v, want ErrClosed", err)
		}
	}
	if yielded != 1 {
		t.Fatalf("Keys after Close yielded %d times, want one ErrClosed", yielded)
	}
}

func TestScanFallbackGoesPastCorrupt(t *testing.T) {
	ctx := context.Background()
	raw := newRaw(t)
	typed := kv.Typed(raw, kv.StringKeys(), kv.CBOR[Point]())
	for _, k := range []string{"p:1", "p:2", "q:1"} {
		if err := typed.Set(ctx, k, Point{X: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Set(ctx, "p:bad", []byte{0xff}); err != nil {
		t.Fatal(err)
	}
	good, corrupt := 0, 0
	for _, err := range kv.Scan(ctx, typed, "p:") {
		switch {
		case errors.Is(err, kv.ErrCorrupt):
			corrupt++
		case err != nil:
			t.Fatal(err)
		default:
			good++
		}
	}
	if good != 2 || corrupt != 1 {
		t.Fatalf("Scan over a corrupt entry: %d good, %d corrupt; want 2 and 1", good, corrupt)
	}
}
