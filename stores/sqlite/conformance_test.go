package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/sqlite"
)

var capabilities = conformance.Capabilities{
	TTL:           true,
	Persistent:    true,
	SharedHandles: true,
	Batch:         true,
	PrefixScan:    true,
	KeyScan:       true,
	Conditional:   true,
}

// TestConformance runs the shared suite on stores made by Open, each
// location a database file of its own.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			path := filepath.Join(t.TempDir(), "kv.db")
			return func() (kv.Store[string, []byte], error) { return sqlite.Open(path) }
		},
		NewFaultyStore: newFaultyStore,
		NewUnopenableStore: func(t testing.TB) (conformance.Opener, func() error) {
			dir, untouched := conformance.UnopenableDir(t)
			path := filepath.Join(dir, "kv.db")
			return func() (kv.Store[string, []byte], error) { return sqlite.Open(path) }, untouched
		},
		NewReadOnlyStore: func(t testing.TB) (conformance.Opener, conformance.Opener) {
			path := filepath.Join(t.TempDir(), "kv.db")
			return func() (kv.Store[string, []byte], error) { return sqlite.Open(path) },
				func() (kv.Store[string, []byte], error) { return sqlite.OpenReadOnly(path) }
		},
		Capabilities: capabilities,
	})
}

// TestConformanceNew runs the suite on stores made by New over one
// *sql.DB the test owns, each location a table of that one database.
func TestConformanceNew(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "shared.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var n atomic.Int64
	conformance.Run(t, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			table := fmt.Sprintf("t%d", n.Add(1))
			return func() (kv.Store[string, []byte], error) { return sqlite.New(db, table) }
		},
		Capabilities: capabilities,
	})
}

// TestConformanceTable runs the suite on stores made by Store.Table, each
// location a table of one database that every store shares connections
// with.
func TestConformanceTable(t *testing.T) {
	root, err := sqlite.Open(filepath.Join(t.TempDir(), "tables.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	var n atomic.Int64
	conformance.Run(t, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			table := fmt.Sprintf("t%d", n.Add(1))
			return func() (kv.Store[string, []byte], error) { return root.Table(table) }
		},
		Capabilities: capabilities,
	})
}
