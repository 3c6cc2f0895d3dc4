package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// maxEntrySize is the most bytes a key and value may hold together:
// SQLite's default SQLITE_MAX_LENGTH, which bounds one row, less room for
// the row's header and expiry.
const maxEntrySize = 1_000_000_000 - 64

// keyArg returns key as a BLOB argument. It is never nil, which the
// driver would bind as NULL.
func keyArg(key string) []byte {
	if key == "" {
		return []byte{}
	}
	return []byte(key)
}

// valueArg returns value as a BLOB argument, never nil.
func valueArg(value []byte) []byte {
	if value == nil {
		return []byte{}
	}
	return value
}

// expiresArg returns the expires column for t: NULL for the zero time,
// unix nanoseconds otherwise, clamped to the int64 range.
func expiresArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return nanos(t)
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func (s *Store) now() int64 { return nanos(s.opt.now()) }

const errs storekit.Backend = "sqlite"

// classify adds to an error of the database the kv sentinel it stands
// for: after Close, whatever the database said, kv.ErrClosed; for a row
// too large for SQLite, kv.ErrTooLarge.
func (s *Store) classify(err error) error {
	switch {
	case s.life.Closed():
		return fmt.Errorf("%w (%w)", kv.ErrClosed, err)
	case isTooBig(err):
		return fmt.Errorf("%w: %w", kv.ErrTooLarge, err)
	}
	return err
}

// Get returns the value under key, or an error wrapping kv.ErrNotFound when
// it is absent or expired. The value is never nil.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, errs.Key("get", key, err)
	}
	var v []byte
	err := s.getStmt.QueryRowContext(ctx, keyArg(key), s.now()).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.Key("get", key, kv.ErrNotFound)
	}
	if err != nil {
		return nil, errs.Key("get", key, s.classify(err))
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// Has reports whether key is present and not expired.
func (s *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := s.life.Begin(ctx); err != nil {
		return false, errs.Key("has", key, err)
	}
	var one int
	err := s.hasStmt.QueryRowContext(ctx, keyArg(key), s.now()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, errs.Key("has", key, s.classify(err))
	}
	return true, nil
}

// Set stores value under key, replacing any earlier value and expiry. It
// fails with kv.ErrInvalidTTL for a negative TTL and kv.ErrTooLarge when
// key and value together exceed SQLite's limit of about 1 GB, writing
// nothing either way. Concurrent Sets are committed together (see "Group
// commit" in the package doc); Set returns once its own write is
// committed, or with the error that kept it from being committed.
func (s *Store) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Key("set", key, err)
	}
	o, err := s.opt.now.SetOptions(opts...)
	if err != nil {
		return errs.Key("set", key, err)
	}
	if len(key)+len(value) > maxEntrySize {
		return errs.Key("set", key, kv.ErrTooLarge)
	}
	if err := s.commitSet(ctx, setArgs(key, value, expiresArg(o.ExpiresAt))); err != nil {
		return errs.Key("set", key, s.classify(err))
	}
	s.maybeSweep(ctx)
	return nil
}

// Delete removes key. Deleting an absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Key("delete", key, err)
	}
	if _, err := s.delStmt.ExecContext(ctx, keyArg(key)); err != nil {
		return errs.Key("delete", key, s.classify(err))
	}
	return nil
}

// Len returns the number of entries in the table that are not expired.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := s.life.Begin(ctx); err != nil {
		return 0, errs.Err("len", err)
	}
	var n int
	if err := s.db.reader.QueryRowContext(ctx, s.q.count, s.now()).Scan(&n); err != nil {
		return 0, errs.Err("len", s.classify(err))
	}
	return n, nil
}

// Clear deletes every entry of the store's table. Other tables of the
// database are untouched.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("clear", err)
	}
	if _, err := s.db.writer.ExecContext(ctx, s.q.clear); err != nil {
		return errs.Err("clear", s.classify(err))
	}
	return nil
}

// DeleteExpired deletes every expired entry of the table and returns how
// many it deleted. Expired entries are invisible either way; this frees
// their space. Writes also do it now and then (see WithSweepInterval).
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return 0, errs.Err("delete expired", err)
	}
	res, err := s.db.writer.ExecContext(ctx, s.q.deleteExpired, s.now())
	if err != nil {
		return 0, errs.Err("delete expired", s.classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, errs.Err("delete expired", s.classify(err))
	}
	return n, nil
}

// maybeSweep deletes a bounded number of expired entries when the sweep
// interval has passed since the last sweep of this store. One caller at a
// time wins the sweep; the others go on. A failure is only logged: the
// write that triggered the sweep succeeded.
func (s *Store) maybeSweep(ctx context.Context) {
	if s.opt.sweep <= 0 {
		return
	}
	now := s.now()
	last := s.lastSweep.Load()
	if now-last < int64(s.opt.sweep) || !s.lastSweep.CompareAndSwap(last, now) {
		return
	}
	res, err := s.db.writer.ExecContext(ctx, s.q.sweep, now)
	if err != nil {
		if s.opt.logger != nil && ctx.Err() == nil && !s.life.Closed() {
			s.opt.logger.LogAttrs(ctx, slog.LevelWarn, "kv/sqlite: sweep expired entries",
				slog.String("table", s.table), slog.Any("error", err))
		}
		return
	}
	if s.opt.logger != nil {
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			s.opt.logger.LogAttrs(ctx, slog.LevelDebug, "kv/sqlite: swept expired entries",
				slog.String("table", s.table), slog.Int64("deleted", n))
		}
	}
}
