// Package conditionaltest checks a backend's kv.ConditionalWriter against
// its real server until the conformance suite covers the capability: the
// absent, present and expired cases, the TTL of the written value, nil and
// empty values, and a counter that concurrent writers on several handles
// of one location increment without losing an update. Processes checks
// the same across OS processes, for the stores several processes share.
package conditionaltest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// Store is a byte store with the capability.
type Store interface {
	kv.Store[string, []byte]
	kv.ConditionalWriter[string, []byte]
}

// Run checks s, and other, a second handle on the same location (it may
// be s itself when the backend has no second handle).
func Run(t *testing.T, s, other Store) {
	t.Helper()
	ctx := t.Context()
	want(t, "SetIfAbsent on an absent key", true)(s.SetIfAbsent(ctx, "k", []byte("a")))
	want(t, "SetIfAbsent on a present key", false)(s.SetIfAbsent(ctx, "k", []byte("b")))
	wantValue(t, s, "k", "a")

	want(t, "CompareAndSwap with a wrong old value", false)(s.CompareAndSwap(ctx, "k", []byte("x"), []byte("b")))
	want(t, "CompareAndSwap on an absent key", false)(s.CompareAndSwap(ctx, "absent", nil, []byte("b")))
	want(t, "CompareAndSwap", true)(s.CompareAndSwap(ctx, "k", []byte("a"), []byte("b"), kv.WithTTL(150*time.Millisecond)))
	wantValue(t, s, "k", "b")
	time.Sleep(300 * time.Millisecond)
	if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get after the swapped value's TTL: %v; want ErrNotFound", err)
	}
	want(t, "CompareAndSwap on an expired key", false)(s.CompareAndSwap(ctx, "k", []byte("b"), []byte("c")))
	want(t, "CompareAndDelete on an expired key", false)(s.CompareAndDelete(ctx, "k", []byte("b")))
	want(t, "SetIfAbsent on an expired key", true)(s.SetIfAbsent(ctx, "k", []byte("c"), kv.WithTTL(time.Hour)))
	wantValue(t, s, "k", "c")
	if stored, err := s.SetIfAbsent(ctx, "neg", []byte("c"), kv.WithTTL(-time.Second)); !errors.Is(err, kv.ErrInvalidTTL) || stored {
		t.Fatalf("SetIfAbsent with a negative TTL = %v, %v; want ErrInvalidTTL", stored, err)
	}
	if ok, _ := s.Has(ctx, "neg"); ok {
		t.Fatal("SetIfAbsent with a negative TTL wrote the key")
	}

	// Empty and nil values are equal.
	if err := s.Set(ctx, "e", []byte{}); err != nil {
		t.Fatal(err)
	}
	want(t, "CompareAndDelete of an empty value with nil", true)(s.CompareAndDelete(ctx, "e", nil))
	want(t, "CompareAndDelete with a wrong old value", false)(s.CompareAndDelete(ctx, "k", []byte("x")))
	want(t, "CompareAndDelete", true)(s.CompareAndDelete(ctx, "k", []byte("c")))
	if ok, _ := s.Has(ctx, "k"); ok {
		t.Fatal("key present after CompareAndDelete")
	}
	Counter(t, []Store{s, other}, 8, 25)
	Race(t, []Store{s, other}, 16)
}

// Race has n goroutines, over the handles ws, SetIfAbsent one absent key
// at once, and checks that exactly one of them stored.
func Race(t *testing.T, ws []Store, n int) {
	t.Helper()
	var mu sync.Mutex
	stored := 0
	var wg sync.WaitGroup
	for g := range n {
		w := ws[g%len(ws)]
		wg.Go(func() {
			ok, err := w.SetIfAbsent(t.Context(), "race", []byte(strconv.Itoa(g)))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				stored++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if stored != 1 {
		t.Fatalf("%d of %d concurrent SetIfAbsent stored; want 1", stored, n)
	}
}

// Counter increments one key from goroutines × increments CompareAndSwap
// retry loops spread over the handles ws, and checks that the count is
// exact: a non-atomic CompareAndSwap loses updates here.
func Counter(t *testing.T, ws []Store, goroutines, increments int) {
	t.Helper()
	ctx := t.Context()
	if _, err := ws[0].SetIfAbsent(ctx, "n", []byte("0")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		w := ws[g%len(ws)]
		wg.Go(func() {
			for range increments {
				if err := increment(t, w); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	wantValue(t, ws[0], "n", strconv.Itoa(goroutines*increments))
}

func increment(t *testing.T, w Store) error {
	for {
		old, err := w.Get(t.Context(), "n")
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(string(old))
		ok, err := w.CompareAndSwap(t.Context(), "n", old, []byte(strconv.Itoa(n+1)))
		if err != nil || ok {
			return err
		}
	}
}

func want(t *testing.T, what string, w bool) func(bool, error) {
	t.Helper()
	return func(got bool, err error) {
		t.Helper()
		if err != nil || got != w {
			t.Fatalf("%s = %v, %v; want %v", what, got, err, w)
		}
	}
}

func wantValue(t *testing.T, s kv.Store[string, []byte], key, want string) {
	t.Helper()
	v, err := s.Get(t.Context(), key)
	if err != nil || string(v) != want {
		t.Fatalf("Get(%q) = %q, %v; want %q", key, v, err, want)
	}
}
