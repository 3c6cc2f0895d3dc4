package bench

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bdg "github.com/dgraph-io/badger/v4"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/sqlite"
)

// condOps are the conditional writes of one implementation, on byte
// values.
type condOps struct {
	setIfAbsent    func(ctx context.Context, key string, value []byte) (bool, error)
	compareAndSwap func(ctx context.Context, key string, old, new []byte) (bool, error)
}

// condImpl is a named implementation of condOps; the first of a list is
// the baseline.
type condImpl struct {
	name string
	open func(b *testing.B) condOps
}

// BenchmarkConditional compares the conditional writes of the SQLite and
// Badger stores (impl=kv) with the same writes done on the raw driver by
// hand (impl=raw, the baseline): SetIfAbsent of a new key each time (it
// always stores), and CompareAndSwap of one key between two 100-byte
// values (it always swaps).
func BenchmarkConditional(b *testing.B) {
	b.Run("store=sqlite", func(b *testing.B) {
		runConditional(b, []condImpl{{"raw", openSQLiteCondRaw}, {"kv", openSQLiteCond}})
	})
	b.Run("store=badger", func(b *testing.B) {
		runConditional(b, []condImpl{{"raw", openBadgerCondRaw}, {"kv", openBadgerCond}})
	})
}

func runConditional(b *testing.B, impls []condImpl) {
	ctx := context.Background()
	vals := [2][]byte{bytes.Repeat([]byte{'a'}, 100), bytes.Repeat([]byte{'b'}, 100)}
	for _, im := range inRoundOrder(impls) {
		b.Run("impl="+im.name, func(b *testing.B) {
			o := im.open(b)
			b.Run("op=SetIfAbsent", func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					stored, err := o.setIfAbsent(ctx, "new/"+strconv.Itoa(n), vals[0])
					if err != nil || !stored {
						b.Fatalf("SetIfAbsent of a new key = %v, %v", stored, err)
					}
					n++
				}
			})
			b.Run("op=CompareAndSwap", func(b *testing.B) {
				if stored, err := o.setIfAbsent(ctx, "cas", vals[0]); err != nil || !stored {
					b.Fatalf("SetIfAbsent = %v, %v", stored, err)
				}
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					ok, err := o.compareAndSwap(ctx, "cas", vals[n%2], vals[(n+1)%2])
					if err != nil || !ok {
						b.Fatalf("CompareAndSwap = %v, %v", ok, err)
					}
					n++
				}
			})
		})
	}
}

// condOf is the condOps of a kv store with the capability, closed when
// the benchmark ends.
func condOf(b *testing.B, s interface {
	kv.Store[string, []byte]
	kv.ConditionalWriter[string, []byte]
}, err error) condOps {
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return condOps{
		setIfAbsent: func(ctx context.Context, key string, value []byte) (bool, error) {
			return s.SetIfAbsent(ctx, key, value)
		},
		compareAndSwap: func(ctx context.Context, key string, old, new []byte) (bool, error) {
			return s.CompareAndSwap(ctx, key, old, new)
		},
	}
}

func openSQLiteCond(b *testing.B) condOps {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "kv.db"))
	return condOf(b, s, err)
}

func openBadgerCond(b *testing.B) condOps {
	s, err := badger.Open(b.TempDir())
	return condOf(b, s, err)
}

// openSQLiteCondRaw is the conditional writes as one statement each on
// the store's schema and settings: INSERT ... ON CONFLICT DO NOTHING (the
// store's SetIfAbsent also replaces an expired row), and UPDATE ... WHERE
// value = ? with the same expiry check as the store.
func openSQLiteCondRaw(b *testing.B) condOps {
	prep := openSQLiteRawDB(b)
	insert := prep(`INSERT INTO kv (key, value, expires) VALUES (?, ?, NULL) ON CONFLICT (key) DO NOTHING`)
	update := prep(`UPDATE kv SET value = ?, expires = NULL WHERE key = ? AND value = ? AND (expires IS NULL OR expires > ?)`)
	changed := func(res sql.Result, err error) (bool, error) {
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		return n > 0, err
	}
	return condOps{
		setIfAbsent: func(ctx context.Context, key string, value []byte) (bool, error) {
			return changed(insert.ExecContext(ctx, []byte(key), value))
		},
		compareAndSwap: func(ctx context.Context, key string, old, new []byte) (bool, error) {
			return changed(update.ExecContext(ctx, new, []byte(key), old, time.Now().UnixNano()))
		},
	}
}

// openBadgerCondRaw is the conditional writes as one Update transaction
// each on badger with the store's options: Get, compare, Set, run again
// on badger.ErrConflict.
func openBadgerCondRaw(b *testing.B) condOps {
	db, err := bdg.Open(badgerOptions(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	write := func(key string, value []byte, cond func(item *bdg.Item, err error) (bool, error)) (bool, error) {
		for {
			var done bool
			err := db.Update(func(txn *bdg.Txn) error {
				item, err := txn.Get([]byte(key))
				if done, err = cond(item, err); err != nil || !done {
					return err
				}
				return txn.Set([]byte(key), value)
			})
			if !errors.Is(err, bdg.ErrConflict) {
				return done && err == nil, err
			}
		}
	}
	return condOps{
		setIfAbsent: func(_ context.Context, key string, value []byte) (bool, error) {
			return write(key, value, func(_ *bdg.Item, err error) (bool, error) {
				if errors.Is(err, bdg.ErrKeyNotFound) {
					return true, nil
				}
				return false, err
			})
		},
		compareAndSwap: func(_ context.Context, key string, old, new []byte) (bool, error) {
			return write(key, new, func(item *bdg.Item, err error) (bool, error) {
				if errors.Is(err, bdg.ErrKeyNotFound) {
					return false, nil
				}
				if err != nil {
					return false, err
				}
				var eq bool
				err = item.Value(func(v []byte) error { eq = bytes.Equal(v, old); return nil })
				return eq, err
			})
		},
	}
}
