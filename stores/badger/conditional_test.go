package badger_test

import (
	"context"
	"errors"
	"testing"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
)

// TestConditionalWithoutConflictDetection: on a DB opened with
// DetectConflicts off the transactions cannot make a conditional write
// atomic, so the store refuses them instead of racing.
func TestConditionalWithoutConflictDetection(t *testing.T) {
	ctx := context.Background()
	s := newOn(t, openDB(t, func(o bdg.Options) bdg.Options { return o.WithDetectConflicts(false) }))
	if _, err := s.SetIfAbsent(ctx, "k", []byte("v")); !errors.Is(err, kv.ErrUnsupported) {
		t.Errorf("SetIfAbsent: %v, want kv.ErrUnsupported", err)
	}
	if _, err := kv.Update(ctx, s, "k", func([]byte, bool) ([]byte, error) { return []byte("1"), nil }); !errors.Is(err, kv.ErrUnsupported) {
		t.Errorf("kv.Update: %v, want kv.ErrUnsupported", err)
	}
	if ok, err := s.Has(ctx, "k"); ok || err != nil {
		t.Errorf("Has = %v, %v after refused writes; want false, nil", ok, err)
	}
}

// TestConditionalReadsOtherWriters: the comparison is against what
// another writer of the DB committed, outside the store.
func TestConditionalReadsOtherWriters(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	s := newOn(t, db)
	if err := s.Set(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	// A raw badger write outside the store, under the store's key.
	if err := db.Update(func(txn *bdg.Txn) error { return txn.Set([]byte("kv\x00k"), []byte("b")) }); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.CompareAndSwap(ctx, "k", []byte("a"), []byte("c")); ok || err != nil {
		t.Errorf("CompareAndSwap(a→c) over b = %v, %v; want false, nil", ok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, "k", []byte("b"), []byte("c")); !ok || err != nil {
		t.Errorf("CompareAndSwap(b→c) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := s.CompareAndDelete(ctx, "k", []byte("c")); !ok || err != nil {
		t.Errorf("CompareAndDelete(c) = %v, %v; want true, nil", ok, err)
	}
}
