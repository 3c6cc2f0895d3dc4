package sqlite

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkGroupCommit has 1, 8 and 64 goroutines doing Set of a 1 KiB
// value that changes every time (SQLite writes no page for a row that did
// not change, so a constant value would commit nothing) at one of 1000
// keys, and reports what the group commit did: sets/group is the mean
// size of the group transactions, grouped-% the share of the Sets that
// were committed in one.
func BenchmarkGroupCommit(b *testing.B) {
	for _, mode := range []string{"NORMAL", "FULL"} {
		b.Run("sync="+mode, func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "kv.db"),
				WithDSNParams(url.Values{"_pragma": {"synchronous(" + mode + ")"}}))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			for _, n := range []int{1, 8, 64} {
				b.Run("writers="+strconv.Itoa(n), func(b *testing.B) { measureGroups(b, s, n) })
			}
		})
	}
}

// measureGroups runs b.N Sets on s from n goroutines and reports the
// group counters' growth.
func measureGroups(b *testing.B, s *Store, n int) {
	ctx := context.Background()
	groups0, grouped0 := s.group.groups.Load(), s.group.grouped.Load()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range n {
		wg.Go(func() {
			v := make([]byte, 1<<10)
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				copy(v, strconv.FormatInt(i, 10))
				if err := s.Set(ctx, fmt.Sprintf("k%04d", i%1000), v); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	groups, grouped := s.group.groups.Load()-groups0, s.group.grouped.Load()-grouped0
	if groups > 0 {
		b.ReportMetric(float64(grouped)/float64(groups), "sets/group")
	}
	b.ReportMetric(100*float64(grouped)/float64(b.N), "grouped-%")
}
