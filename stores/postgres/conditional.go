package postgres

import (
	"context"

	"github.com/kvkit/kv"
)

var _ kv.ConditionalWriter[string, []byte] = (*Store)(nil)

// SetIfAbsent stores value under key with one INSERT ... ON CONFLICT DO
// UPDATE whose update applies only to a row that has expired, so a live
// entry is never replaced and an expired one counts as absent; the row
// lock PostgreSQL takes on the conflict makes it atomic against any other
// writer. A TTL is kept as Set keeps it.
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	o, err := s.beginSet(ctx, key, value, opts)
	if err != nil {
		return false, s.keyErr("setifabsent", key, err)
	}
	pk, long := pkOf(key)
	tag, err := s.pool.Exec(ctx, s.q.setIfAbsent, pk, long, expiresArg(o.ExpiresAt), valueArg(value), s.opts.now.Now())
	if err != nil {
		return false, s.keyErr("setifabsent", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CompareAndSwap replaces the value and expiry of key with one UPDATE
// ... WHERE value = old on a row that has not expired.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	o, err := s.beginSet(ctx, key, new, opts)
	if err != nil {
		return false, s.keyErr("compareandswap", key, err)
	}
	pk, _ := pkOf(key)
	tag, err := s.pool.Exec(ctx, s.q.compareAndSwap, pk, valueArg(old), expiresArg(o.ExpiresAt), valueArg(new), s.opts.now.Now())
	if err != nil {
		return false, s.keyErr("compareandswap", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CompareAndDelete removes key with one DELETE ... WHERE value = old on a
// row that has not expired.
func (s *Store) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return false, s.keyErr("compareanddelete", key, err)
	}
	pk, _ := pkOf(key)
	tag, err := s.pool.Exec(ctx, s.q.compareAndDelete, pk, valueArg(old), s.opts.now.Now())
	if err != nil {
		return false, s.keyErr("compareanddelete", key, err)
	}
	return tag.RowsAffected() == 1, nil
}
