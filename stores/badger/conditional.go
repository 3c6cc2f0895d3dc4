package badger

import (
	"context"
	"errors"
	"fmt"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// The conditional writes (kv.ConditionalWriter) are each one read-write
// badger transaction: it reads the key, compares, and sets or deletes it.
// Badger's conflict detection fails the commit with badger.ErrConflict
// when another transaction (a Set, a SetMany, another conditional write,
// of this store or of any other user of the DB) committed the key after
// the read; the write then runs again from the read, up to
// conflictAttempts times, and past that fails with an error wrapping
// kv.ErrConflict. A DB opened with DetectConflicts off cannot make them
// atomic: they fail with an error wrapping kv.ErrUnsupported.

// conflictAttempts bounds the transactions one conditional write runs.
const conflictAttempts = 20

// errNoConflicts is why a DB without conflict detection has no
// conditional writes.
var errNoConflicts = fmt.Errorf("badger DetectConflicts is off: %w", kv.ErrUnsupported)

// conditional sets e (deletes key when e is nil) in one transaction, when
// c holds for key's live entry, and reports whether it did. cost is what
// the write is admitted for (see WithMinFreeSpace).
func (s *Store) conditional(ctx context.Context, key string, c storekit.Condition, e *bdg.Entry, kind writeKind, cost int64) (bool, error) {
	if err := s.gate.BeginWrite(ctx); err != nil {
		return false, err
	}
	defer s.gate.End()
	if !s.db.Opts().DetectConflicts {
		return false, errNoConflicts
	}
	if len(key) > s.lim.maxKey {
		return false, nil // never stored: only a delete gets here
	}
	if err := s.space.admit(kind, cost, time.Now()); err != nil {
		return false, err
	}
	k := s.dbKey(key)
	for range conflictAttempts {
		var done bool
		err := s.retry(ctx, func() error {
			return s.db.Update(func(txn *bdg.Txn) error {
				var err error
				done, err = writeIf(txn, k, c, e)
				return err
			})
		})
		if !errors.Is(err, bdg.ErrConflict) {
			if errors.Is(err, bdg.ErrTxnTooBig) {
				err = fmt.Errorf("%w: %v", kv.ErrTooLarge, err)
			}
			return done && err == nil, err
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("%d transactions conflicted: %w", conflictAttempts, kv.ErrConflict)
}

// writeIf is the body of the transaction of a conditional write.
func writeIf(txn *bdg.Txn, k []byte, c storekit.Condition, e *bdg.Entry) (bool, error) {
	var cur []byte
	item, err := txn.Get(k)
	found := err == nil
	if found {
		cur, _, err = read(item, time.Time{})
		if errors.Is(err, errExpired) {
			found, err = false, nil
		}
	} else if errors.Is(err, bdg.ErrKeyNotFound) {
		err = nil
	}
	if err != nil || !c.Holds(cur, found) {
		return false, err
	}
	if e == nil {
		return true, txn.Delete(k)
	}
	// Committing changes the entry: each attempt gets a fresh copy.
	attempt := *e
	return true, txn.SetEntry(&attempt)
}

// conditionalSet is SetIfAbsent and CompareAndSwap: value written under
// key with opts when c holds.
func (s *Store) conditionalSet(ctx context.Context, op, key string, value []byte, c storekit.Condition, opts []kv.SetOption) (bool, error) {
	o, err := kv.NewSetOptions(time.Now(), opts...)
	if err != nil {
		return false, errs.Key(op, key, err)
	}
	e, err := s.entry(key, value, o.ExpiresAt)
	if err != nil {
		return false, errs.Key(op, key, err)
	}
	ok, err := s.conditional(ctx, key, c, &e, kindWrite, writeCost(1, int64(len(e.Key)+len(e.Value))))
	if err != nil {
		return false, errs.Key(op, key, err)
	}
	return ok, nil
}

// SetIfAbsent stores value under key only when the key is absent or
// expired, and reports whether it did.
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	return s.conditionalSet(ctx, "setifabsent", key, value, storekit.IfAbsent(), opts)
}

// CompareAndSwap replaces the value of key with new only when key is
// present with value old, and reports whether it did.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	return s.conditionalSet(ctx, "compareandswap", key, new, storekit.IfEqual(old), opts)
}

// CompareAndDelete removes key only when it is present with value old, and
// reports whether it did.
func (s *Store) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	ok, err := s.conditional(ctx, key, storekit.IfEqual(old), nil, kindDelete, writeCost(1, int64(len(s.prefix)+len(key))))
	if err != nil {
		return false, errs.Key("compareanddelete", key, err)
	}
	return ok, nil
}

var _ kv.ConditionalWriter[string, []byte] = (*Store)(nil)
