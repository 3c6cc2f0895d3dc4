package badger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// ErrLocked is returned (wrapped) by Open when another process holds the
// directory: badger allows one process per directory (read-only opens may
// share a directory with each other, but not with a writer).
var ErrLocked = errors.New("kv/badger: directory in use by another process")

// Store is a kv.Store[string, []byte] over a badger DB, holding the keys
// under its prefix. It implements kv.BatchGetter, kv.BatchSetter,
// kv.BatchDeleter, kv.PrefixScanner, kv.KeyScanner and
// kv.ConditionalWriter. It is safe for concurrent use.
//
// Make one with Open or New; the zero Store is not usable.
type Store struct {
	db     *bdg.DB
	owned  bool // Close closes db
	prefix []byte
	lim    limits
	log    *slog.Logger
	ratio  float64
	space  *spaceGuard // nil: writes are not checked

	// gate is held shared by every operation while it uses db, and
	// exclusively by Clear and Close.
	gate storekit.Gate
	once sync.Once

	gcStop context.CancelFunc
	gcDone chan struct{}
}

var (
	_ kv.Store[string, []byte]       = (*Store)(nil)
	_ kv.BatchGetter[string, []byte] = (*Store)(nil)
	_ kv.BatchSetter[string, []byte] = (*Store)(nil)
	_ kv.BatchDeleter[string]        = (*Store)(nil)
	_ kv.PrefixScanner[[]byte]       = (*Store)(nil)
	_ kv.KeyScanner                  = (*Store)(nil)
)

// Open opens (creating it if need be) the badger DB in directory dir, a
// leading "~" standing for the user's home directory, and returns a store
// over it that closes the DB on Close. Badger logs nothing unless
// WithLogger is given; WithBadgerOptions changes badger's other options.
//
// When another process has the directory open, the error wraps ErrLocked.
func Open(dir string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	path, err := expandHome(dir)
	if err != nil {
		return nil, errs.Key("open", dir, err)
	}
	return open(dir, path, o, false)
}

// OpenReadOnly opens the existing badger DB in directory dir for reading
// only, with badger's ReadOnly option (after WithBadgerOptions, so that
// nothing turns it off). It creates nothing: a missing directory, or one
// without badger's MANIFEST, gives an error wrapping fs.ErrNotExist.
// Every write (Set, Delete, Clear, SetMany, DeleteMany, RunGC) fails with
// an error wrapping kv.ErrReadOnly, and WithGCInterval is ignored.
//
// Badger's rules for read-only opens apply: several may share a
// directory, but not with a process that has it open for writing (the
// error wraps ErrLocked: close the writer, or read through it), and
// badger refuses a DB whose last writer did not close it cleanly until a
// writable Open has replayed it. Badger takes a shared lock on the
// directory and opens its files for reading, so a DB the process can
// read but not write can be read.
func OpenReadOnly(dir string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	path, err := expandHome(dir)
	if err != nil {
		return nil, errs.Key("open", dir, err)
	}
	if err := existingDB(path); err != nil {
		return nil, errs.Key("open", dir, err)
	}
	o.gcInterval = 0
	o.badgerOpts = append(o.badgerOpts, func(bo bdg.Options) bdg.Options { return bo.WithReadOnly(true) })
	return open(dir, path, o, true)
}

// existingDB returns nil when path is a directory holding a badger
// MANIFEST, and otherwise an error (wrapping fs.ErrNotExist when there is
// no DB there).
func existingDB(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", path)
	}
	if _, err := os.Stat(filepath.Join(path, bdg.ManifestFilename)); err != nil {
		return fmt.Errorf("%s holds no badger DB: %w", path, err)
	}
	return nil
}

// open is Open and OpenReadOnly once the path is known.
func open(dir, path string, o options, readOnly bool) (*Store, error) {
	bo := bdg.DefaultOptions(path).WithLogger(nil)
	if o.logger != nil {
		bo = bo.WithLogger(slogLogger{o.logger})
	}
	for _, f := range o.badgerOpts {
		bo = f(bo)
	}
	o.memThreshold = bo.ValueThreshold
	// Check the prefix before opening, so a bad one leaves no DB behind.
	if _, err := encodePrefix(o.prefix); err != nil {
		return nil, errs.Key("open", dir, err)
	}
	db, err := bdg.Open(bo)
	if err != nil {
		// Badger formats its lock error without wrapping the cause, so
		// its message is all there is to recognise it by;
		// TestSecondProcess checks that it still matches.
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			err = fmt.Errorf("%w: %v", ErrLocked, err)
		}
		return nil, errs.Key("open", dir, err)
	}
	s, err := newStore(db, true, o)
	if err != nil {
		_ = db.Close()
		return nil, errs.Key("open", dir, err)
	}
	if readOnly {
		s.gate.SetReadOnly()
	}
	return s, nil
}

// New returns a store over db, which the caller owns: Close does not close
// it, and the caller must not close db before closing the store. Several
// stores with different prefixes (WithPrefix) may share one DB.
func New(db *bdg.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errs.Err("new", errors.New("nil DB"))
	}
	s, err := newStore(db, false, newOptions(opts))
	if err != nil {
		return nil, errs.Err("new", err)
	}
	return s, nil
}

func newStore(db *bdg.DB, owned bool, o options) (*Store, error) {
	prefix, err := encodePrefix(o.prefix)
	if err != nil {
		return nil, err
	}
	if !(o.discardRatio > 0 && o.discardRatio < 1) {
		return nil, fmt.Errorf("GC discard ratio %v not in (0, 1)", o.discardRatio)
	}
	s := &Store{
		db:     db,
		owned:  owned,
		prefix: prefix,
		lim:    newLimits(db, len(prefix), o.memThreshold),
		log:    o.logger,
		ratio:  o.discardRatio,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.space = newSpaceGuard(db, o.minFree, s.log)
	if o.gcInterval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		s.gcStop, s.gcDone = cancel, make(chan struct{})
		go s.gcLoop(ctx, o.gcInterval)
	}
	return s, nil
}

func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") && !strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, p[1:]), nil
}

// DB returns the badger DB the store uses.
func (s *Store) DB() *bdg.DB { return s.db }

// Prefix returns the store's prefix name (see WithPrefix).
func (s *Store) Prefix() string { return string(s.prefix[:len(s.prefix)-1]) }

// MaxKeySize returns the longest key, in bytes, the store accepts: badger's
// 65000-byte limit less the prefix and its separator. Set fails with
// kv.ErrTooLarge for a longer key.
func (s *Store) MaxKeySize() int { return s.lim.maxKey }

// MaxValueSize returns the largest value, in bytes, the store accepts, with
// or without TTL: badger's ValueLogFileSize (1 GiB by default) less the
// 12-byte expiry header, or in badger's memory mode its ValueThreshold (1
// MiB by default; a store made by New on an in-memory DB assumes the
// default) less the header. Set fails with kv.ErrTooLarge for a larger
// value.
func (s *Store) MaxValueSize() int64 { return s.lim.maxValue }

const errs storekit.Backend = "badger"

// errExpired stops a read of an entry whose exact expiry has passed.
var errExpired = errors.New("expired")

// read returns the live value of item, copied, and its expiry. A zero now
// means the current time, read only for an entry that expires.
func read(item *bdg.Item, now time.Time) (value []byte, expiresAt time.Time, err error) {
	err = item.Value(func(v []byte) error {
		exp, val, err := decodeExpiry(v, item.UserMeta())
		if err != nil {
			return err
		}
		if !exp.IsZero() && now.IsZero() {
			now = time.Now()
		}
		if kv.Expired(exp, now) {
			return errExpired
		}
		value, expiresAt = append(make([]byte, 0, len(val)), val...), exp
		return nil
	})
	return value, expiresAt, err
}

// live reports whether item has not expired at now, reading its value only
// when its expiry falls within the second badger's ExpiresAt rounds to.
func live(item *bdg.Item, now time.Time) (bool, error) {
	if item.UserMeta()&metaExpires == 0 {
		return true, nil
	}
	if e := item.ExpiresAt(); e > 1 && uint64(now.Unix()) < e-1 {
		return true, nil
	}
	var ok bool
	err := item.Value(func(v []byte) error {
		exp, _, err := decodeExpiry(v, item.UserMeta())
		ok = !kv.Expired(exp, now)
		return err
	})
	return ok, err
}

// Get returns the value under key, or an error wrapping kv.ErrNotFound when
// it is absent or expired. An entry whose expiry header is damaged is
// kv.ErrCorrupt.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.gate.Begin(ctx); err != nil {
		return nil, errs.Key("get", key, err)
	}
	defer s.gate.End()
	var out []byte
	err := s.db.View(func(txn *bdg.Txn) error {
		item, err := txn.Get(s.dbKey(key))
		if err != nil {
			return err
		}
		out, _, err = read(item, time.Time{})
		return err
	})
	if errors.Is(err, bdg.ErrKeyNotFound) || errors.Is(err, errExpired) {
		err = kv.ErrNotFound
	}
	if err != nil {
		return nil, errs.Key("get", key, err)
	}
	return out, nil
}

// Has reports whether key is present and not expired.
func (s *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := s.gate.Begin(ctx); err != nil {
		return false, errs.Key("has", key, err)
	}
	defer s.gate.End()
	var ok bool
	err := s.db.View(func(txn *bdg.Txn) error {
		item, err := txn.Get(s.dbKey(key))
		if errors.Is(err, bdg.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ok, err = live(item, time.Now())
		return err
	})
	if err != nil {
		return false, errs.Key("has", key, err)
	}
	return ok, nil
}

// Set stores value under key, with the expiry the options give, as a badger
// entry with a TTL. It fails with kv.ErrTooLarge, writing nothing, when key
// or value exceeds MaxKeySize or MaxValueSize, with kv.ErrInvalidTTL for a
// negative TTL, and with an error wrapping syscall.ENOSPC, writing
// nothing, when the filesystem has too little free space left (see
// WithMinFreeSpace).
func (s *Store) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	now := time.Now()
	o, err := kv.NewSetOptions(now, opts...)
	if err != nil {
		return errs.Key("set", key, err)
	}
	e, err := s.entry(key, value, o.ExpiresAt)
	if err != nil {
		return errs.Key("set", key, err)
	}
	if err := s.gate.BeginWrite(ctx); err != nil {
		return errs.Key("set", key, err)
	}
	defer s.gate.End()
	if err := s.space.admit(kindWrite, writeCost(1, int64(len(e.Key)+len(e.Value))), now); err != nil {
		return errs.Key("set", key, err)
	}
	err = s.retry(ctx, func() error {
		// Committing changes the entry (it appends the version to the
		// key): give each attempt a fresh copy.
		attempt := e
		return s.db.Update(func(txn *bdg.Txn) error { return txn.SetEntry(&attempt) })
	})
	if errors.Is(err, bdg.ErrTxnTooBig) {
		err = fmt.Errorf("%w: %v", kv.ErrTooLarge, err)
	}
	if err != nil {
		return errs.Key("set", key, err)
	}
	return nil
}

// entry returns the badger entry for key and value, or an error wrapping
// kv.ErrTooLarge when it does not fit.
func (s *Store) entry(key string, value []byte, expiresAt time.Time) (bdg.Entry, error) {
	stored, meta, exp := encodeValue(value, expiresAt)
	if err := s.lim.check(len(key), len(value), len(stored)); err != nil {
		return bdg.Entry{}, err
	}
	return bdg.Entry{Key: s.dbKey(key), Value: stored, UserMeta: meta, ExpiresAt: exp}, nil
}

// Delete removes key; an absent key is not an error. Deleting writes a
// tombstone, so on a full disk Delete too fails with an error wrapping
// syscall.ENOSPC, but only once the free space falls below the reserve,
// after Set has stopped writing (see WithMinFreeSpace).
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.gate.BeginWrite(ctx); err != nil {
		return errs.Key("delete", key, err)
	}
	defer s.gate.End()
	if len(key) > s.lim.maxKey {
		return nil // never stored
	}
	k := s.dbKey(key)
	if err := s.space.admit(kindDelete, writeCost(1, int64(len(k))), time.Now()); err != nil {
		return errs.Key("delete", key, err)
	}
	err := s.retry(ctx, func() error {
		return s.db.Update(func(txn *bdg.Txn) error { return txn.Delete(k) })
	})
	if err != nil {
		return errs.Key("delete", key, err)
	}
	return nil
}

// Clear removes every key under the store's prefix with badger's
// DropPrefix, which also frees their space, and leaves other prefixes
// alone. This store's other calls wait until it is done. While it runs,
// badger refuses writes to the whole DB: writes of other stores of this
// package on the same DB retry until it is done, but other writers of a
// shared DB may see badger.ErrBlockedWrites. DropPrefix flushes the
// memtable and rewrites tables that also hold other keys, so Clear checks
// free space as Delete does.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.gate.BeginExclusiveWrite(ctx); err != nil {
		return errs.Err("clear", err)
	}
	defer s.gate.EndExclusive()
	if s.db.Opts().ReadOnly {
		// DropPrefix panics in read-only mode.
		return errs.Err("clear", bdg.ErrReadOnlyTxn)
	}
	if err := s.space.admit(kindDelete, requestCost, time.Now()); err != nil {
		return errs.Err("clear", err)
	}
	if err := s.retry(ctx, func() error { return s.db.DropPrefix(s.prefix) }); err != nil {
		return errs.Err("clear", err)
	}
	return nil
}

// retry runs write until it does not fail with badger.ErrBlockedWrites,
// which badger returns while a DropPrefix (another store's Clear) runs.
func (s *Store) retry(ctx context.Context, write func() error) error {
	wait := time.Millisecond
	for {
		err := write()
		if !errors.Is(err, bdg.ErrBlockedWrites) || s.db.IsClosed() {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 10*time.Millisecond)
	}
}

// Close stops the GC goroutine, if any, waiting for it, and closes the DB
// when Open opened it. Calls after the first return nil; every other
// method then fails with kv.ErrClosed.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		if s.gcStop != nil {
			s.gcStop()
		}
		// Refuse new calls and wait for those under way.
		s.gate.Close()
		if s.gcDone != nil {
			<-s.gcDone
		}
		if s.owned {
			if e := s.db.Close(); e != nil {
				err = errs.Err("close", e)
			}
		}
	})
	return err
}
