package dynamodb_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
	ddbstore "github.com/kvkit/kv/stores/dynamodb"
)

// TestConditionalChunked checks the conditional writes of values large
// enough to be stored in chunks: they are compared whole (a value that
// differs in its last byte does not match), the chunks of replaced and
// deleted values go, and of concurrent swaps of one chunked value exactly
// one wins.
func TestConditionalChunked(t *testing.T) {
	s, client := newStore(t, ddbstore.WithMaxValueSize(2<<20))
	ctx := context.Background()
	table := s.Table()

	a := randomBytes(700 << 10) // 2 chunks
	if ok, err := s.SetIfAbsent(ctx, "big", a); err != nil || !ok {
		t.Fatalf("SetIfAbsent of a chunked value = %v, %v", ok, err)
	}
	if ok, err := s.SetIfAbsent(ctx, "big", randomBytes(len(a))); err != nil || ok {
		t.Fatalf("SetIfAbsent over a chunked value = %v, %v; want false", ok, err)
	}
	if n := rawCount(t, client, table); n != 3 {
		t.Errorf("items after a refused chunked SetIfAbsent: %d, want 3 (its chunks deleted)", n)
	}
	almost := bytes.Clone(a)
	almost[len(almost)-1] ^= 1
	b := randomBytes(1<<20 + 5) // 3 chunks
	if ok, err := s.CompareAndSwap(ctx, "big", almost, b); err != nil || ok {
		t.Fatalf("CompareAndSwap with an old value differing in its last byte = %v, %v; want false", ok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, "big", a, b); err != nil || !ok {
		t.Fatalf("CompareAndSwap chunked to chunked = %v, %v", ok, err)
	}
	if got, err := s.Get(ctx, "big"); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("Get after the swap: %d bytes, %v", len(got), err)
	}
	if n := rawCount(t, client, table); n != 4 {
		t.Errorf("items after swapping 2 chunks for 3: %d, want 4", n)
	}

	// Concurrent swaps from b: exactly one wins, and only its chunks stay.
	const writers = 4
	var wg sync.WaitGroup
	wins := make(chan []byte, writers)
	for range writers {
		v := randomBytes(400 << 10)
		wg.Go(func() {
			ok, err := s.CompareAndSwap(ctx, "big", b, v)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins <- v
			}
		})
	}
	wg.Wait()
	close(wins)
	var won [][]byte
	for v := range wins {
		won = append(won, v)
	}
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent swaps of one chunked value won, want 1", len(won), writers)
	}
	if got, err := s.Get(ctx, "big"); err != nil || !bytes.Equal(got, won[0]) {
		t.Fatalf("Get after the concurrent swaps: %d bytes, %v; want the winner's", len(got), err)
	}
	if n := rawCount(t, client, table); n != 3 {
		t.Errorf("items after the concurrent swaps: %d, want 3 (the winner's head and 2 chunks)", n)
	}

	if ok, err := s.CompareAndSwap(ctx, "big", won[0], []byte("small")); err != nil || !ok {
		t.Fatalf("CompareAndSwap chunked to inline = %v, %v", ok, err)
	}
	if n := rawCount(t, client, table); n != 1 {
		t.Errorf("items after swapping a chunked value for an inline one: %d, want 1", n)
	}
	// The largest inline value is compared in the condition itself.
	near := randomBytes(379 << 10)
	if ok, err := s.CompareAndSwap(ctx, "big", []byte("small"), near); err != nil || !ok {
		t.Fatalf("CompareAndSwap to the largest inline value = %v, %v", ok, err)
	}
	if n := rawCount(t, client, table); n != 1 {
		t.Errorf("items holding a %d-byte value: %d, want 1 (inline)", len(near), n)
	}
	if ok, err := s.CompareAndSwap(ctx, "big", near, []byte("small")); err != nil || !ok {
		t.Fatalf("CompareAndSwap from the largest inline value = %v, %v", ok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, "big", []byte("small"), a, kv.WithTTL(time.Hour)); err != nil || !ok {
		t.Fatalf("CompareAndSwap inline to chunked = %v, %v", ok, err)
	}
	if ok, err := s.CompareAndDelete(ctx, "big", almost); err != nil || ok {
		t.Fatalf("CompareAndDelete of a chunked value with a wrong old value = %v, %v; want false", ok, err)
	}
	if ok, err := s.CompareAndDelete(ctx, "big", a); err != nil || !ok {
		t.Fatalf("CompareAndDelete of a chunked value = %v, %v", ok, err)
	}
	if n := rawCount(t, client, table); n != 0 {
		t.Errorf("items after CompareAndDelete of a chunked value: %d, want 0", n)
	}
}

// TestCompareInlineIsOneRequest checks that CompareAndSwap and
// CompareAndDelete with an old value that fits in one item send the
// conditional write alone, no GetItem first, whether the condition holds
// or not, and still answer right: a live equal value is swapped or
// deleted, another value or an expired one is not.
func TestCompareInlineIsOneRequest(t *testing.T) {
	s, sent := newCountingStore(t)
	ctx := t.Context()
	if err := s.Set(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "gone", []byte("a"), kv.WithExpiresAt(time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() (bool, error)
		want bool
		op   string
	}{
		{"swap of the value held", func() (bool, error) { return s.CompareAndSwap(ctx, "k", []byte("a"), []byte("b")) }, true, "PutItem"},
		{"swap of another value", func() (bool, error) { return s.CompareAndSwap(ctx, "k", []byte("a"), []byte("c")) }, false, "PutItem"},
		{"swap of an expired value", func() (bool, error) { return s.CompareAndSwap(ctx, "gone", []byte("a"), []byte("c")) }, false, "PutItem"},
		{"swap of an absent key", func() (bool, error) { return s.CompareAndSwap(ctx, "none", nil, []byte("c")) }, false, "PutItem"},
		{"delete of another value", func() (bool, error) { return s.CompareAndDelete(ctx, "k", []byte("a")) }, false, "DeleteItem"},
		{"delete of the value held", func() (bool, error) { return s.CompareAndDelete(ctx, "k", []byte("b")) }, true, "DeleteItem"},
	}
	sent.takeRequests()
	for _, c := range cases {
		got, err := c.call()
		if err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.name, got, err, c.want)
		}
		if reqs := sent.takeRequests(); len(reqs) != 1 || reqs[c.op] != 1 {
			t.Errorf("%s sent %v, want one %s", c.name, reqs, c.op)
		}
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("Get after CompareAndDelete: %v, want kv.ErrNotFound", err)
	}
}
