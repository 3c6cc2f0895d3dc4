package redis_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/redis"
)

// TestConditional checks the conditional writes on a standalone server
// and on a cluster: absent, present and expired keys, the TTL of the
// written value, and a counter that concurrent writers on two handles
// increment with CompareAndSwap without losing an update.
func TestConditional(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			client := newClient(t, m.option(t))
			s := newStore(t, client)
			ctx := t.Context()

			stored, err := s.SetIfAbsent(ctx, "k", []byte("a"))
			if err != nil || !stored {
				t.Fatalf("SetIfAbsent on absent key = %v, %v; want true", stored, err)
			}
			stored, err = s.SetIfAbsent(ctx, "k", []byte("b"))
			if err != nil || stored {
				t.Fatalf("SetIfAbsent on present key = %v, %v; want false", stored, err)
			}
			wantValue(t, s, "k", "a")

			if ok, err := s.CompareAndSwap(ctx, "k", []byte("x"), []byte("b")); err != nil || ok {
				t.Fatalf("CompareAndSwap with a wrong old value = %v, %v; want false", ok, err)
			}
			if ok, err := s.CompareAndSwap(ctx, "absent", nil, []byte("b")); err != nil || ok {
				t.Fatalf("CompareAndSwap on an absent key = %v, %v; want false", ok, err)
			}
			if ok, err := s.CompareAndSwap(ctx, "k", []byte("a"), []byte("b"), kv.WithTTL(150*time.Millisecond)); err != nil || !ok {
				t.Fatalf("CompareAndSwap = %v, %v; want true", ok, err)
			}
			wantValue(t, s, "k", "b")
			time.Sleep(300 * time.Millisecond)
			if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
				t.Fatalf("Get after the swapped value's TTL: %v; want ErrNotFound", err)
			}
			// The expired key counts as absent.
			if stored, err := s.SetIfAbsent(ctx, "k", []byte("c"), kv.WithTTL(time.Hour)); err != nil || !stored {
				t.Fatalf("SetIfAbsent on expired key = %v, %v; want true", stored, err)
			}
			if stored, err := s.SetIfAbsent(ctx, "gone", []byte("c"), kv.WithTTL(-time.Second)); !errors.Is(err, kv.ErrInvalidTTL) || stored {
				t.Fatalf("SetIfAbsent with a negative TTL = %v, %v; want ErrInvalidTTL", stored, err)
			}

			// Empty and nil values are equal.
			mustSet(t, s, "e", "")
			if ok, err := s.CompareAndDelete(ctx, "e", nil); err != nil || !ok {
				t.Fatalf("CompareAndDelete of an empty value with nil = %v, %v; want true", ok, err)
			}
			if ok, err := s.CompareAndDelete(ctx, "k", []byte("x")); err != nil || ok {
				t.Fatalf("CompareAndDelete with a wrong old value = %v, %v; want false", ok, err)
			}
			if ok, err := s.CompareAndDelete(ctx, "k", []byte("c")); err != nil || !ok {
				t.Fatalf("CompareAndDelete = %v, %v; want true", ok, err)
			}
			if ok, _ := s.Has(ctx, "k"); ok {
				t.Fatal("key present after CompareAndDelete")
			}

			other, err := redis.New(client, s.Name())
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			counter(t, []kv.ConditionalWriter[string, []byte]{s, other}, s)
		})
	}
}

func wantValue(t *testing.T, s kv.Store[string, []byte], key, want string) {
	t.Helper()
	v, err := s.Get(t.Context(), key)
	if err != nil || string(v) != want {
		t.Fatalf("Get(%q) = %q, %v; want %q", key, v, err, want)
	}
}

// counter increments one key from 8 goroutines × 25 increments, spread
// over the handles ws, with a CompareAndSwap retry loop, and checks that
// the count read through r is exactly 200.
func counter(t *testing.T, ws []kv.ConditionalWriter[string, []byte], r kv.Store[string, []byte]) {
	t.Helper()
	const goroutines, increments = 8, 25
	ctx := t.Context()
	if _, err := ws[0].SetIfAbsent(ctx, "n", []byte("0")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		w := ws[g%len(ws)]
		wg.Go(func() {
			for range increments {
				for {
					old, err := r.Get(ctx, "n")
					if err != nil {
						t.Error(err)
						return
					}
					n, _ := strconv.Atoi(string(old))
					ok, err := w.CompareAndSwap(ctx, "n", old, []byte(strconv.Itoa(n+1)))
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	wantValue(t, r, "n", strconv.Itoa(goroutines*increments))
}
