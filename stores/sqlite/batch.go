package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math/bits"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// getManyChunk is how many keys one query of GetMany asks for at most,
// well under SQLite's limit on bound parameters. A smaller chunk asks for
// the next power of two of keys, the last key repeated, so that a few
// prepared statements (getManyStmts) serve every size.
const getManyChunk = 1 << (len(getManyStmts{}) - 1)

// getManyStmts are the prepared GetMany queries for 1, 2, 4, ... keys,
// prepared when first used.
type getManyStmts [10]*sql.Stmt

// getManyStmt returns the prepared query for n keys (a power of two).
func (s *Store) getManyStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	i := bits.Len(uint(n)) - 1
	s.getManyMu.Lock()
	defer s.getManyMu.Unlock()
	if s.getMany[i] != nil {
		return s.getMany[i], nil
	}
	if s.life.Closed() {
		return nil, kv.ErrClosed
	}
	st, err := s.db.reader.PrepareContext(ctx, s.q.getMany(n))
	if err != nil {
		return nil, err
	}
	s.getMany[i] = st
	return st, nil
}

// GetMany returns the values of the keys that are present and not
// expired, in one query per 512 keys. Absent keys are missing from the
// map.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, errs.Err("get many", err)
	}
	out := make(map[string][]byte, len(keys))
	now := s.now()
	args := make([]any, 0, 1+min(len(keys), getManyChunk))
	for start := 0; start < len(keys); start += getManyChunk {
		chunk := keys[start:min(start+getManyChunk, len(keys))]
		args = append(args[:0], now)
		for _, k := range chunk {
			args = append(args, keyArg(k))
		}
		n := 1 << bits.Len(uint(len(chunk)-1)) // len(chunk) rounded up to a power of two
		for len(args) < 1+n {
			args = append(args, args[len(args)-1])
		}
		if err := s.getChunk(ctx, n, args, out); err != nil {
			return nil, errs.Err("get many", s.classify(err))
		}
	}
	return out, nil
}

func (s *Store) getChunk(ctx context.Context, n int, args []any, out map[string][]byte) error {
	st, err := s.getManyStmt(ctx, n)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		if v == nil {
			v = []byte{}
		}
		out[k] = v
	}
	return rows.Err()
}

// SetMany stores every entry, each with its own ExpiresAt (zero: never),
// in one transaction: all of them are written or, on error, none. When a
// key appears more than once the last entry wins. An entry too large
// fails the call with kv.ErrTooLarge before anything is written.
func (s *Store) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("set many", err)
	}
	for _, e := range entries {
		if len(e.Key)+len(e.Value) > maxEntrySize {
			return errs.Key("set many", e.Key, kv.ErrTooLarge)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	err := s.writeTx(ctx, s.setStmt, func(st *sql.Stmt) (string, error) {
		for _, e := range entries {
			if _, err := st.ExecContext(ctx, keyArg(e.Key), valueArg(e.Value), expiresArg(e.ExpiresAt)); err != nil {
				return e.Key, err
			}
		}
		return "", nil
	})
	if err != nil {
		return s.batchFail("set many", err)
	}
	s.maybeSweep(ctx)
	return nil
}

// DeleteMany removes every key in one transaction; absent keys are not an
// error.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("delete many", err)
	}
	if len(keys) == 0 {
		return nil
	}
	err := s.writeTx(ctx, s.delStmt, func(st *sql.Stmt) (string, error) {
		for _, k := range keys {
			if _, err := st.ExecContext(ctx, keyArg(k)); err != nil {
				return k, err
			}
		}
		return "", nil
	})
	if err != nil {
		return s.batchFail("delete many", err)
	}
	return nil
}

// keyError is an error about one key of a batch.
type keyError struct {
	key string
	err error
}

func (e *keyError) Error() string { return storekit.Quote(e.key) + ": " + e.err.Error() }
func (e *keyError) Unwrap() error { return e.err }

func (s *Store) batchFail(op string, err error) error {
	var ke *keyError
	if errors.As(err, &ke) {
		return errs.Key(op, ke.key, s.classify(ke.err))
	}
	return errs.Err(op, s.classify(err))
}

// writeTx runs do in a write transaction on the writer pool, with stmt
// bound to it, and commits. Opened by Open, the transaction begins
// IMMEDIATE: it takes the write lock up front, waiting for it under the
// busy timeout, so it never fails half-way for want of the lock. do
// returns the key it failed on.
func (s *Store) writeTx(ctx context.Context, stmt *sql.Stmt, do func(*sql.Stmt) (string, error)) error {
	tx, err := s.db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	st := tx.StmtContext(ctx, stmt)
	if key, err := do(st); err != nil {
		tx.Rollback()
		return &keyError{key: key, err: txErr(ctx, err)}
	}
	return txErr(ctx, tx.Commit())
}

// txErr is err from a statement or the commit of a transaction under ctx.
// Once ctx is done, database/sql rolls the transaction back by itself, and
// what comes after fails with whatever it finds (sql.ErrTxDone, a closed
// statement, an interrupted one): the cause is ctx's, and the error wraps
// it beside err.
func txErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return errors.Join(ctx.Err(), err)
	}
	return err
}
