package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// testContext calls every method with a cancelled context: each must
// return (or yield) an error wrapping context.Canceled, and none may write.
func testContext(t *testing.T, h *harness) {
	s := h.store()
	want := map[string][]byte{"a": []byte("1"), "b": []byte("2")}
	for _, k := range sortedKeys(want) {
		mustSet(t, h.ctx, s, k, want[k])
	}
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	check := func(op string, err error) {
		t.Helper()
		switch {
		case err == nil:
			t.Errorf("%s with a cancelled context: no error", op)
		case !errors.Is(err, context.Canceled):
			t.Errorf("%s with a cancelled context: %v, want an error wrapping context.Canceled", op, err)
		}
	}
	_, err := s.Get(ctx, "a")
	check("Get", err)
	_, err = s.Has(ctx, "a")
	check("Has", err)
	_, err = s.Len(ctx)
	check("Len", err)
	check("Set of a new key", s.Set(ctx, "new", []byte("v")))
	check("Set of an existing key", s.Set(ctx, "a", []byte("changed")))
	if h.caps.TTL {
		check("Set with a TTL", s.Set(ctx, "b", []byte("2"), kv.WithTTL(time.Hour)))
	}
	check("Delete", s.Delete(ctx, "a"))
	check("Clear", s.Clear(ctx))
	_, err, _ = drain(s.Keys(ctx))
	check("Keys", err)
	_, err, _ = drain(s.All(ctx))
	check("All", err)
	_, err = kv.GetMany(ctx, s, []string{"a", "b"})
	check("GetMany", err)
	check("SetMany", kv.SetMany(ctx, s, []kv.Entry[string, []byte]{
		{Key: "new", Value: []byte("v")}, {Key: "a", Value: []byte("changed")},
	}))
	check("DeleteMany", kv.DeleteMany(ctx, s, []string{"a", "b"}))
	_, err, _ = drain(kv.Scan(ctx, s, ""))
	check("Scan", err)
	emptyBatches(ctx, s, check)

	// Nothing was written.
	wantContents(t, h.ctx, s, want)
	entries := allEntries(t, h.ctx, s)
	for k := range entries {
		wantExpiresAt(t, entries, k, time.Time{}, 0)
	}
}

// emptyBatches calls the store's own batch methods, when it has them, with
// an empty batch, and passes what each returns to check: an empty batch is
// still a call, and must fail after Close or with a done context like any
// other. (The helpers of package kv cannot know for a store without them:
// their fallback of no calls returns nil.)
func emptyBatches(ctx context.Context, s store, check func(op string, err error)) {
	if b, ok := s.(kv.BatchGetter[string, []byte]); ok {
		_, err := b.GetMany(ctx, nil)
		check("GetMany of no keys", err)
	}
	if b, ok := s.(kv.BatchSetter[string, []byte]); ok {
		check("SetMany of no entries", b.SetMany(ctx, nil))
	}
	if b, ok := s.(kv.BatchDeleter[string]); ok {
		check("DeleteMany of no keys", b.DeleteMany(ctx, nil))
	}
}

func (s *suite) close(t *testing.T) {
	t.Run("AfterClose", s.test(testAfterClose))
	t.Run("WhileBusy", s.test(testCloseWhileBusy))
}

// testAfterClose checks that after Close every method fails with
// kv.ErrClosed (the iterators yield it), that a second Close is fine, and,
// when the store is persistent, that the failed calls wrote nothing.
func testAfterClose(t *testing.T, h *harness) {
	s := h.store()
	mustSet(t, h.ctx, s, "a", []byte("1"))
	if err := closePromptly(s); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, kv.ErrClosed) {
			t.Errorf("%s after Close: %v, want an error wrapping kv.ErrClosed", op, err)
		}
	}
	_, err := s.Get(h.ctx, "a")
	check("Get", err)
	_, err = s.Has(h.ctx, "a")
	check("Has", err)
	_, err = s.Len(h.ctx)
	check("Len", err)
	check("Set", s.Set(h.ctx, "b", []byte("2")))
	check("Delete", s.Delete(h.ctx, "a"))
	check("Clear", s.Clear(h.ctx))
	keys, err, problem := drain(s.Keys(h.ctx))
	check("Keys", err)
	if problem != nil || len(keys) > 0 {
		t.Errorf("Keys after Close yielded %d keys before its error (problem: %v)", len(keys), problem)
	}
	entries, err, problem := drain(s.All(h.ctx))
	check("All", err)
	if problem != nil || len(entries) > 0 {
		t.Errorf("All after Close yielded %d entries before its error (problem: %v)", len(entries), problem)
	}
	_, err = kv.GetMany(h.ctx, s, []string{"a"})
	check("GetMany", err)
	check("SetMany", kv.SetMany(h.ctx, s, []kv.Entry[string, []byte]{{Key: "b", Value: []byte("2")}}))
	check("DeleteMany", kv.DeleteMany(h.ctx, s, []string{"a"}))
	_, err, _ = drain(kv.Scan(h.ctx, s, ""))
	check("Scan", err)
	emptyBatches(h.ctx, s, check)

	if h.caps.Persistent {
		wantContents(t, h.ctx, h.store(), map[string][]byte{"a": []byte("1")})
	}
}

func (s *suite) persistence(t *testing.T) {
	t.Run("Reopen", s.test(testReopen))
	t.Run("ReopenTTL", s.test(testReopenTTL))
}

// testReopen checks that what one handle wrote and closed is what the next
// handle on the location finds, twice over.
func testReopen(t *testing.T, h *harness) {
	h.needs("Persistent", h.caps.Persistent)
	s := h.store()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	want := map[string][]byte{
		"plain":       []byte("value"),
		"binary":      all,
		"empty":       {},
		"../odd/key":  []byte("odd"),
		"overwritten": []byte("new"),
	}
	mustSet(t, h.ctx, s, "overwritten", []byte("old"))
	mustSet(t, h.ctx, s, "deleted", []byte("gone"))
	for _, k := range sortedKeys(want) {
		mustSet(t, h.ctx, s, k, want[k])
	}
	if err := s.Delete(h.ctx, "deleted"); err != nil {
		t.Fatal(err)
	}
	if err := closePromptly(s); err != nil {
		t.Fatal(err)
	}

	s = h.store()
	wantContents(t, h.ctx, s, want)
	mustSet(t, h.ctx, s, "second", []byte("generation"))
	if err := s.Delete(h.ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	want["second"] = []byte("generation")
	delete(want, "plain")
	if err := closePromptly(s); err != nil {
		t.Fatal(err)
	}

	wantContents(t, h.ctx, h.store(), want)
}

// testReopenTTL checks that expiry times survive reopening, and are still
// enforced after it.
func testReopenTTL(t *testing.T, h *harness) {
	h.needs("Persistent", h.caps.Persistent)
	h.needs("TTL", h.caps.TTL)
	s := h.store()
	ttl := h.ttl()
	before := time.Now()
	mustSet(t, h.ctx, s, "long", []byte("1"), kv.WithTTL(time.Hour))
	after := time.Now()
	mustSet(t, h.ctx, s, "short", []byte("2"), kv.WithTTL(ttl))
	mustSet(t, h.ctx, s, "never", []byte("3"))
	mustSet(t, h.ctx, s, "past", []byte("4"), kv.WithExpiresAt(before.Add(-time.Hour)))
	if err := closePromptly(s); err != nil {
		t.Fatal(err)
	}

	s = h.store()
	entries := allEntries(t, h.ctx, s)
	slack := h.caps.TTLResolution + after.Sub(before)
	wantExpiresAt(t, entries, "long", before.Add(after.Sub(before)/2).Add(time.Hour), slack)
	wantExpiresAt(t, entries, "never", time.Time{}, 0)
	if _, ok := entries["past"]; ok {
		t.Error("an entry that expired before the store was closed is yielded after reopening")
	}
	h.sleepPastExpiry(before, ttl)
	wantContents(t, h.ctx, s, map[string][]byte{"long": []byte("1"), "never": []byte("3")})
}

func (s *suite) sharedHandles(t *testing.T) {
	t.Run("Visibility", s.test(testSharedHandles))
	t.Run("Concurrent", s.test(testSharedConcurrent))
}

// testSharedHandles opens two handles on one location at once and checks
// that each sees the other's writes, deletes and clears, and that closing
// one leaves the other working.
func testSharedHandles(t *testing.T, h *harness) {
	h.needs("SharedHandles", h.caps.SharedHandles)
	a, b := h.store(), h.store()
	mustSet(t, h.ctx, a, "k", []byte("from a"))
	wantValue(t, h.ctx, b, "k", []byte("from a"))
	mustSet(t, h.ctx, b, "k", []byte("from b"))
	wantValue(t, h.ctx, a, "k", []byte("from b"))
	if err := b.Delete(h.ctx, "k"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, h.ctx, a, "k")

	if h.caps.TTL {
		start := time.Now()
		mustSet(t, h.ctx, a, "ttl", []byte("v"), kv.WithTTL(time.Hour))
		wantExpiresAt(t, allEntries(t, h.ctx, b), "ttl", start.Add(time.Hour),
			h.caps.TTLResolution+time.Since(start))
	}

	want := fill(t, h.ctx, a, "k-", 10)
	if h.caps.TTL {
		want["ttl"] = []byte("v")
	}
	wantContents(t, h.ctx, b, want)
	if err := b.Clear(h.ctx); err != nil {
		t.Fatal(err)
	}
	wantContents(t, h.ctx, a, nil)

	mustSet(t, h.ctx, a, "survivor", []byte("v"))
	if err := closePromptly(a); err != nil {
		t.Fatal(err)
	}
	mustSet(t, h.ctx, b, "after", []byte("close of a"))
	wantContents(t, h.ctx, b, map[string][]byte{"survivor": []byte("v"), "after": []byte("close of a")})
}

// testCloseWhileBusy closes the store while goroutines are using it. A call
// in flight during Close may fail in any way, but nothing may panic, race
// (under -race) or hang, and every call that starts after Close returned
// fails with kv.ErrClosed.
func testCloseWhileBusy(t *testing.T, h *harness) {
	s := h.store()
	want := fill(t, h.ctx, s, "k", 20)
	keys := sortedKeys(want)
	var closed atomic.Bool
	errs := make(chan error, busyGoroutines)
	var wg sync.WaitGroup
	for g := range busyGoroutines {
		wg.Go(func() {
			for i := g; ; i++ {
				after := closed.Load()
				k := keys[i%len(keys)]
				var op string
				var err error
				switch i % 5 {
				case 0:
					op, err = "Set", s.Set(h.ctx, k, []byte("v"))
				case 1:
					op = "Get"
					_, err = s.Get(h.ctx, k)
				case 2:
					op = "Keys"
					_, err, _ = drain(s.Keys(h.ctx))
				case 3:
					op = "All"
					_, err, _ = drain(s.All(h.ctx))
				case 4:
					op = "Has"
					_, err = s.Has(h.ctx, k)
				}
				if after {
					if !errors.Is(err, kv.ErrClosed) {
						errs <- fmt.Errorf("%s after Close returned: %v, want an error wrapping kv.ErrClosed", op, err)
					}
					return
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	if err := closePromptly(s); err != nil {
		t.Errorf("while other goroutines use the store: %v", err)
	}
	closed.Store(true)
	if err := within(prompt, "calls in flight during Close", func() error { wg.Wait(); return nil }); err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// busyGoroutines is how many goroutines testCloseWhileBusy runs.
const busyGoroutines = 4
