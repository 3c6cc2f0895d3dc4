package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/sqlite"
)

// The benchmarks run each operation through the store and, as the
// baseline, through plain database/sql on the same driver, database
// settings, schema and SQL, with prepared statements: the difference is
// what the store costs. Compare the pairs, e.g.
//
//	go test -run='^$' -bench=. -benchtime=2000x -count=3 ./stores/sqlite/

const benchKeys = 1000

var benchValue = make([]byte, 256)

func benchKey(i int) string { return fmt.Sprintf("bench/key/%06d", i%benchKeys) }

// rawDB is the baseline: one *sql.DB opened as Open opens its writer, on
// a table made as the store makes it.
type rawDB struct {
	db                *sql.DB
	get, set, getMany *sql.Stmt
}

func openBoth(b *testing.B) (*sqlite.Store, *rawDB) {
	b.Helper()
	dir := b.TempDir()
	s, err := sqlite.Open(filepath.Join(dir, "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })

	db, err := sql.Open("sqlite", "file://"+filepath.Join(dir, "raw.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE TABLE kv (key BLOB NOT NULL PRIMARY KEY, expires INTEGER, value BLOB NOT NULL)`,
		`CREATE INDEX kv__expires ON kv (expires) WHERE expires IS NOT NULL`,
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	r := &rawDB{db: db}
	prep := func(q string) *sql.Stmt {
		st, err := db.Prepare(q)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	r.get = prep(`SELECT value FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)`)
	r.set = prep(`INSERT INTO kv (key, value, expires) VALUES (?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires`)
	q := `SELECT key, value FROM kv WHERE (expires IS NULL OR expires > ?) AND key IN (?` + repeat(",?", 99) + `)`
	r.getMany = prep(q)

	ctx := context.Background()
	for i := range benchKeys {
		if err := s.Set(ctx, benchKey(i), benchValue); err != nil {
			b.Fatal(err)
		}
		if _, err := r.set.Exec([]byte(benchKey(i)), benchValue, nil); err != nil {
			b.Fatal(err)
		}
	}
	return s, r
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s, r := openBoth(b)
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := s.Get(ctx, benchKey(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("database-sql", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var v []byte
			if err := r.get.QueryRowContext(ctx, []byte(benchKey(i)), time.Now().UnixNano()).Scan(&v); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkSet(b *testing.B) {
	ctx := context.Background()
	s, r := openBoth(b)
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := s.Set(ctx, benchKey(i), benchValue, kv.WithTTL(time.Hour)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("database-sql", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			exp := time.Now().Add(time.Hour).UnixNano()
			if _, err := r.set.ExecContext(ctx, []byte(benchKey(i)), benchValue, exp); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkSet100 writes 100 entries per iteration: in one SetMany (one
// transaction) and as 100 Sets (100 commits), and the same two ways with
// database/sql.
func BenchmarkSet100(b *testing.B) {
	ctx := context.Background()
	s, r := openBoth(b)
	entries := make([]kv.Entry[string, []byte], 100)
	for i := range entries {
		entries[i] = kv.Entry[string, []byte]{Key: benchKey(i * 7), Value: benchValue}
	}
	b.Run("store-SetMany", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SetMany(ctx, entries); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store-100-Sets", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, e := range entries {
				if err := s.Set(ctx, e.Key, e.Value); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("database-sql-tx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tx, err := r.db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			st := tx.StmtContext(ctx, r.set)
			for _, e := range entries {
				if _, err := st.ExecContext(ctx, []byte(e.Key), e.Value, nil); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("database-sql-100-execs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, e := range entries {
				if _, err := r.set.ExecContext(ctx, []byte(e.Key), e.Value, nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkGet100 reads 100 keys per iteration: one GetMany against one
// IN query of database/sql.
func BenchmarkGet100(b *testing.B) {
	ctx := context.Background()
	s, r := openBoth(b)
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = benchKey(i * 7)
	}
	b.Run("store-GetMany", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := s.GetMany(ctx, keys)
			if err != nil || len(m) != len(keys) {
				b.Fatal(len(m), err)
			}
		}
	})
	b.Run("database-sql-IN", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			args := make([]any, 0, 1+len(keys))
			args = append(args, time.Now().UnixNano())
			for _, k := range keys {
				args = append(args, []byte(k))
			}
			rows, err := r.getMany.QueryContext(ctx, args...)
			if err != nil {
				b.Fatal(err)
			}
			m := make(map[string][]byte, len(keys))
			for rows.Next() {
				var k string
				var v []byte
				if err := rows.Scan(&k, &v); err != nil {
					b.Fatal(err)
				}
				m[k] = v
			}
			if err := rows.Close(); err != nil || len(m) != len(keys) {
				b.Fatal(len(m), err)
			}
		}
	})
}

// BenchmarkPaired runs the store and the database/sql baseline in turns,
// one operation each per iteration, and reports each one's median time
// per operation and their ratio. On a loaded machine this is steadier than
// comparing separate benchmarks, since both sides see the same load.
func BenchmarkPaired(b *testing.B) {
	ctx := context.Background()
	entries := make([]kv.Entry[string, []byte], 100)
	keys := make([]string, 100)
	for i := range entries {
		entries[i] = kv.Entry[string, []byte]{Key: benchKey(i * 7), Value: benchValue}
		keys[i] = entries[i].Key
	}
	pairs := []struct {
		name       string
		store, raw func(s *sqlite.Store, r *rawDB, i int) error
	}{
		{"Get",
			func(s *sqlite.Store, r *rawDB, i int) error { _, err := s.Get(ctx, benchKey(i)); return err },
			func(s *sqlite.Store, r *rawDB, i int) error {
				var v []byte
				return r.get.QueryRowContext(ctx, []byte(benchKey(i)), time.Now().UnixNano()).Scan(&v)
			}},
		{"Set",
			func(s *sqlite.Store, r *rawDB, i int) error {
				return s.Set(ctx, benchKey(i), benchValue, kv.WithTTL(time.Hour))
			},
			func(s *sqlite.Store, r *rawDB, i int) error {
				_, err := r.set.ExecContext(ctx, []byte(benchKey(i)), benchValue, time.Now().Add(time.Hour).UnixNano())
				return err
			}},
		{"SetMany100-vs-100-Sets",
			func(s *sqlite.Store, r *rawDB, i int) error { return s.SetMany(ctx, entries) },
			func(s *sqlite.Store, r *rawDB, i int) error {
				for _, e := range entries {
					if err := s.Set(ctx, e.Key, e.Value); err != nil {
						return err
					}
				}
				return nil
			}},
		{"SetMany100-vs-sql-tx",
			func(s *sqlite.Store, r *rawDB, i int) error { return s.SetMany(ctx, entries) },
			func(s *sqlite.Store, r *rawDB, i int) error {
				tx, err := r.db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				st := tx.StmtContext(ctx, r.set)
				for _, e := range entries {
					if _, err := st.ExecContext(ctx, []byte(e.Key), e.Value, nil); err != nil {
						tx.Rollback()
						return err
					}
				}
				return tx.Commit()
			}},
		{"GetMany100-vs-100-Gets",
			func(s *sqlite.Store, r *rawDB, i int) error { _, err := s.GetMany(ctx, keys); return err },
			func(s *sqlite.Store, r *rawDB, i int) error {
				for _, k := range keys {
					if _, err := s.Get(ctx, k); err != nil {
						return err
					}
				}
				return nil
			}},
		{"GetMany100-vs-sql-IN",
			func(s *sqlite.Store, r *rawDB, i int) error { _, err := s.GetMany(ctx, keys); return err },
			func(s *sqlite.Store, r *rawDB, i int) error {
				args := make([]any, 0, 1+len(keys))
				args = append(args, time.Now().UnixNano())
				for _, k := range keys {
					args = append(args, []byte(k))
				}
				rows, err := r.getMany.QueryContext(ctx, args...)
				if err != nil {
					return err
				}
				m := make(map[string][]byte, len(keys))
				for rows.Next() {
					var k string
					var v []byte
					if err := rows.Scan(&k, &v); err != nil {
						return err
					}
					m[k] = v
				}
				return rows.Close()
			}},
	}
	for _, p := range pairs {
		b.Run(p.name, func(b *testing.B) {
			s, r := openBoth(b)
			var storeT, rawT []time.Duration
			run := func(f func(*sqlite.Store, *rawDB, int) error, i int, times *[]time.Duration) {
				t0 := time.Now()
				if err := f(s, r, i); err != nil {
					b.Fatal(err)
				}
				*times = append(*times, time.Since(t0))
			}
			i := 0
			for b.Loop() {
				// Alternate which goes first, so that neither always
				// finds the caches the other warmed.
				if i%2 == 0 {
					run(p.store, i, &storeT)
					run(p.raw, i, &rawT)
				} else {
					run(p.raw, i, &rawT)
					run(p.store, i, &storeT)
				}
				i++
			}
			// Medians: a preemption on a busy machine makes one sample
			// of either side huge, which would sway a mean.
			sm, rm := median(storeT), median(rawT)
			b.ReportMetric(float64(sm.Nanoseconds()), "store-p50-ns")
			b.ReportMetric(float64(rm.Nanoseconds()), "baseline-p50-ns")
			b.ReportMetric(float64(sm)/float64(rm), "ratio")
		})
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}
