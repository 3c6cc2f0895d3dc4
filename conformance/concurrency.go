package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kvkit/kv"
)

const (
	writers    = 8
	ownKeys    = 50 // per writer
	sharedKeys = 10 // written by every writer
)

// testConcurrent runs writers that each write keys of their own and all
// write a set of shared keys, while reading, counting and iterating. Own
// keys must end as their writer left them; shared keys must end holding
// one writer's whole value, never a mix. It samples races; -race finds
// them.
func testConcurrent(t *testing.T, h *harness) {
	runConcurrent(t, h, h.store())
}

// testSharedConcurrent runs the writers of testConcurrent over two handles
// on one location, alternately: file locks, busy databases and
// read-modify-write races between handles show here.
func testSharedConcurrent(t *testing.T, h *harness) {
	h.needs("SharedHandles", h.caps.SharedHandles)
	runConcurrent(t, h, h.store(), h.store())
}

// runConcurrent runs the writers, writer w on handle w%len(handles), and
// checks the final state through every handle.
func runConcurrent(t *testing.T, h *harness, handles ...store) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			if err := concurrentWriter(h, handles[w%len(handles)], w); err != nil {
				t.Errorf("writer %d: %v", w, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	s := handles[0]
	want := make(map[string][]byte)
	for w := range writers {
		for i := 0; i < ownKeys; i += 2 { // odd ones were deleted
			want[ownKey(w, i)] = ownValue(w, i)
		}
	}
	for i := range sharedKeys {
		k := sharedKey(i)
		v, err := s.Get(h.ctx, k)
		if err != nil {
			t.Errorf("Get(%q) after all writers finished: %v", k, err)
			continue
		}
		if !isSharedValue(v, i) {
			t.Errorf("Get(%q) = %s: not one writer's value (a torn or lost write)", k, qv(v))
		}
		want[k] = v
	}
	for _, s := range handles {
		wantContents(t, h.ctx, s, want)
	}
}

func ownKey(w, i int) string      { return fmt.Sprintf("w%d/own-%03d", w, i) }
func ownValue(w, i int) []byte    { return fmt.Appendf(nil, "writer %d value %d", w, i) }
func sharedKey(i int) string      { return fmt.Sprintf("shared-%02d", i) }
func sharedValue(w, i int) []byte { return bytes.Repeat([]byte{byte('a' + w)}, 100+i) }

// isSharedValue reports whether v is sharedValue(w, i) for some writer w.
func isSharedValue(v []byte, i int) bool {
	return len(v) == 100+i && v[0] >= 'a' && v[0] < 'a'+writers && bytes.Count(v, v[:1]) == len(v)
}

// concurrentWriter is one goroutine of testConcurrent. It must not stop the
// test (t.Fatal is for the test's goroutine), so it returns its first
// error.
func concurrentWriter(h *harness, s store, w int) error {
	ctx := h.ctx
	for i := range ownKeys {
		k := ownKey(w, i)
		if err := s.Set(ctx, k, ownValue(w, i)); err != nil {
			return fmt.Errorf("Set(%q): %w", k, err)
		}
		v, err := s.Get(ctx, k)
		if err != nil {
			return fmt.Errorf("Get(%q) right after Set: %w", k, err)
		}
		if !bytes.Equal(v, ownValue(w, i)) {
			return fmt.Errorf("Get(%q) right after Set = %s", k, diffBytes(v, ownValue(w, i)))
		}
		sk := sharedKey(i % sharedKeys)
		if err := s.Set(ctx, sk, sharedValue(w, i%sharedKeys)); err != nil {
			return fmt.Errorf("Set(%q): %w", sk, err)
		}
		sk = sharedKey((i + w) % sharedKeys)
		v, err = s.Get(ctx, sk)
		switch {
		case errors.Is(err, kv.ErrNotFound):
		case err != nil:
			return fmt.Errorf("Get(%q): %w", sk, err)
		case !isSharedValue(v, (i+w)%sharedKeys):
			return fmt.Errorf("Get(%q) = %s: not one writer's value (a torn write)", sk, qv(v))
		}
		if i%2 == 1 {
			if err := s.Delete(ctx, k); err != nil {
				return fmt.Errorf("Delete(%q): %w", k, err)
			}
			if ok, err := s.Has(ctx, k); err != nil || ok {
				return fmt.Errorf("Has(%q) right after Delete = %v, %v", k, ok, err)
			}
		}
		if i%10 == 0 {
			if _, err := s.Len(ctx); err != nil {
				return fmt.Errorf("Len: %w", err)
			}
			keys, err, problem := drain(s.Keys(ctx))
			if err != nil || problem != nil {
				return fmt.Errorf("Keys: %v (%v)", err, problem)
			}
			seen := make(map[string]bool, len(keys))
			for _, k := range keys {
				if seen[k] {
					return fmt.Errorf("Keys yielded %q twice while others wrote", k)
				}
				seen[k] = true
			}
			// This writer's own keys are not written by anyone else, so
			// Keys must show exactly what it left so far.
			for j := 0; j <= i; j++ {
				if want := j%2 == 0; seen[ownKey(w, j)] != want {
					return fmt.Errorf("Keys while others wrote: %q yielded = %v, want %v",
						ownKey(w, j), !want, want)
				}
			}
		}
	}
	return nil
}
