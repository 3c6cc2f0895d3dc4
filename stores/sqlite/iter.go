package sqlite

import (
	"context"
	"database/sql"
	"iter"
	"time"

	"github.com/kvkit/kv"
)

// Keys yields every key of the table that is present and not expired, each
// once, in no particular order. The query runs on a read connection of its
// own, from a snapshot taken when it starts: the loop body may write to
// the store (or to any store on the database) without waiting for the
// cursor, and those writes may or may not be seen. Breaking out of the
// loop closes the cursor. An error, Close included, is yielded and ends
// the sequence.
func (s *Store) Keys(ctx context.Context) iter.Seq2[string, error] {
	return s.keyRows(ctx, "keys", s.q.keys)
}

// ScanKeys yields, in key order, every key that starts with prefix, under
// the rules of Keys: the range query of Scan on the key column alone, so
// no value is read (kv.KeyScanner; a namespace's Keys, Len and Clear).
func (s *Store) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	end, bounded := prefixEnd(prefix)
	if bounded {
		return s.keyRows(ctx, "scan keys", s.q.keysTo, keyArg(prefix), end)
	}
	return s.keyRows(ctx, "scan keys", s.q.keysFrom, keyArg(prefix))
}

// keyRows yields the keys query returns, bounds following the time the
// liveness filter compares with.
func (s *Store) keyRows(ctx context.Context, op, query string, bounds ...any) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := s.life.Begin(ctx); err != nil {
			yield("", errs.Err(op, err))
			return
		}
		rows, err := s.db.reader.QueryContext(ctx, query, append([]any{s.now()}, bounds...)...)
		if err != nil {
			yield("", errs.Err(op, s.classify(err)))
			return
		}
		defer rows.Close()
		for rows.Next() {
			if err := s.life.Begin(ctx); err != nil {
				yield("", errs.Err(op, err))
				return
			}
			var k string
			if err := rows.Scan(&k); err != nil {
				yield("", errs.Err(op, s.classify(err)))
				return
			}
			if !yield(k, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield("", errs.Err(op, s.classify(err)))
		}
	}
}

// All yields every entry of the table that is present and not expired,
// under the rules of Keys.
func (s *Store) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.entries(ctx, "all", s.q.all)
}

// Scan yields, in key order, every entry whose key starts with prefix,
// under the rules of Keys. It is one range query on the key (key >= prefix
// and key < the first byte string after every string with that prefix),
// so it reads only the matching rows; keys compare as bytes.
func (s *Store) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	end, bounded := prefixEnd(prefix)
	if bounded {
		return s.entries(ctx, "scan", s.q.scanTo, keyArg(prefix), end)
	}
	return s.entries(ctx, "scan", s.q.scanFrom, keyArg(prefix))
}

// prefixEnd returns the least byte string greater than every string that
// starts with prefix, and false when there is none (prefix is empty or all
// 0xff bytes).
func prefixEnd(prefix string) ([]byte, bool) {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1], true
		}
	}
	return nil, false
}

func (s *Store) entries(ctx context.Context, op, query string, bounds ...any) iter.Seq2[kv.Entry[string, []byte], error] {
	return func(yield func(kv.Entry[string, []byte], error) bool) {
		var zero kv.Entry[string, []byte]
		if err := s.life.Begin(ctx); err != nil {
			yield(zero, errs.Err(op, err))
			return
		}
		args := append([]any{s.now()}, bounds...)
		rows, err := s.db.reader.QueryContext(ctx, query, args...)
		if err != nil {
			yield(zero, errs.Err(op, s.classify(err)))
			return
		}
		defer rows.Close()
		for rows.Next() {
			if err := s.life.Begin(ctx); err != nil {
				yield(zero, errs.Err(op, err))
				return
			}
			var e kv.Entry[string, []byte]
			var exp sql.NullInt64
			if err := rows.Scan(&e.Key, &e.Value, &exp); err != nil {
				yield(zero, errs.Err(op, s.classify(err)))
				return
			}
			if e.Value == nil {
				e.Value = []byte{}
			}
			if exp.Valid {
				e.ExpiresAt = time.Unix(0, exp.Int64)
				// The query filtered on the time it started; a long loop
				// must not hand out what expired since.
				if s.opt.now.Expired(e.ExpiresAt) {
					continue
				}
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(zero, errs.Err(op, s.classify(err)))
		}
	}
}
