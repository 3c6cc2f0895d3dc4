package conformance

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kvkit/kv"
)

// readOnly runs the ReadOnly subtest: it needs Config.NewReadOnlyStore
// and is skipped without it.
func (s *suite) readOnly(t *testing.T) {
	if s.cfg.NewReadOnlyStore == nil {
		t.Skip("Config.NewReadOnlyStore is not set: the store is not tested read-only")
	}
	if !s.caps.Persistent {
		// A read-only store reads what a store closed before it wrote.
		t.Skip("the store is not Persistent: there is nothing to open read-only")
	}
	h := s.newHarness(t)
	read := openWith(t, h, s.cfg.NewReadOnlyStore)
	if h.open == nil || read == nil {
		t.Fatal("Config.NewReadOnlyStore returned a nil Opener")
	}
	testReadOnly(t, h, read)
}

// roEntries is what the ReadOnly subtest writes before it opens the
// location read-only.
var roEntries = []kv.Entry[string, []byte]{{Key: "a", Value: []byte("alpha")}, {Key: "b", Value: []byte("beta")}}

// testReadOnly: a read-only store reads what was written before, refuses
// every write (Set, Delete, Clear, and the batch and conditional writes
// it declares) with kv.ErrReadOnly, and none of them changes anything,
// for itself nor for a writable store opened afterwards.
func testReadOnly(t *testing.T, h *harness, read Opener) {
	w := h.store()
	for _, e := range roEntries {
		mustSet(t, h.ctx, w, e.Key, e.Value)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r := h.openWith(read)
	wantROEntries(t, h.ctx, r)
	for name, err := range writesOnReadOnly(h.ctx, r, h.caps) {
		if !errors.Is(err, kv.ErrReadOnly) {
			t.Errorf("%s on a read-only store: got %v, want an error wrapping kv.ErrReadOnly", name, err)
		}
	}
	wantROEntries(t, h.ctx, r)
	wantMissing(t, h.ctx, r, "new")
	if err := r.Close(); err != nil {
		t.Fatalf("Close of the read-only store: %v", err)
	}
	w = h.store()
	wantROEntries(t, h.ctx, w)
	wantMissing(t, h.ctx, w, "new")
}

// wantROEntries fails t unless s holds exactly roEntries.
func wantROEntries(t *testing.T, ctx context.Context, s store) {
	t.Helper()
	for _, e := range roEntries {
		wantValue(t, ctx, s, e.Key, e.Value)
	}
	wantLen(t, ctx, s, len(roEntries))
}

// writesOnReadOnly makes every write s has, each of which would change
// the entries of roEntries or add "new", and returns their errors by name.
func writesOnReadOnly(ctx context.Context, s store, caps Capabilities) map[string]error {
	a := roEntries[0]
	errs := map[string]error{
		"Set of a present key": s.Set(ctx, a.Key, []byte("changed")),
		"Set of a new key":     s.Set(ctx, "new", []byte("new")),
		"Delete":               s.Delete(ctx, a.Key),
		"Clear":                s.Clear(ctx),
	}
	if caps.Batch {
		errs["SetMany"] = s.(kv.BatchSetter[string, []byte]).SetMany(ctx,
			[]kv.Entry[string, []byte]{{Key: "new", Value: []byte("new")}, {Key: a.Key, Value: []byte("changed")}})
		errs["DeleteMany"] = s.(kv.BatchDeleter[string]).DeleteMany(ctx, []string{a.Key, "new"})
	}
	if caps.Conditional {
		c := s.(kv.ConditionalWriter[string, []byte])
		errs["SetIfAbsent"] = refused(c.SetIfAbsent(ctx, "new", []byte("new")))
		errs["CompareAndSwap"] = refused(c.CompareAndSwap(ctx, a.Key, a.Value, []byte("changed")))
		errs["CompareAndDelete"] = refused(c.CompareAndDelete(ctx, a.Key, a.Value))
	}
	return errs
}

// refused is the error of a conditional write that must not be done: a
// write reported done is an error of its own.
func refused(done bool, err error) error {
	if done {
		return fmt.Errorf("reported the write done (error %v)", err)
	}
	return err
}
