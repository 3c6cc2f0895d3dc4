package badger

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
)

// GetMany returns the values of the keys that are present and not expired,
// read in one read transaction. An entry whose expiry header is damaged
// fails the call with kv.ErrCorrupt.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.gate.Begin(ctx); err != nil {
		return nil, errs.Err("get many", err)
	}
	defer s.gate.End()
	out := make(map[string][]byte, len(keys))
	err := s.db.View(func(txn *bdg.Txn) error {
		now := time.Now()
		// One key buffer serves every lookup: an item refers to the key
		// it was looked up by, and each item is done with before the
		// next lookup.
		buf := bytes.Clone(s.prefix)
		for i, key := range keys {
			if i%256 == 255 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(key) > s.lim.maxKey {
				continue
			}
			buf = append(buf[:len(s.prefix)], key...)
			item, err := txn.Get(buf)
			if errors.Is(err, bdg.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return errs.Key("get many", key, err)
			}
			v, _, err := read(item, now)
			if errors.Is(err, errExpired) {
				continue
			}
			if err != nil {
				return errs.Key("get many", key, err)
			}
			out[key] = v
		}
		return nil
	})
	if err != nil {
		return nil, errs.Err("get many", err)
	}
	return out, nil
}

// SetMany writes every entry, each with its own expiry, with a badger
// WriteBatch, which splits the work into as many transactions as it needs.
// Every entry is checked first: a key or value too large fails the call
// with kv.ErrTooLarge, and a cancelled ctx with its error, before anything
// is written; so does too little free space for the whole batch, with an
// error wrapping syscall.ENOSPC (see WithMinFreeSpace). When a key appears
// twice, the last entry wins. If writing fails part way, some entries may
// have been written.
func (s *Store) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	es := make([]bdg.Entry, len(entries))
	var size int64
	for i, e := range entries {
		be, err := s.entry(e.Key, e.Value, e.ExpiresAt)
		if err != nil {
			return errs.Key("set many", e.Key, err)
		}
		es[i] = be
		size += int64(len(be.Key) + len(be.Value))
	}
	var attempt []bdg.Entry
	return s.batch(ctx, "set many", len(es), kindWrite, writeCost(len(es), size), func(wb *bdg.WriteBatch, i int) error {
		// WriteBatch keeps the entries and changes them: hand over
		// copies, so that a retry starts from the originals.
		if i == 0 {
			attempt = slices.Clone(es)
		}
		return wb.SetEntry(&attempt[i])
	})
}

// DeleteMany removes every key with a badger WriteBatch; absent keys are
// not an error. If it fails part way, some keys may have been removed.
// Like Delete, it fails with an error wrapping syscall.ENOSPC, removing
// nothing, only when the free space is below the reserve.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	var size int64
	for _, k := range keys {
		size += int64(len(s.prefix) + len(k))
	}
	return s.batch(ctx, "delete many", len(keys), kindDelete, writeCost(len(keys), size), func(wb *bdg.WriteBatch, i int) error {
		if len(keys[i]) > s.lim.maxKey {
			return nil
		}
		return wb.Delete(s.dbKey(keys[i]))
	})
}

// batch runs add for 0 <= i < n in a WriteBatch and flushes it, checking
// ctx as it goes, and starts over when badger blocks writes for another
// store's Clear. It first checks that the free space allows a write of
// kind that may allocate cost bytes.
func (s *Store) batch(ctx context.Context, op string, n int, kind writeKind, cost int64, add func(*bdg.WriteBatch, int) error) error {
	if err := s.gate.BeginWrite(ctx); err != nil {
		return errs.Err(op, err)
	}
	defer s.gate.End()
	if n == 0 {
		return nil
	}
	if err := s.space.admit(kind, cost, time.Now()); err != nil {
		return errs.Err(op, err)
	}
	err := s.retry(ctx, func() error {
		wb := s.db.NewWriteBatch()
		flushed := false
		defer func() {
			if !flushed {
				wb.Cancel()
			}
		}()
		for i := range n {
			if i%256 == 255 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := add(wb, i); err != nil {
				return err
			}
		}
		flushed = true
		return wb.Flush()
	})
	if err != nil {
		return errs.Err(op, err)
	}
	return nil
}
