package badger_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/badger"
)

const (
	benchKeys  = 1024
	benchBatch = 100
)

// BenchmarkCompare runs the store and raw badger side by side, doing the
// same work on the same keys and 100-byte values, each on a DB of its own
// in a fresh directory: impl=badger is what a program would write by hand
// against badger (db.View with txn.Get and ValueCopy, db.Update with
// txn.Set, a WriteBatch), impl=store is this package. Compare them with
// benchstat.
func BenchmarkCompare(b *testing.B) {
	ctx := context.Background()
	value := bytes.Repeat([]byte("v"), 100)
	names := make([]string, benchKeys)
	for i := range names {
		names[i] = fmt.Sprintf("key-%04d", i)
	}
	// Raw badger gets the same bytes the store writes, prefix included.
	raw := make([][]byte, benchKeys)
	for i, n := range names {
		raw[i] = []byte(badger.DefaultPrefix + "\x00" + n)
	}
	entries := make([]kv.Entry[string, []byte], benchKeys)
	for i, n := range names {
		entries[i] = kv.Entry[string, []byte]{Key: n, Value: value}
	}

	rawDB := func(b *testing.B) *bdg.DB {
		db := openDB(b, nil)
		wb := db.NewWriteBatch()
		for _, k := range raw {
			_ = wb.Set(k, value)
		}
		if err := wb.Flush(); err != nil {
			b.Fatal(err)
		}
		return db
	}
	store := func(b *testing.B) *badger.Store {
		s := open(b)
		if err := s.SetMany(ctx, entries); err != nil {
			b.Fatal(err)
		}
		return s
	}
	// batchOf returns the i-th run of benchBatch consecutive keys.
	batchOf := func(i int) int { return (i * benchBatch) % (benchKeys - benchBatch) }

	b.Run("impl=badger/op=get", func(b *testing.B) {
		db := rawDB(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			err := db.View(func(txn *bdg.Txn) error {
				item, err := txn.Get(raw[i%benchKeys])
				if err != nil {
					return err
				}
				_, err = item.ValueCopy(nil)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=store/op=get", func(b *testing.B) {
		s := store(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Get(ctx, names[i%benchKeys]); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("impl=badger/op=set", func(b *testing.B) {
		db := rawDB(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			err := db.Update(func(txn *bdg.Txn) error { return txn.Set(raw[i%benchKeys], value) })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=store/op=set", func(b *testing.B) {
		s := store(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := s.Set(ctx, names[i%benchKeys], value); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("impl=badger/op=set-ttl", func(b *testing.B) {
		db := rawDB(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			err := db.Update(func(txn *bdg.Txn) error {
				return txn.SetEntry(bdg.NewEntry(raw[i%benchKeys], value).WithTTL(time.Hour))
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=store/op=set-ttl", func(b *testing.B) {
		s := store(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := s.Set(ctx, names[i%benchKeys], value, kv.WithTTL(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run(fmt.Sprintf("impl=badger/op=getmany-%d", benchBatch), func(b *testing.B) {
		db := rawDB(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := batchOf(i)
			out := make(map[string][]byte, benchBatch)
			err := db.View(func(txn *bdg.Txn) error {
				for _, k := range raw[j : j+benchBatch] {
					item, err := txn.Get(k)
					if err != nil {
						return err
					}
					v, err := item.ValueCopy(nil)
					if err != nil {
						return err
					}
					out[string(k)] = v
				}
				return nil
			})
			if err != nil || len(out) != benchBatch {
				b.Fatal(err, len(out))
			}
		}
	})
	b.Run(fmt.Sprintf("impl=store/op=getmany-%d", benchBatch), func(b *testing.B) {
		s := store(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := batchOf(i)
			out, err := s.GetMany(ctx, names[j:j+benchBatch])
			if err != nil || len(out) != benchBatch {
				b.Fatal(err, len(out))
			}
		}
	})

	b.Run(fmt.Sprintf("impl=badger/op=setmany-%d", benchBatch), func(b *testing.B) {
		db := rawDB(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := batchOf(i)
			wb := db.NewWriteBatch()
			for _, k := range raw[j : j+benchBatch] {
				if err := wb.Set(k, value); err != nil {
					b.Fatal(err)
				}
			}
			if err := wb.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("impl=store/op=setmany-%d", benchBatch), func(b *testing.B) {
		s := store(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := batchOf(i)
			if err := s.SetMany(ctx, entries[j:j+benchBatch]); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The loop SetMany replaces, for the batch's gain.
	b.Run(fmt.Sprintf("impl=store/op=set-loop-%d", benchBatch), func(b *testing.B) {
		s := store(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := batchOf(i)
			for _, e := range entries[j : j+benchBatch] {
				if err := s.Set(ctx, e.Key, e.Value); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
