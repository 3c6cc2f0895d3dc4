package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kvkit/kv"
)

// GetMany returns the values of the keys that are present and not
// expired, with one SELECT ... WHERE key = ANY($1). Absent keys are
// missing from the map.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	out, err := s.getMany(ctx, keys)
	if err != nil {
		return nil, s.opErr("get many", err)
	}
	return out, nil
}

// getMany is GetMany with its errors as they come.
func (s *Store) getMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	args := make([][]byte, len(keys))
	for i, k := range keys {
		args[i], _ = pkOf(k)
	}
	rows, err := s.pool.Query(ctx, s.q.getMany, args, s.opts.now.Now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pk, long, v []byte
		if err := rows.Scan(&pk, &long, &v); err != nil {
			return nil, err
		}
		out[keyOf(pk, long)] = valueArg(v)
	}
	return out, rows.Err()
}

// SetMany stores every entry, each with its own ExpiresAt (zero: never),
// with one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE: a
// single statement, so all of them are written or, on error, none. When
// a key appears more than once the last entry wins. An entry too large
// fails the call with kv.ErrTooLarge before anything is sent.
func (s *Store) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.opErr("set many", err)
	}
	for _, e := range entries {
		if err := s.checkSize(e.Key, e.Value); err != nil {
			return s.keyErr("set many", e.Key, err)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	keys, longs, exps, vals := setManyArgs(entries)
	if _, err := s.pool.Exec(ctx, s.q.setMany, keys, longs, exps, vals); err != nil {
		return s.opErr("set many", err)
	}
	return nil
}

// setManyArgs returns the four arrays SetMany binds (primary keys, long
// keys, expiry times, values), with one element per distinct key: its
// last entry (one INSERT ... ON CONFLICT cannot touch a row twice).
func setManyArgs(entries []kv.Entry[string, []byte]) (keys, longs [][]byte, exps []pgtype.Timestamptz, vals [][]byte) {
	last := make(map[string]int, len(entries))
	for i, e := range entries {
		last[e.Key] = i
	}
	keys = make([][]byte, 0, len(last))
	longs = make([][]byte, 0, len(last))
	exps = make([]pgtype.Timestamptz, 0, len(last))
	vals = make([][]byte, 0, len(last))
	for i, e := range entries {
		if last[e.Key] != i {
			continue
		}
		pk, long := pkOf(e.Key)
		keys = append(keys, pk)
		longs = append(longs, long)
		exps = append(exps, expiresArg(e.ExpiresAt))
		vals = append(vals, valueArg(e.Value))
	}
	return keys, longs, exps, vals
}

// DeleteMany removes every key with one DELETE ... WHERE key = ANY($1);
// absent keys are not an error.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.opErr("delete many", err)
	}
	if len(keys) == 0 {
		return nil
	}
	args := make([][]byte, len(keys))
	for i, k := range keys {
		args[i], _ = pkOf(k)
	}
	if _, err := s.pool.Exec(ctx, s.q.delMany, args); err != nil {
		return s.opErr("delete many", err)
	}
	return nil
}
