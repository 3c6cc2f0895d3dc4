package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// driverName is the database/sql driver modernc.org/sqlite registers.
const driverName = "sqlite"

// Store is a kv.Store[string, []byte] over one table of a SQLite database.
// It also implements kv.BatchGetter, kv.BatchSetter, kv.BatchDeleter (each
// batch in one transaction), kv.PrefixScanner (a range query on the
// key) and kv.KeyScanner (the same range on the key column alone). It is safe for concurrent use by many goroutines, and several
// processes may use the same database file at once.
//
// Make one with Open, New or Store.Table; the zero Store is not usable.
type Store struct {
	db    *handles
	table string
	q     queries
	cq    conditionalQueries
	opt   options

	getStmt, hasStmt *sql.Stmt // on db.reader
	setStmt, delStmt *sql.Stmt // on db.writer
	cond             conditionalStmts

	getManyMu sync.Mutex
	getMany   getManyStmts // on db.reader

	group committer // the queue of Sets, committed in groups

	life      storekit.Lifecycle
	lastSweep atomic.Int64 // unix nanos of the last opportunistic sweep
}

// handles are the connection pools the stores of one database share: a
// writer pool of one connection, so that writers of this process queue in
// database/sql (honouring their contexts) instead of polling SQLite's lock,
// and a reader pool, so that reads, and a loop over an open cursor that
// writes, never wait for a writer. Built on a caller's *sql.DB, both are
// that one pool and are never closed here.
type handles struct {
	writer, reader *sql.DB
	owned          bool

	mu   sync.Mutex
	refs int // stores open on these handles; 0 once released for good
}

func (h *handles) acquire() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refs == 0 {
		return false
	}
	h.refs++
	return true
}

func (h *handles) release() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.refs--
	if h.refs > 0 || !h.owned {
		return nil
	}
	if h.writer == h.reader { // read-only: one pool
		return h.reader.Close()
	}
	return errors.Join(h.writer.Close(), h.reader.Close())
}

// Open opens (creating it and its directory when missing) the SQLite
// database file at path and returns a store over one of its tables
// (WithTable; DefaultTable otherwise), created when missing. A leading "~"
// in path is the user's home directory. Use Store.Table for more stores
// over the same database that share its connections.
//
// Connections run in WAL mode with synchronous=NORMAL (a commit survives a
// crash of the program; the last ones may be lost on power loss) and wait
// up to DefaultBusyTimeout for a lock held elsewhere; write transactions
// begin IMMEDIATE. WithDSNParams changes any of these.
//
// Open returns an error for an invalid table name, a path that cannot be
// opened, a file that is not a SQLite database, or an existing table of
// that name with other columns. ":memory:" and "" are rejected: use
// stores/memory, or a file in a temporary directory.
func Open(path string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	if err := validTable(o.table); err != nil {
		return nil, errs.Key("open", path, err)
	}
	abs, err := expandPath(path)
	if err != nil {
		return nil, errs.Key("open", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, errs.Key("open", path, err)
	}

	writer, err := sql.Open(driverName, dsn(abs, o.params, false))
	if err != nil {
		return nil, errs.Key("open", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	writer.SetConnMaxLifetime(0)
	// Connect the writer first: it turns the file to WAL mode before any
	// reader connects.
	if err := retryBusy(func() error { return writer.PingContext(context.Background()) }); err != nil {
		writer.Close()
		return nil, errs.Key("open", path, err)
	}
	reader, err := sql.Open(driverName, dsn(abs, o.params, true))
	if err != nil {
		writer.Close()
		return nil, errs.Key("open", path, err)
	}
	reader.SetMaxIdleConns(4)

	h := &handles{writer: writer, reader: reader, owned: true, refs: 1}
	s, err := newStore(h, o.table, o)
	if err != nil {
		h.release()
		return nil, errs.Key("open", path, err)
	}
	return s, nil
}

// OpenReadOnly opens the existing SQLite database file at path for
// reading only and returns a store over one of its tables (WithTable;
// DefaultTable otherwise). It creates nothing: connections open the file
// with SQLite's mode=ro (with query_only as well), so that neither the
// file, its directory nor a table is made, and the journal mode is left
// as it is. Every write of the store (and DeleteExpired) fails with an
// error wrapping kv.ErrReadOnly; Table gives read-only stores too.
//
// A missing file, an empty file (SQLite would take it for an empty
// database) and a missing table give errors wrapping fs.ErrNotExist; a
// file that is not a SQLite database is an error too. None of them is
// changed. A database SQLite cannot write (a file mode or a directory
// that forbids it) is read like any other.
//
// Reading a database in WAL mode (as Open leaves it) takes SQLite's
// -wal and -shm files beside it; SQLite makes them for a read-only
// connection too when they are missing and the directory is writable,
// and leaves them (they are SQLite's, not data, and any later open uses
// them). In a directory the process cannot write, where SQLite cannot
// make them, the file is opened as immutable (SQLite's immutable=1): as
// a rule no process writes it then, and one that does while this store
// reads may make reads fail or miss its changes.
func OpenReadOnly(path string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	o.readOnly = true
	if err := validTable(o.table); err != nil {
		return nil, errs.Key("open", path, err)
	}
	abs, err := expandPath(path)
	if err != nil {
		return nil, errs.Key("open", path, err)
	}
	if err := existingFile(abs); err != nil {
		return nil, errs.Key("open", path, err)
	}
	s, err := openReadOnly(abs, o, false)
	if needsImmutable(err) {
		s, err = openReadOnly(abs, o, true)
	}
	if err != nil {
		return nil, errs.Key("open", path, err)
	}
	return s, nil
}

// openReadOnly opens the database file abs with mode=ro, and with
// immutable=1 too when immutable.
func openReadOnly(abs string, o options, immutable bool) (*Store, error) {
	params := url.Values{}
	for k, v := range o.params {
		params[k] = v
	}
	params.Set("mode", "ro") // after the caller's: nothing turns it back to rwc
	if immutable {
		params.Set("immutable", "1")
	}
	db, err := sql.Open(driverName, dsn(abs, params, true))
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(4)
	h := &handles{writer: db, reader: db, owned: true, refs: 1}
	s, err := newStore(h, o.table, o)
	if err != nil {
		h.release()
		return nil, err
	}
	return s, nil
}

// needsImmutable reports whether a read-only open failed because SQLite
// could not make or open the shared-memory file (-shm) that reading a
// WAL database takes, in a directory the process cannot write. As a rule
// nobody has the database open then (a connection in WAL mode keeps that
// file, and a writer needs the directory writable), and SQLite can read
// it as immutable, without the file.
func needsImmutable(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_READONLY_DIRECTORY, sqlite3.SQLITE_READONLY_CANTINIT, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// existingFile returns nil when abs is a regular file that is not empty,
// and otherwise why a read-only open cannot use it (wrapping
// fs.ErrNotExist when there is no database there).
func existingFile(abs string) error {
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", abs)
	case fi.Size() == 0:
		return fmt.Errorf("%s is empty, not a SQLite database: %w", abs, fs.ErrNotExist)
	}
	return nil
}

// New returns a store over table in db, a database/sql handle to a SQLite
// database that the caller owns and configures: Close does not close it.
// The table is created when missing. WithTable and WithDSNParams are
// ignored.
//
// The store uses db for reads and writes alike, so how db is configured
// matters: open it with a busy timeout (_pragma=busy_timeout(10000)) and
// WAL mode (_pragma=journal_mode(WAL)) if other connections or processes
// write to the file, and leave it more than one open connection if a loop
// over Keys, All or Scan writes to the store (with one connection such a
// write waits for the cursor, which waits for the loop: a deadlock). Open
// sets all of this up itself.
//
// New works with any database/sql driver for SQLite whose []byte
// arguments are BLOBs; this package imports modernc.org/sqlite, which
// registers itself as "sqlite".
func New(db *sql.DB, table string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	if err := validTable(table); err != nil {
		return nil, errs.Err("new", err)
	}
	h := &handles{writer: db, reader: db, refs: 1}
	s, err := newStore(h, table, o)
	if err != nil {
		h.release()
		return nil, errs.Key("new", table, err)
	}
	return s, nil
}

// Table returns a store over another table of the same database (created
// when missing), sharing s's connections and options. The stores are
// independent: each has its own entries and its own Close, and the
// connections Open made are closed when the last of them is closed. Table
// fails with kv.ErrClosed once s is closed, and for an invalid name.
func (s *Store) Table(name string) (*Store, error) {
	if err := validTable(name); err != nil {
		return nil, errs.Err("table", err)
	}
	if s.life.Closed() || !s.db.acquire() {
		return nil, errs.Key("table", name, kv.ErrClosed)
	}
	t, err := newStore(s.db, name, s.opt)
	if err != nil {
		s.db.release()
		return nil, errs.Key("table", name, err)
	}
	return t, nil
}

// TableName returns the name of the store's table.
func (s *Store) TableName() string { return s.table }

// Close releases the store's prepared statements and, when it is the last
// store Open (or Table) made over the database, the connections. A store
// made with New leaves the caller's *sql.DB open. Close is idempotent;
// afterwards every method returns an error wrapping kv.ErrClosed.
func (s *Store) Close() error {
	if !s.life.Close() {
		return nil
	}
	var failed []error
	s.getManyMu.Lock()
	stmts := s.getMany[:]
	s.getManyMu.Unlock()
	for _, p := range s.prepared() {
		stmts = append(stmts, *p.stmt)
	}
	for _, st := range stmts {
		if st != nil {
			failed = append(failed, st.Close())
		}
	}
	failed = append(failed, s.db.release())
	if err := errors.Join(failed...); err != nil {
		return errs.Err("close", err)
	}
	return nil
}

func newStore(h *handles, table string, o options) (*Store, error) {
	s := &Store{db: h, table: table, q: newQueries(table), cq: newConditionalQueries(table), opt: o}
	if o.readOnly {
		s.life.SetReadOnly()
		if err := s.prepareReads(context.Background()); err != nil {
			return nil, err
		}
		return s, nil
	}
	ctx := context.Background()
	// One transaction (BEGIN IMMEDIATE on the store's own writer), so the
	// lock is taken up front, where SQLite waits for it, rather than
	// upgraded from a read lock, where it may give up at once.
	err := retryBusy(func() error {
		tx, err := h.writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, stmt := range s.q.schema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	})
	if err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	ps := s.prepared()
	for _, p := range ps {
		if *p.stmt, err = p.db.PrepareContext(ctx, p.query); err != nil {
			break
		}
	}
	if err != nil {
		for _, p := range ps {
			if *p.stmt != nil {
				(*p.stmt).Close()
			}
		}
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return s, nil
}

// prepareReads prepares the statements of a read-only store, after
// checking that its table exists: it is never created. The write
// statements are left nil; every write fails before it would use them.
func (s *Store) prepareReads(ctx context.Context) error {
	var n int
	err := s.db.reader.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, s.table).Scan(&n)
	if err != nil {
		return fmt.Errorf("find table: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("table %q: %w", s.table, fs.ErrNotExist)
	}
	if s.getStmt, err = s.db.reader.PrepareContext(ctx, s.q.get); err == nil {
		s.hasStmt, err = s.db.reader.PrepareContext(ctx, s.q.has)
	}
	if err != nil {
		if s.getStmt != nil {
			s.getStmt.Close()
		}
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

// preparedStmt is a statement the store prepares when it is made and
// closes with Close.
type preparedStmt struct {
	stmt  **sql.Stmt
	db    *sql.DB
	query string
}

// prepared lists the store's prepared statements.
func (s *Store) prepared() []preparedStmt {
	r, w := s.db.reader, s.db.writer
	return []preparedStmt{
		{&s.getStmt, r, s.q.get},
		{&s.hasStmt, r, s.q.has},
		{&s.setStmt, w, s.q.set},
		{&s.delStmt, w, s.q.del},
		{&s.cond.setIfAbsent, w, s.cq.setIfAbsent},
		{&s.cond.compareAndSwap, w, s.cq.compareAndSwap},
		{&s.cond.compareAndDelete, w, s.cq.compareAndDelete},
	}
}

// validTable reports whether name can be a table name: ASCII letters,
// digits and underscores, not starting with SQLite's reserved "sqlite_".
func validTable(name string) error {
	if name == "" {
		return errors.New("empty table name")
	}
	if len(name) > 128 {
		return fmt.Errorf("table name %.20q...: longer than 128 bytes", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return fmt.Errorf("table name %q: only ASCII letters, digits and _ are allowed", name)
		}
	}
	if strings.HasPrefix(strings.ToLower(name), "sqlite_") {
		return fmt.Errorf("table name %q: names starting with sqlite_ are reserved by SQLite", name)
	}
	return nil
}

// expandPath turns path into an absolute file name, expanding a leading
// "~" to the user's home directory.
func expandPath(path string) (string, error) {
	switch {
	case path == "", path == ":memory:", strings.HasPrefix(path, "file:"):
		return "", fmt.Errorf("path must be a file name, not empty, :memory: or a file: URI (driver parameters go in WithDSNParams; for a store in memory use stores/memory)")
	case path == "~" || strings.HasPrefix(path, "~/") || strings.HasPrefix(path, "~"+string(filepath.Separator)):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expand ~: %w", err)
		}
		path = filepath.Join(home, path[1:])
	}
	return filepath.Abs(path)
}

// dsn returns the driver's data source name for the database file abs:
// a file: URI (so that no character of the path is taken for a parameter)
// with the store's defaults and the caller's params.
func dsn(abs string, params url.Values, reader bool) string {
	q := url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()),
			"synchronous(NORMAL)",
		},
	}
	if reader {
		// A read connection never writes; saying so keeps a bug from
		// writing outside the writer's queue.
		q["_pragma"] = append(q["_pragma"], "query_only(1)")
	} else {
		q["_pragma"] = append(q["_pragma"], "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	}
	for k, vs := range params {
		if k != "_pragma" {
			q[k] = append([]string(nil), vs...)
			continue
		}
		for _, v := range vs {
			name := pragmaName(v)
			kept := q["_pragma"][:0]
			for _, d := range q["_pragma"] {
				if pragmaName(d) != name {
					kept = append(kept, d)
				}
			}
			q["_pragma"] = append(kept, v)
		}
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// pragmaName returns the name of the PRAGMA a _pragma value sets.
func pragmaName(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, "(= "); i >= 0 {
		v = v[:i]
	}
	return v
}

// retryBusy runs f again while it fails with SQLITE_BUSY, for up to
// DefaultBusyTimeout. SQLite does not always wait out a lock with the busy
// handler: changing the journal mode and upgrading a read lock that could
// deadlock give up at once, and two processes (or two handles) opening
// one new database together meet both.
func retryBusy(f func() error) error {
	deadline := time.Now().Add(DefaultBusyTimeout)
	wait := time.Millisecond
	for {
		err := f()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// isBusy reports whether err is SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isTooBig reports whether err is SQLite's "string or blob too big".
func isTooBig(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_TOOBIG
}

// The capabilities the store offers, checked by the compiler.
var (
	_ kv.Store[string, []byte]       = (*Store)(nil)
	_ kv.BatchGetter[string, []byte] = (*Store)(nil)
	_ kv.BatchSetter[string, []byte] = (*Store)(nil)
	_ kv.BatchDeleter[string]        = (*Store)(nil)
	_ kv.PrefixScanner[[]byte]       = (*Store)(nil)
	_ kv.KeyScanner                  = (*Store)(nil)
)
