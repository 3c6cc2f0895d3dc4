package postgres

import (
	"context"
	"iter"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kvkit/kv"
)

// Keys yields every key that is present and not expired, each once, in
// key order (bytewise). It reads a page of keys at a time (WithPageSize)
// with keyset pagination, key > the last key seen, each page one query
// on a pooled connection that is back in the pool before the first key
// of the page is yielded: no cursor or transaction stays open while the
// loop body runs, so the body may use the store (or hold up the loop)
// freely. Keys written or deleted during the walk may or may not be
// seen; none is yielded twice. An error, Close included, is yielded and
// ends the sequence.
func (s *Store) Keys(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range s.walk(ctx, "keys", "", false) {
			if !yield(e.Key, err) || err != nil {
				return
			}
		}
	}
}

// All yields every entry that is present and not expired, with its
// expiry, under the rules of Keys.
func (s *Store) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.walk(ctx, "all", "", true)
}

// Scan yields, in key order, every entry whose key starts with prefix,
// under the rules of Keys. Each page is one range query on the primary
// key (key >= prefix and key < the first byte string after every string
// with that prefix), so only the matching rows are read.
func (s *Store) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.walk(ctx, "scan", prefix, true)
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

// walk yields the live rows with keys from prefix on and, when the prefix
// has an end, before it, a page at a time.
func (s *Store) walk(ctx context.Context, op, prefix string, values bool) iter.Seq2[kv.Entry[string, []byte], error] {
	return func(yield func(kv.Entry[string, []byte], error) bool) {
		var zero kv.Entry[string, []byte]
		end, bounded := prefixEnd(prefix)
		after, inclusive := keyArg(prefix), true
		for {
			if err := s.check(ctx); err != nil {
				yield(zero, s.wrap(op, nil, err))
				return
			}
			page, err := s.page(ctx, values, inclusive, after, end, bounded)
			if err != nil {
				yield(zero, s.wrap(op, nil, err))
				return
			}
			for _, e := range page {
				// A store closed, or a context done, while the loop body
				// ran ends the walk here rather than at the next page.
				if err := s.check(ctx); err != nil {
					yield(zero, s.wrap(op, nil, err))
					return
				}
				// The page was filtered when it was read; a slow loop
				// must not hand out what expired since.
				if kv.Expired(e.ExpiresAt, s.opts.now()) {
					continue
				}
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < s.opts.pageSize {
				return
			}
			after, inclusive = keyArg(page[len(page)-1].Key), false
		}
	}
}

// page reads one page of walk: the rows after (from, when inclusive) the
// key after, before end when bounded.
func (s *Store) page(ctx context.Context, values, inclusive bool, after, end []byte, bounded bool) ([]kv.Entry[string, []byte], error) {
	args := []any{after, s.opts.now(), s.opts.pageSize}
	if bounded {
		args = append(args, end)
	}
	rows, err := s.pool.Query(ctx, s.q.page(values, inclusive, bounded), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]kv.Entry[string, []byte], 0, s.opts.pageSize)
	for rows.Next() {
		var (
			k, v []byte
			exp  pgtype.Timestamptz
			err  error
		)
		if values {
			err = rows.Scan(&k, &exp, &v)
		} else {
			err = rows.Scan(&k)
		}
		if err != nil {
			return nil, err
		}
		e := kv.Entry[string, []byte]{Key: string(k)}
		if values {
			e.Value = valueArg(v)
		}
		if exp.Valid {
			e.ExpiresAt = exp.Time
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
