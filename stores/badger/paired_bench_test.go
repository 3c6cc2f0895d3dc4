package badger_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/badger"
)

// BenchmarkPaired times raw badger and the store on one DB, one operation
// of each on the same keys in every iteration, taking turns at going first, and reports the median time of
// each and store/badger, the ratio of the medians. On a loaded machine,
// where BenchmarkCompare's separate runs see different loads, the paired
// medians give the steadier ratio.
func BenchmarkPaired(b *testing.B) {
	ctx := context.Background()
	value := bytes.Repeat([]byte("v"), 100)
	names := make([]string, benchKeys)
	raw := make([][]byte, benchKeys)
	entries := make([]kv.Entry[string, []byte], benchKeys)
	for i := range names {
		names[i] = fmt.Sprintf("key-%04d", i)
		raw[i] = []byte(badger.DefaultPrefix + "\x00" + names[i])
		entries[i] = kv.Entry[string, []byte]{Key: names[i], Value: value}
	}
	batch := func(i int) int { return (i * benchBatch) % (benchKeys - benchBatch) }
	ops := []struct {
		name       string
		raw, store func(db *bdg.DB, s *badger.Store, i int) error
	}{
		{"get",
			func(db *bdg.DB, _ *badger.Store, i int) error {
				return db.View(func(txn *bdg.Txn) error {
					item, err := txn.Get(raw[i%benchKeys])
					if err == nil {
						_, err = item.ValueCopy(nil)
					}
					return err
				})
			},
			func(_ *bdg.DB, s *badger.Store, i int) error { _, err := s.Get(ctx, names[i%benchKeys]); return err },
		},
		{"set",
			func(db *bdg.DB, _ *badger.Store, i int) error {
				return db.Update(func(txn *bdg.Txn) error { return txn.Set(raw[i%benchKeys], value) })
			},
			func(_ *bdg.DB, s *badger.Store, i int) error { return s.Set(ctx, names[i%benchKeys], value) },
		},
		{"set-ttl",
			func(db *bdg.DB, _ *badger.Store, i int) error {
				return db.Update(func(txn *bdg.Txn) error {
					return txn.SetEntry(bdg.NewEntry(raw[i%benchKeys], value).WithTTL(time.Hour))
				})
			},
			func(_ *bdg.DB, s *badger.Store, i int) error {
				return s.Set(ctx, names[i%benchKeys], value, kv.WithTTL(time.Hour))
			},
		},
		{fmt.Sprintf("getmany-%d", benchBatch),
			func(db *bdg.DB, _ *badger.Store, i int) error {
				out := make(map[string][]byte, benchBatch)
				return db.View(func(txn *bdg.Txn) error {
					for _, k := range raw[batch(i) : batch(i)+benchBatch] {
						item, err := txn.Get(k)
						if err != nil {
							return err
						}
						if out[string(k)], err = item.ValueCopy(nil); err != nil {
							return err
						}
					}
					return nil
				})
			},
			func(_ *bdg.DB, s *badger.Store, i int) error {
				_, err := s.GetMany(ctx, names[batch(i):batch(i)+benchBatch])
				return err
			},
		},
		{fmt.Sprintf("setmany-%d", benchBatch),
			func(db *bdg.DB, _ *badger.Store, i int) error {
				wb := db.NewWriteBatch()
				for _, k := range raw[batch(i) : batch(i)+benchBatch] {
					if err := wb.Set(k, value); err != nil {
						wb.Cancel()
						return err
					}
				}
				return wb.Flush()
			},
			func(_ *bdg.DB, s *badger.Store, i int) error {
				return s.SetMany(ctx, entries[batch(i):batch(i)+benchBatch])
			},
		},
	}
	for _, op := range ops {
		b.Run("op="+op.name, func(b *testing.B) {
			db := openDB(b, nil)
			s := newOn(b, db)
			if err := s.SetMany(ctx, entries); err != nil {
				b.Fatal(err)
			}
			var tr, ts []time.Duration
			timed := func(f func(*bdg.DB, *badger.Store, int) error, i int) time.Duration {
				t0 := time.Now()
				if err := f(db, s, i); err != nil {
					b.Fatal(err)
				}
				return time.Since(t0)
			}
			for i := 0; b.Loop(); i++ {
				// Both work on the same keys: take turns at going first,
				// which finds them colder in the caches.
				if i%2 == 0 {
					tr = append(tr, timed(op.raw, i))
					ts = append(ts, timed(op.store, i))
				} else {
					ts = append(ts, timed(op.store, i))
					tr = append(tr, timed(op.raw, i))
				}
			}
			mr, ms := median(tr), median(ts)
			b.ReportMetric(float64(mr.Nanoseconds()), "badger-ns/op")
			b.ReportMetric(float64(ms.Nanoseconds()), "store-ns/op")
			b.ReportMetric(float64(ms)/float64(mr), "store/badger")
		})
	}
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// BenchmarkConformance measures the store with the operations the
// conformance package measures on every store.
func BenchmarkConformance(b *testing.B) {
	conformance.Benchmark(b, conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			dir := t.TempDir()
			return func() (kv.Store[string, []byte], error) { return badger.Open(dir) }
		},
		Capabilities: conformance.Capabilities{TTL: true, Persistent: true, Batch: true, PrefixScan: true, Conditional: true},
	})
}
