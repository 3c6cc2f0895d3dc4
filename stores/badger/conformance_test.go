package badger_test

import (
	"sync"
	"testing"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/badger"
)

// TestConformance runs the suite on stores made by Open, one per directory.
// Badger lets one handle at a time open a directory, so SharedHandles is
// not declared here; TestConformanceSharedDB declares it.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			dir := t.TempDir()
			return func() (kv.Store[string, []byte], error) { return badger.Open(dir) }
		},
		Capabilities: conformance.Capabilities{
			TTL:         true,
			Persistent:  true,
			Batch:       true,
			PrefixScan:  true,
			KeyScan:     true,
			Conditional: true,
			MaxKeySize:  65000 - len(badger.DefaultPrefix) - 1,
		},
	})
}

// TestConformanceSharedDB runs the suite on stores made by New on one
// *badger.DB per location, which every open handle shares: the DB opens
// with the first handle and closes with the last. Its value log files are
// badger's smallest (1 MiB), which makes the value limit small enough for
// the suite to test.
func TestConformanceSharedDB(t *testing.T) {
	const vlog = 1 << 20
	conformance.Run(t, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			loc := &sharedDB{opts: bdg.DefaultOptions(t.TempDir()).WithLogger(nil).WithValueLogFileSize(vlog)}
			return loc.open
		},
		Capabilities: conformance.Capabilities{
			TTL:           true,
			Persistent:    true,
			SharedHandles: true,
			Batch:         true,
			PrefixScan:    true,
			KeyScan:       true,
			Conditional:   true,
			MaxKeySize:    65000 - len("shared") - 1,
			MaxValueSize:  vlog - 12,
		},
	})
}

// sharedDB opens one badger DB for every handle open at once.
type sharedDB struct {
	opts bdg.Options
	mu   sync.Mutex
	db   *bdg.DB
	refs int
}

// handle is a store on a sharedDB; Close releases the DB.
type handle struct {
	*badger.Store
	loc  *sharedDB
	once sync.Once
}

func (l *sharedDB) open() (kv.Store[string, []byte], error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		db, err := bdg.Open(l.opts)
		if err != nil {
			return nil, err
		}
		l.db = db
	}
	s, err := badger.New(l.db, badger.WithPrefix("shared"))
	if err != nil {
		return nil, err
	}
	l.refs++
	return &handle{Store: s, loc: l}, nil
}

func (h *handle) Close() error {
	err := h.Store.Close()
	h.once.Do(func() {
		h.loc.mu.Lock()
		defer h.loc.mu.Unlock()
		if h.loc.refs--; h.loc.refs == 0 {
			if e := h.loc.db.Close(); e != nil && err == nil {
				err = e
			}
			h.loc.db = nil
		}
	})
	return err
}
