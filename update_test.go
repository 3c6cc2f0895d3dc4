package kv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

// A store without ConditionalWriter: Update and Lock refuse it rather
// than emulate it.
func TestUpdateUnsupported(t *testing.T) {
	ctx := context.Background()
	m := memory.New[string, []byte]()
	defer m.Close()
	s := struct{ kv.Store[string, []byte] }{m} // the memory store without its optional methods
	calls := 0
	_, err := kv.Update(ctx, s, "k", func([]byte, bool) ([]byte, error) { calls++; return nil, nil })
	if !errors.Is(err, kv.ErrUnsupported) || calls != 0 {
		t.Errorf("Update: %v after %d calls, want kv.ErrUnsupported before any", err, calls)
	}
	if _, err := kv.Lock(ctx, s, "k", time.Second); !errors.Is(err, kv.ErrUnsupported) {
		t.Errorf("Lock: %v, want kv.ErrUnsupported", err)
	}
}

func TestUpdateStopsOnFnError(t *testing.T) {
	s := memory.New[string, []byte]()
	defer s.Close()
	boom := errors.New("boom")
	if _, err := kv.Update(context.Background(), s, "k", func([]byte, bool) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("Update: %v, want boom", err)
	}
	if ok, _ := s.Has(context.Background(), "k"); ok {
		t.Error("Update wrote after fn failed")
	}
}

// TestLock: a second Lock waits until ctx ends while the lease is held,
// gets it once unlocked, and a stale unlock does not release the new
// holder's lease.
func TestLock(t *testing.T) {
	ctx := context.Background()
	s := memory.New[string, []byte]()
	defer s.Close()
	unlock, err := kv.Lock(ctx, s, "l", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if _, err := kv.Lock(short, s, "l", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock while held: %v, want context.DeadlineExceeded", err)
	}
	if err := unlock(ctx); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	unlock2, err := kv.Lock(ctx, s, "l", time.Minute)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	if err := unlock(ctx); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("stale unlock: %v, want kv.ErrNotFound", err)
	}
	if ok, _ := s.Has(ctx, "l"); !ok {
		t.Error("a stale unlock removed the new holder's lease")
	}
	if err := unlock2(ctx); err != nil {
		t.Errorf("unlock2: %v", err)
	}
}

// TestLockExpires: a lease that its holder never releases ends with its
// TTL.
func TestLockExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := memory.New[string, []byte]()
	defer s.Close()
	if _, err := kv.Lock(ctx, s, "l", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := kv.Lock(ctx, s, "l", time.Minute); err != nil {
		t.Fatalf("Lock after the first lease's TTL: %v", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Errorf("got the lease after %v, before the first one's TTL", d)
	}
}
