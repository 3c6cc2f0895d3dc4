package bench

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// writerCounts are the numbers of goroutines BenchmarkManyWriters runs.
var writerCounts = []int{1, 8, 64}

// BenchmarkManyWriters has 1, 8 and 64 goroutines doing Set of a Record
// (1 KiB payload, CBOR, its ID the Set's ordinal so that every Set
// changes its row) on one embedded store, each store against its raw
// driver doing the same writes one at a time (impl=raw, the baseline):
// for SQLite database/sql with one connection and one transaction per
// write (an autocommit statement; store=sqlite-full is both with
// synchronous=FULL, a commit that survives power loss), for the file store a temporary file
// renamed into place, for Badger one Update transaction per Set. ns/op is
// the wall time per Set over all goroutines (its inverse is the
// throughput); p99-ns is the 99th percentile of one Set's latency.
func BenchmarkManyWriters(b *testing.B) {
	b.Run("store=sqlite", func(b *testing.B) {
		runManyWriters(b, []impl{{"raw", openSQLiteRawOneConn}, {"kv", openSQLiteKV}})
	})
	b.Run("store=sqlite-full", func(b *testing.B) {
		runManyWriters(b, []impl{{"raw", openSQLiteRawOneConnFull}, {"kv", openSQLiteKVFull}})
	})
	b.Run("store=file", func(b *testing.B) {
		runManyWriters(b, []impl{{"raw", openFileRaw}, {"kv", openFileKV}})
	})
	b.Run("store=badger", func(b *testing.B) {
		runManyWriters(b, []impl{{"raw", openBadgerRaw}, {"kv", openBadgerKV}})
	})
}

// runManyWriters opens each implementation, preloads it (so every
// measured Set replaces an entry) and measures it with each number of
// writers.
func runManyWriters(b *testing.B, impls []impl) {
	ctx := context.Background()
	rec := newRecord(recordSize)
	for _, im := range inRoundOrder(impls) {
		b.Run("impl="+im.name, func(b *testing.B) {
			o := im.open(b)
			for k := range benchKeys {
				if err := o.set(ctx, benchKey(k), rec); err != nil {
					b.Fatalf("preload: %v", err)
				}
			}
			for _, n := range writerCounts {
				b.Run("writers="+strconv.Itoa(n), func(b *testing.B) { measureWriters(b, o, rec, n) })
			}
		})
	}
}

// measureWriters runs b.N Sets from n goroutines, which take the next
// key in turn, and reports the 99th percentile latency of one Set.
func measureWriters(b *testing.B, o ops, rec Record, n int) {
	b.ReportAllocs()
	ctx := context.Background()
	lat := make([][]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range n {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				r := rec
				r.ID = i // a new value each time: SQLite skips writing a row that did not change
				t0 := time.Now()
				if err := o.set(ctx, benchKey(int(i)), r); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds()), "p99-ns")
}
