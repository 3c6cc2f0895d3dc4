package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kvkit/kv/stores/sqlite"
)

// TestConcurrentOpen opens one new database from four handles at once, a
// hundred times, and writes through each: every Open must succeed. Two
// processes starting together meet the same locks (TestMultiProcess once
// lost a process to it); before Open retried SQLITE_BUSY, about one round
// in a hundred failed with "database is locked".
func TestConcurrentOpen(t *testing.T) {
	fails := 0
	for round := range 100 {
		path := filepath.Join(t.TempDir(), "db.sqlite")
		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		for i := range 4 {
			wg.Go(func() {
				<-start
				s, err := sqlite.Open(path)
				if err == nil {
					err = s.Set(context.Background(), fmt.Sprint(i), []byte("v"))
					s.Close()
				}
				if err != nil {
					mu.Lock()
					fails++
					mu.Unlock()
					t.Logf("round %d opener %d: %v", round, i, err)
				}
			})
		}
		close(start)
		wg.Wait()
	}
	if fails > 0 {
		t.Errorf("%d failed opens", fails)
	}
}
