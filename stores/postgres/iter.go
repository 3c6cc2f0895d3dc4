package postgres

import (
	"context"
	"iter"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kvkit/kv"
)

// Keys yields every key that is present and not expired, each once, in
// the order of the primary key: bytewise key order, except that keys of
// 2 KiB or more come in the order of their first 2016 bytes and then of
// their hash (see the package doc). It reads a page of keys at a time (WithPageSize)
// with keyset pagination, key > the last key seen, each page one query
// on a pooled connection that is back in the pool before the first key
// of the page is yielded: no cursor or transaction stays open while the
// loop body runs, so the body may use the store (or hold up the loop)
// freely. Keys written or deleted during the walk may or may not be
// seen; none is yielded twice. An error, Close included, is yielded and
// ends the sequence.
func (s *Store) Keys(ctx context.Context) iter.Seq2[string, error] {
	return keysOf(s.walk(ctx, "keys", "", false))
}

// ScanKeys yields, in the order of Keys, every key that starts with
// prefix, under the rules of Keys: the range query of Scan selecting the
// key and its expiry only, so no value is read (kv.KeyScanner; a
// namespace's Keys, Len and Clear).
func (s *Store) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return keysOf(s.walk(ctx, "scan keys", prefix, false))
}

// keysOf yields the keys of a walk without values.
func keysOf(entries iter.Seq2[kv.Entry[string, []byte], error]) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range entries {
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

// Scan yields, in the order of Keys, every entry whose key starts with prefix,
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

// walk yields the live rows whose keys start with prefix, a page at a
// time: a range on the primary key from the prefix (as far as the primary
// key keeps it, see pkOf) to its successor, with the whole prefix checked
// on each key.
func (s *Store) walk(ctx context.Context, op, prefix string, values bool) iter.Seq2[kv.Entry[string, []byte], error] {
	return func(yield func(kv.Entry[string, []byte], error) bool) {
		var zero kv.Entry[string, []byte]
		lo := pkPrefix(prefix)
		end, bounded := prefixEnd(lo)
		after, inclusive := keyArg(lo), true
		for {
			if err := s.life.Begin(ctx); err != nil {
				yield(zero, s.opErr(op, err))
				return
			}
			page, last, err := s.page(ctx, values, inclusive, after, end, bounded)
			if err != nil {
				yield(zero, s.opErr(op, err))
				return
			}
			if !s.yieldPage(ctx, op, prefix, page, yield) {
				return
			}
			if len(page) < s.opts.pageSize {
				return
			}
			after, inclusive = last, false
		}
	}
}

// yieldPage yields the entries of one page that have the prefix and have
// not expired, and reports whether the walk goes on.
func (s *Store) yieldPage(ctx context.Context, op, prefix string, page []kv.Entry[string, []byte], yield func(kv.Entry[string, []byte], error) bool) bool {
	for _, e := range page {
		// A store closed, or a context done, while the loop body ran
		// ends the walk here rather than at the next page.
		if err := s.life.Begin(ctx); err != nil {
			yield(kv.Entry[string, []byte]{}, s.opErr(op, err))
			return false
		}
		// The page was filtered when it was read; a slow loop must not
		// hand out what expired since.
		if s.opts.now.Expired(e.ExpiresAt) || !strings.HasPrefix(e.Key, prefix) {
			continue
		}
		if !yield(e, nil) {
			return false
		}
	}
	return true
}

// page reads one page of walk: the rows after (from, when inclusive) the
// primary key after, before end when bounded. It returns the primary key
// of the last row, where the next page starts.
func (s *Store) page(ctx context.Context, values, inclusive bool, after, end []byte, bounded bool) ([]kv.Entry[string, []byte], []byte, error) {
	args := []any{after, s.opts.now.Now(), s.opts.pageSize}
	if bounded {
		args = append(args, end)
	}
	rows, err := s.pool.Query(ctx, s.q.page(values, inclusive, bounded), args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	out := make([]kv.Entry[string, []byte], 0, s.opts.pageSize)
	var pk []byte
	for rows.Next() {
		var (
			long, v []byte
			exp     pgtype.Timestamptz
			err     error
		)
		if values {
			err = rows.Scan(&pk, &long, &exp, &v)
		} else {
			err = rows.Scan(&pk, &long, &exp)
		}
		if err != nil {
			return nil, nil, err
		}
		e := kv.Entry[string, []byte]{Key: keyOf(pk, long)}
		if values {
			e.Value = valueArg(v)
		}
		if exp.Valid {
			e.ExpiresAt = exp.Time
		}
		out = append(out, e)
	}
	return out, pk, rows.Err()
}
