package conformance

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"

	"github.com/kvkit/kv"
)

func (s *suite) iterate(t *testing.T) {
	t.Run("Complete", s.test(testIterateComplete))
	t.Run("Break", s.test(testIterateBreak))
	t.Run("Mutate", s.test(testIterateMutate))
}

// fill sets n keys with distinct values and returns them.
func fill(t *testing.T, ctx context.Context, s store, prefix string, n int) map[string][]byte {
	t.Helper()
	want := make(map[string][]byte, n)
	for i := range n {
		k := fmt.Sprintf("%s%04d", prefix, i)
		want[k] = fmt.Appendf(nil, "value of %s", k)
		mustSet(t, ctx, s, k, want[k])
	}
	return want
}

// testIterateComplete checks that Keys and All yield each of 1000 keys
// exactly once, with its value; more than one page of any backend that
// pages. And that a context cancelled in the middle of the loop ends it
// with the context's error.
func testIterateComplete(t *testing.T, h *harness) {
	s := h.store()
	want := fill(t, h.ctx, s, "key-", 1000)
	wantContents(t, h.ctx, s, want)
	// And through kv.Scan with an empty prefix, which is every entry.
	entries, err, problem := drain(kv.Scan(h.ctx, s, ""))
	if problem != nil {
		t.Errorf("Scan: %v", problem)
	}
	if err != nil {
		t.Errorf("Scan yielded an error: %v", err)
	}
	checkEntries(t, `Scan("")`, entries, want)
	wantCancelEnds(t, h, "Keys", func(ctx context.Context) iter.Seq2[string, error] { return s.Keys(ctx) })
	wantCancelEnds(t, h, "All", func(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] { return s.All(ctx) })
}

// wantCancelEnds cancels the context of an iteration over many entries
// after its first item, and checks that the sequence then ends with an
// error wrapping context.Canceled (it may first yield what it had already
// read): a loop that runs to the end as if nothing happened ignores the
// context.
func wantCancelEnds[T any](t *testing.T, h *harness, name string, seq func(context.Context) iter.Seq2[T, error]) {
	t.Helper()
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	n := 0
	var last error
	for _, err := range seq(ctx) {
		if err != nil {
			last = err
			break
		}
		n++
		cancel()
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("%s with its context cancelled after the first item: yielded %d items and then %v, want an error wrapping context.Canceled", name, n, last)
	}
}

// testIterateBreak stops iterations early, many times, and checks that
// yield is not called after it returned false, that the store still
// answers promptly afterwards (a cursor, connection or lock held by an
// abandoned iteration would block it), and that it closes promptly.
func testIterateBreak(t *testing.T, h *harness) {
	s := h.store()
	want := fill(t, h.ctx, s, "key-", 50)
	seqs := []struct {
		name string
		keys func() iter.Seq2[string, error]
		all  func() iter.Seq2[kv.Entry[string, []byte], error]
	}{
		{name: "Keys", keys: func() iter.Seq2[string, error] { return s.Keys(h.ctx) }},
		{name: "All", all: func() iter.Seq2[kv.Entry[string, []byte], error] { return s.All(h.ctx) }},
		{name: "Scan", all: func() iter.Seq2[kv.Entry[string, []byte], error] { return kv.Scan(h.ctx, s, "key-") }},
	}
	for _, seq := range seqs {
		for _, n := range []int{1, 1, 1, 2, 10, 1, 49, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1} {
			var got int
			err := within(prompt, fmt.Sprintf("%s stopped after %d items", seq.name, n), func() error {
				var problem error
				if seq.keys != nil {
					got, problem = takeN(seq.keys(), n)
				} else {
					got, problem = takeN(seq.all(), n)
				}
				return problem
			})
			if err != nil {
				t.Fatalf("%s: %v", seq.name, err)
			}
			if got != n {
				t.Fatalf("%s yielded %d items before it was stopped, want %d", seq.name, got, n)
			}
		}
	}
	err := within(prompt, "the store after iterations were stopped early", func() error {
		if err := s.Set(h.ctx, "after", []byte("break")); err != nil {
			return fmt.Errorf("Set: %w", err)
		}
		if _, err := s.Get(h.ctx, "after"); err != nil {
			return fmt.Errorf("Get: %w", err)
		}
		if err := s.Delete(h.ctx, "after"); err != nil {
			return fmt.Errorf("Delete: %w", err)
		}
		if _, err := s.Len(h.ctx); err != nil {
			return fmt.Errorf("Len: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantContents(t, h.ctx, s, want)
	if err := closePromptly(s); err != nil {
		t.Errorf("after iterations stopped early: %v", err)
	}
}

// testIterateMutate deletes and overwrites entries from inside the loop
// body, which the contract allows: an iterator must not hold a lock or the
// only connection while it yields.
func testIterateMutate(t *testing.T, h *harness) {
	s := h.store()
	want := fill(t, h.ctx, s, "key-", 100)

	var seen []kv.Entry[string, []byte]
	err := within(prompt, "All whose loop body calls Set", func() error {
		for e, err := range s.All(h.ctx) {
			if err != nil {
				return err
			}
			seen = append(seen, e)
			if err := s.Set(h.ctx, e.Key, []byte("rewritten")); err != nil {
				return fmt.Errorf("Set(%s) inside the loop: %w", qk(e.Key), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every entry was there before and after the loop, so each is seen
	// once, with the old value (a rewrite of an entry already yielded
	// cannot change what was yielded).
	checkEntries(t, "All (rewriting each entry in the loop body)", seen, want)
	for k := range want {
		want[k] = []byte("rewritten")
	}
	wantContents(t, h.ctx, s, want)

	var keys []string
	err = within(prompt, "Keys whose loop body calls Delete", func() error {
		for k, err := range s.Keys(h.ctx) {
			if err != nil {
				return err
			}
			keys = append(keys, k)
			if err := s.Delete(h.ctx, k); err != nil {
				return fmt.Errorf("Delete(%s) inside the loop: %w", qk(k), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkKeySet(t, "Keys (deleting each key in the loop body)", keys, want)
	wantContents(t, h.ctx, s, nil)
}
