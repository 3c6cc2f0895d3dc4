package sqlite

import (
	"context"
	"database/sql"

	"github.com/kvkit/kv"
)

// The conditional writes (kv.ConditionalWriter) are each one statement, so
// SQLite's write lock makes them atomic across handles and processes:
// SetIfAbsent an upsert whose update only replaces an expired row,
// CompareAndSwap and CompareAndDelete an UPDATE or DELETE whose WHERE
// holds the key, the old value (compared as BLOBs, byte for byte) and the
// expiry. A row changed reports true.

// conditionalQueries are the statements of one table.
type conditionalQueries struct{ setIfAbsent, compareAndSwap, compareAndDelete string }

func newConditionalQueries(table string) conditionalQueries {
	t := `"` + table + `"`
	live := `(expires IS NULL OR expires > ?)`
	return conditionalQueries{
		setIfAbsent: `INSERT INTO ` + t + ` (key, value, expires) VALUES (?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires
	WHERE expires IS NOT NULL AND expires <= ?`,
		compareAndSwap:   `UPDATE ` + t + ` SET value = ?, expires = ? WHERE key = ? AND value = ? AND ` + live,
		compareAndDelete: `DELETE FROM ` + t + ` WHERE key = ? AND value = ? AND ` + live,
	}
}

// conditionalStmts are the conditional statements prepared on the
// writer.
type conditionalStmts struct{ setIfAbsent, compareAndSwap, compareAndDelete *sql.Stmt }

// changed runs a conditional statement and reports whether it changed a
// row.
func (s *Store) changed(ctx context.Context, op, key string, st *sql.Stmt, args ...any) (bool, error) {
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return false, errs.Key(op, key, s.classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, errs.Key(op, key, s.classify(err))
	}
	return n > 0, nil
}

// writeOptions checks what a conditional write of value needs before it
// runs: an open store, valid options, a size SQLite holds.
func (s *Store) writeOptions(ctx context.Context, op, key string, value []byte, opts []kv.SetOption) (kv.SetOptions, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return kv.SetOptions{}, errs.Key(op, key, err)
	}
	o, err := s.opt.now.SetOptions(opts...)
	if err != nil {
		return o, errs.Key(op, key, err)
	}
	if len(key)+len(value) > maxEntrySize {
		return o, errs.Key(op, key, kv.ErrTooLarge)
	}
	return o, nil
}

// SetIfAbsent stores value under key only when the key is absent or
// expired, and reports whether it did.
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	o, err := s.writeOptions(ctx, "setifabsent", key, value, opts)
	if err != nil {
		return false, err
	}
	return s.changed(ctx, "setifabsent", key, s.cond.setIfAbsent,
		keyArg(key), valueArg(value), expiresArg(o.ExpiresAt), s.now())
}

// CompareAndSwap replaces the value of key with new only when key is
// present with value old, and reports whether it did.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	o, err := s.writeOptions(ctx, "compareandswap", key, new, opts)
	if err != nil {
		return false, err
	}
	return s.changed(ctx, "compareandswap", key, s.cond.compareAndSwap,
		valueArg(new), expiresArg(o.ExpiresAt), keyArg(key), valueArg(old), s.now())
}

// CompareAndDelete removes key only when it is present with value old, and
// reports whether it did.
func (s *Store) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return false, errs.Key("compareanddelete", key, err)
	}
	return s.changed(ctx, "compareanddelete", key, s.cond.compareAndDelete, keyArg(key), valueArg(old), s.now())
}
