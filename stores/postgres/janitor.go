package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// runJanitor deletes expired rows every janitor interval until ctx ends.
func (s *Store) runJanitor(ctx context.Context) {
	t := time.NewTicker(s.opts.janitor)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, swept, err := s.sweep(ctx, true)
		switch {
		case err != nil && ctx.Err() == nil:
			if s.opts.logger != nil {
				s.opts.logger.LogAttrs(ctx, slog.LevelWarn, "kv/postgres: delete expired rows",
					slog.String("table", s.q.table), slog.Any("error", err))
			}
		case swept && n > 0 && s.opts.logger != nil:
			s.opts.logger.LogAttrs(ctx, slog.LevelDebug, "kv/postgres: deleted expired rows",
				slog.String("table", s.q.table), slog.Int64("deleted", n))
		}
	}
}

// DeleteExpired deletes every row that has expired and returns how many
// it deleted, whether or not a janitor is sweeping the table at the same
// time. Expired rows are invisible either way; this frees their space.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return 0, s.opErr("delete expired", err)
	}
	n, _, err := s.sweep(ctx, false)
	if err != nil {
		return n, s.opErr("delete expired", err)
	}
	return n, nil
}

// sweep deletes expired rows, sweepBatch per transaction, until none is
// left or ctx ends. With exclusive, each transaction first takes the
// table's janitor lock (pg_try_advisory_xact_lock) and the sweep gives up
// at once, swept false, when another session holds it: of all the
// janitors of a table, in every process, one sweeps at a time.
func (s *Store) sweep(ctx context.Context, exclusive bool) (deleted int64, swept bool, err error) {
	key := lockKey("janitor", s.q.table)
	for {
		var n int64
		locked := true
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if exclusive {
				if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, key).Scan(&locked); err != nil || !locked {
					return err
				}
			}
			tag, err := tx.Exec(ctx, s.q.sweep, s.opts.now.Now())
			n = tag.RowsAffected()
			return err
		})
		if err != nil || !locked {
			return deleted, deleted > 0, err
		}
		deleted += n
		if n < sweepBatch {
			return deleted, true, nil
		}
	}
}
