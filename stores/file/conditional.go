//go:build unix

package file

import (
	"context"
	"errors"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// The conditional writes (kv.ConditionalWriter) hold the exclusive lock
// of the entry's stripe (see lock.go) while they read the entry, compare
// and write it with the same temp file and rename as Set, so no writer in
// any process changes the entry in between. An expired entry is absent;
// a damaged one fails the call with an error wrapping kv.ErrCorrupt, and
// Delete clears it.

// conditional writes e (removes the entry when e is nil) when c holds
// for key's live entry, under the entry's exclusive lock, and reports
// whether it did.
func (s *Store) conditional(ctx context.Context, key string, c storekit.Condition, e *pendingEntry) (bool, error) {
	if err := s.gate.BeginWrite(ctx); err != nil {
		return false, err
	}
	defer s.gate.End()
	name := fileName(key)
	l, err := s.lockEntry(name, lockExclusive)
	if err != nil {
		return false, err
	}
	done, err := s.writeIf(ctx, key, c, e)
	l.unlock()
	if done && e != nil {
		s.wrote(ctx, *e)
	}
	return done, err
}

// writeIf is the part of conditional under the lock.
func (s *Store) writeIf(ctx context.Context, key string, c storekit.Condition, e *pendingEntry) (bool, error) {
	cur, err := s.get(key)
	found := err == nil
	if err != nil && !errors.Is(err, kv.ErrNotFound) {
		return false, err
	}
	if !c.Holds(cur, found) {
		return false, nil
	}
	if e == nil {
		err = s.remove(fileName(key))
	} else {
		err = s.write(ctx, *e)
	}
	return err == nil, err
}

// conditionalSet is SetIfAbsent and CompareAndSwap: value written under
// key with opts when c holds.
func (s *Store) conditionalSet(ctx context.Context, op, key string, value []byte, c storekit.Condition, opts []kv.SetOption) (bool, error) {
	e, err := s.newEntry(key, value, opts)
	if err == nil {
		var ok bool
		if ok, err = s.conditional(ctx, key, c, &e); err == nil {
			return ok, nil
		}
	}
	return false, errs.Key(op, key, err)
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
	ok, err := s.conditional(ctx, key, storekit.IfEqual(old), nil)
	if err != nil {
		return false, errs.Key("compareanddelete", key, err)
	}
	return ok, nil
}

var _ kv.ConditionalWriter[string, []byte] = (*Store)(nil)
