package conformance

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/kvkit/kv"
)

// cancelAt is a context that cancels itself at its n-th look (a call of
// Err or Done, from the store or anything under it), the suite's way to
// cancel at a moment inside a call without timing: with n = 1, 2, 3, ...
// each look of a write in turn is the one that finds it cancelled.
type cancelAt struct {
	context.Context // cancelled at the n-th look

	cancel context.CancelFunc
	mu     sync.Mutex
	left   int
	looks  int // how many looks so far
}

func newCancelAt(parent context.Context, n int) *cancelAt {
	ctx, cancel := context.WithCancel(parent)
	return &cancelAt{Context: ctx, cancel: cancel, left: n}
}

func (c *cancelAt) look() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.looks++
	if c.left--; c.left == 0 {
		c.cancel()
	}
}

func (c *cancelAt) Err() error {
	c.look()
	return c.Context.Err()
}

func (c *cancelAt) Done() <-chan struct{} {
	c.look()
	return c.Context.Done()
}

// cancelled reports whether the n-th look came.
func (c *cancelAt) cancelled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left <= 0
}

// maxLooks bounds the loop of testCancelDuring: a write that looks at its
// context more often than this is tested at its first maxLooks looks.
const maxLooks = 64

// testCancelDuring: a Set or SetMany whose context is cancelled during the
// call, at each of the places where the store looks at it in turn, either
// succeeds and wrote the new value whole, or fails with an error wrapping
// context.Canceled and the entry is whole, old or new, never torn nor
// gone; and the store works after it.
func testCancelDuring(t *testing.T, h *harness) {
	s := h.store()
	// Values large enough that a write of them can be caught half done.
	n := h.caps.valueSize(32 << 10)
	next := bytes.Repeat([]byte("new!"), n/4+1)[:n]
	old := bytes.Repeat([]byte("old."), n/8+1)[:n/2]
	writes := []struct {
		name string
		keys []string
		do   func(ctx context.Context) error
	}{
		{"Set", []string{"k"}, func(ctx context.Context) error { return s.Set(ctx, "k", next) }},
		{"SetMany", []string{"a", "b"}, func(ctx context.Context) error {
			return kv.SetMany(ctx, s, []kv.Entry[string, []byte]{{Key: "a", Value: next}, {Key: "b", Value: next}})
		}},
	}
	for _, w := range writes {
		for n := 1; n <= maxLooks; n++ {
			for _, k := range w.keys {
				mustSet(t, h.ctx, s, k, old)
			}
			ctx := newCancelAt(h.ctx, n)
			err := w.do(ctx)
			wrote := checkCancelled(t, h, s, w.name, w.keys, old, next, ctx.cancelled(), err)
			ctx.cancel()
			if t.Failed() || wrote && !ctx.cancelled() {
				break // the write is over before its n-th look: later n change nothing
			}
		}
	}
	mustSet(t, h.ctx, s, "k", []byte("after"))
	wantValue(t, h.ctx, s, "k", []byte("after"))
}

// checkCancelled checks the outcome of a write of next over old under keys
// whose context was cancelled during the call (when cancelled is set) and
// reports whether it succeeded.
func checkCancelled(t *testing.T, h *harness, s store, what string, keys []string, old, next []byte, cancelled bool, err error) bool {
	t.Helper()
	switch {
	case err != nil && !cancelled:
		t.Errorf("%s before its context was cancelled: %v", what, err)
	case err != nil && !errors.Is(err, context.Canceled):
		t.Errorf("%s cancelled during the call: %v, want nil or an error wrapping context.Canceled", what, err)
	}
	for _, k := range keys {
		got, gerr := s.Get(h.ctx, k)
		switch {
		case gerr != nil:
			t.Errorf("Get(%s) after a %s cancelled during the call (%v): %v, want the old or the new value", qk(k), what, err, gerr)
		case err == nil && !bytes.Equal(got, next):
			t.Errorf("Get(%s) after a %s that succeeded = %s", qk(k), what, diffBytes(got, next))
		case !bytes.Equal(got, old) && !bytes.Equal(got, next):
			t.Errorf("Get(%s) after a %s cancelled during the call (%v) is torn: %d bytes, neither the old value nor the new", qk(k), what, err, len(got))
		}
	}
	return err == nil
}
