package sqlite_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"testing"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/sqlite"
)

// newFaultyStore is conformance.Config.NewFaultyStore: stores made by New
// over a *sql.DB whose connections come from the real driver through
// faultConn, which fails the statements the suite arms (a write: an
// Exec; a read: a Query; an iteration: the read of a row after the
// first). The store's own code is unchanged: the errors come up through
// database/sql as a failing database's would.
func newFaultyStore(t testing.TB) (conformance.Opener, conformance.Faults) {
	f := new(conformance.FaultSet)
	dsn := filepath.Join(t.TempDir(), "kv.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	db := sql.OpenDB(faultConnector{dsn: dsn, f: f})
	t.Cleanup(func() { db.Close() })
	return func() (kv.Store[string, []byte], error) { return sqlite.New(db, "kv") }, f.Arm
}

type faultConnector struct {
	dsn string
	f   *conformance.FaultSet
}

func (c faultConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := (&msqlite.Driver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return faultConn{conn, c.f}, nil
}

func (c faultConnector) Driver() driver.Driver { return &msqlite.Driver{} }

// faultConn offers only Prepare (and transactions), so that database/sql
// sends every statement through faultStmt.
type faultConn struct {
	conn driver.Conn
	f    *conformance.FaultSet
}

func (c faultConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c faultConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return faultStmt{st, c.f}, nil
}

func (c faultConn) Close() error { return c.conn.Close() }

func (c faultConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c faultConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

type faultStmt struct {
	driver.Stmt
	f *conformance.FaultSet
}

func (s faultStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.f.Take(conformance.FaultWrite); err != nil {
		// As long as a write that reaches the disk, so that Sets made
		// meanwhile queue behind it and the group commit meets the
		// fault with a group (Faults/ConcurrentSets).
		time.Sleep(time.Millisecond)
		return nil, err
	}
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s faultStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.f.Take(conformance.FaultRead); err != nil {
		return nil, err
	}
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	return &faultRows{Rows: rows, f: s.f}, nil
}

// faultRows fails the read of a row after the first when an iteration
// fault is armed.
type faultRows struct {
	driver.Rows
	f    *conformance.FaultSet
	read int
}

func (r *faultRows) Next(dest []driver.Value) error {
	r.read++
	if r.read > 1 {
		if err := r.f.Take(conformance.FaultIterate); err != nil {
			return err
		}
	}
	return r.Rows.Next(dest)
}
