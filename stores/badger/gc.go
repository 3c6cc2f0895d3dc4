package badger

import (
	"context"
	"errors"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
)

// RunGC reclaims space in badger's value log: it rewrites value log files
// in which at least the discard ratio (WithGCDiscardRatio) of the bytes
// are garbage, one file after another, until none qualifies or ctx is
// done. Garbage is what overwritten, deleted and expired entries leave
// behind, for every prefix of the DB. It returns nil when there was
// nothing to do, in badger's memory and read-only modes (no value log to
// collect), and when another collection of the same DB is running. On a
// store from OpenReadOnly it fails with an error wrapping kv.ErrReadOnly.
//
// Rewriting a file copies its live part, up to 1 - ratio of
// ValueLogFileSize, to the end of the value log before the file is
// deleted; when the free space cannot take that besides what Set must
// leave (see WithMinFreeSpace), RunGC fails with an error wrapping
// syscall.ENOSPC.
func (s *Store) RunGC(ctx context.Context) error {
	for {
		if err := s.gate.BeginWrite(ctx); err != nil {
			return errs.Err("gc", err)
		}
		live := int64(float64(s.db.Opts().ValueLogFileSize) * (1 - s.ratio))
		if err := s.space.admit(kindWrite, writeCost(0, live), time.Now()); err != nil {
			s.gate.End()
			return errs.Err("gc", err)
		}
		err := s.db.RunValueLogGC(s.ratio)
		s.gate.End()
		switch {
		case err == nil:
			continue // a file was rewritten: try the next
		case errors.Is(err, bdg.ErrNoRewrite),
			errors.Is(err, bdg.ErrGCInMemoryMode),
			errors.Is(err, bdg.ErrGCInReadOnlyMode):
			return nil
		case errors.Is(err, bdg.ErrRejected) && !s.db.IsClosed():
			return nil
		default:
			return errs.Err("gc", err)
		}
	}
}

// gcLoop runs RunGC every interval until ctx is cancelled (by Close).
func (s *Store) gcLoop(ctx context.Context, every time.Duration) {
	defer close(s.gcDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.RunGC(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("kv/badger: value log GC", "prefix", s.Prefix(), "err", err)
			}
		}
	}
}
