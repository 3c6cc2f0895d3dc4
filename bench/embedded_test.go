package bench

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	lru "github.com/hashicorp/golang-lru/v2"
	gokvbadger "github.com/philippgille/gokv/badgerdb"
	gokvfile "github.com/philippgille/gokv/file"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/file"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/sqlite"
)

// BenchmarkStore compares each kv store, lifted to Record values with
// kv.Typed and the CBOR codec (the memory store holds Records as they
// are), with its raw driver doing the same reads and writes with the same
// CBOR encoding by hand (impl=raw, the baseline), and with the peer
// libraries where they have the backend (impl=gokv with a codec of the
// same CBOR options; impl=lru). The server backends are in
// network_test.go.
func BenchmarkStore(b *testing.B) {
	b.Run("store=memory", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"raw", openMapRaw},
			{"kv", openMemoryKV},
			{"lru", openLRU},
		})
	})
	b.Run("store=file", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"raw", openFileRaw},
			{"kv", openFileKV},
			{"gokv", openFileGokv},
		})
	})
	b.Run("store=sqlite", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"raw", openSQLiteRaw},
			{"kv", openSQLiteKV},
		})
	})
	b.Run("store=badger", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"raw", openBadgerRaw},
			{"kv", openBadgerKV},
			{"gokv", openBadgerGokv},
		})
	})
	runNetworkStores(b)
}

// typedOps adapts a kv store of Records.
func typedOps(s kv.Store[string, Record]) ops {
	return ops{
		get: s.Get,
		set: func(ctx context.Context, key string, r Record) error { return s.Set(ctx, key, r) },
	}
}

// typedOver lifts a byte store to Records with kv.CBOR and closes it when
// the benchmark ends.
func typedOver(b *testing.B, raw kv.Store[string, []byte], err error) ops {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	s := kv.Typed(raw, kv.StringKeys(), kv.CBOR[Record]())
	b.Cleanup(func() { s.Close(); raw.Close() }) // Typed does not close raw
	return typedOps(s)
}

// memory

func openMapRaw(*testing.B) ops {
	var mu sync.RWMutex
	m := make(map[string]Record)
	return ops{
		get: func(_ context.Context, key string) (Record, error) {
			mu.RLock()
			r, ok := m[key]
			mu.RUnlock()
			if !ok {
				return Record{}, kv.ErrNotFound
			}
			return r, nil
		},
		set: func(_ context.Context, key string, r Record) error {
			mu.Lock()
			m[key] = r
			mu.Unlock()
			return nil
		},
	}
}

func openMemoryKV(b *testing.B) ops {
	s := memory.New[string, Record]()
	b.Cleanup(func() { s.Close() })
	return typedOps(s)
}

func openLRU(b *testing.B) ops {
	c, err := lru.New[string, Record](2 * benchKeys)
	if err != nil {
		b.Fatal(err)
	}
	return ops{
		get: func(_ context.Context, key string) (Record, error) {
			r, ok := c.Get(key)
			if !ok {
				return Record{}, kv.ErrNotFound
			}
			return r, nil
		},
		set: func(_ context.Context, key string, r Record) error {
			c.Add(key, r)
			return nil
		},
	}
}

// file

// openFileRaw is what a program does with plain os calls: one file per
// key, written to a temporary file and renamed into place (as the store
// does, so a reader never sees half a value), read with os.ReadFile.
func openFileRaw(b *testing.B) ops {
	dir := b.TempDir()
	return ops{
		get: func(_ context.Context, key string) (Record, error) {
			data, err := os.ReadFile(filepath.Join(dir, key))
			if err != nil {
				return Record{}, err
			}
			return decodeRecord(data)
		},
		set: func(_ context.Context, key string, r Record) error {
			data, err := encodeRecord(r)
			if err != nil {
				return err
			}
			f, err := os.CreateTemp(dir, ".tmp-*")
			if err != nil {
				return err
			}
			_, err = f.Write(data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(f.Name(), filepath.Join(dir, key))
			}
			if err != nil {
				os.Remove(f.Name())
			}
			return err
		},
	}
}

func openFileKV(b *testing.B) ops {
	s, err := file.Open(b.TempDir())
	return typedOver(b, s, err)
}

func openFileGokv(b *testing.B) ops {
	ext := ""
	s, err := gokvfile.NewStore(gokvfile.Options{Directory: b.TempDir(), FilenameExtension: &ext, Codec: gokvCBOR{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return gokvOps(s)
}

// gokvStore is the part of gokv.Store the benchmarks use.
type gokvStore interface {
	Set(k string, v any) error
	Get(k string, v any) (bool, error)
}

func gokvOps(s gokvStore) ops {
	return ops{
		get: func(_ context.Context, key string) (Record, error) {
			var r Record
			found, err := s.Get(key, &r)
			if err == nil && !found {
				err = kv.ErrNotFound
			}
			return r, err
		},
		set: func(_ context.Context, key string, r Record) error { return s.Set(key, r) },
	}
}

// sqlite

// sqliteDSN opens a database as sqlite.Open does: WAL, synchronous=NORMAL,
// a busy timeout, immediate write transactions.
func sqliteDSN(path string) string { return sqliteDSNSync(path, "NORMAL") }

// sqliteDSNSync is sqliteDSN with another synchronous setting.
func sqliteDSNSync(path, sync string) string {
	return "file://" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_txlock=immediate"
}

// openSQLiteRaw is database/sql on the same driver, settings and schema as
// the store, with prepared statements and the same expiry check in the
// query.
func openSQLiteRaw(b *testing.B) ops { return sqliteRaw(b, 0, "NORMAL") }

// openSQLiteRawOneConn is openSQLiteRaw with a pool of one connection, as
// the store writes: concurrent writers queue in database/sql and write one
// at a time, instead of contending for SQLite's lock.
func openSQLiteRawOneConn(b *testing.B) ops { return sqliteRaw(b, 1, "NORMAL") }

// openSQLiteRawOneConnFull is openSQLiteRawOneConn with synchronous=FULL.
func openSQLiteRawOneConnFull(b *testing.B) ops { return sqliteRaw(b, 1, "FULL") }

// sqliteRaw is openSQLiteRaw with at most maxConns connections (0: no
// limit) and the given synchronous setting.
func sqliteRaw(b *testing.B, maxConns int, sync string) ops {
	prep := openSQLiteRawDBWith(b, maxConns, sync)
	get := prep(`SELECT value FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)`)
	set := prep(`INSERT INTO kv (key, value, expires) VALUES (?, ?, NULL)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires`)
	return ops{
		get: func(ctx context.Context, key string) (Record, error) {
			var v []byte
			if err := get.QueryRowContext(ctx, []byte(key), time.Now().UnixNano()).Scan(&v); err != nil {
				return Record{}, err
			}
			return decodeRecord(v)
		},
		set: func(ctx context.Context, key string, r Record) error {
			data, err := encodeRecord(r)
			if err != nil {
				return err
			}
			_, err = set.ExecContext(ctx, []byte(key), data)
			return err
		},
	}
}

// openSQLiteRawDB opens a database of the store's settings and schema by
// hand, closed when the benchmark ends, and returns what prepares a
// statement on it.
func openSQLiteRawDB(b *testing.B) (prepare func(query string) *sql.Stmt) {
	return openSQLiteRawDBWith(b, 0, "NORMAL")
}

// openSQLiteRawDBWith is openSQLiteRawDB with at most maxConns connections
// (0: no limit) and the given synchronous setting.
func openSQLiteRawDBWith(b *testing.B, maxConns int, sync string) (prepare func(query string) *sql.Stmt) {
	db, err := sql.Open("sqlite", sqliteDSNSync(filepath.Join(b.TempDir(), "raw.db"), sync))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(maxConns)
	b.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE TABLE kv (key BLOB NOT NULL PRIMARY KEY, expires INTEGER, value BLOB NOT NULL)`,
		`CREATE INDEX kv__expires ON kv (expires) WHERE expires IS NOT NULL`,
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	return func(q string) *sql.Stmt {
		st, err := db.Prepare(q)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
}

func openSQLiteKV(b *testing.B) ops {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "kv.db"))
	return typedOver(b, s, err)
}

// openSQLiteKVFull is openSQLiteKV with synchronous=FULL.
func openSQLiteKVFull(b *testing.B) ops {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "kv.db"),
		sqlite.WithDSNParams(url.Values{"_pragma": {"synchronous(FULL)"}}))
	return typedOver(b, s, err)
}

// badger

func badgerOptions(dir string) bdg.Options { return bdg.DefaultOptions(dir).WithLogger(nil) }

// openBadgerRaw is badger v4 with the options the store opens it with: a
// View transaction with ValueCopy per Get, an Update transaction per Set.
func openBadgerRaw(b *testing.B) ops {
	db, err := bdg.Open(badgerOptions(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return ops{
		get: func(_ context.Context, key string) (Record, error) {
			var v []byte
			err := db.View(func(txn *bdg.Txn) error {
				item, err := txn.Get([]byte(key))
				if err != nil {
					return err
				}
				v, err = item.ValueCopy(nil)
				return err
			})
			if errors.Is(err, bdg.ErrKeyNotFound) {
				return Record{}, kv.ErrNotFound
			}
			if err != nil {
				return Record{}, err
			}
			return decodeRecord(v)
		},
		set: func(_ context.Context, key string, r Record) error {
			data, err := encodeRecord(r)
			if err != nil {
				return err
			}
			return db.Update(func(txn *bdg.Txn) error { return txn.Set([]byte(key), data) })
		},
	}
}

func openBadgerKV(b *testing.B) ops {
	s, err := badger.Open(b.TempDir())
	return typedOver(b, s, err)
}

func openBadgerGokv(b *testing.B) ops {
	s, err := gokvbadger.NewStore(gokvbadger.Options{Dir: b.TempDir(), Codec: gokvCBOR{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return gokvOps(s)
}
