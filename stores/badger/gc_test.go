package badger_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv/stores/badger"
)

// goroutinesSettle waits until the number of goroutines is want, and
// returns the last count seen.
func goroutinesSettle(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); n != want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func TestGCGoroutineStopsOnClose(t *testing.T) {
	db := openDB(t, nil)
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	s, err := badger.New(db, badger.WithGCInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if n := goroutinesSettle(before + 1); n != before+1 {
		t.Fatalf("%d goroutines with the GC loop running, want %d", n, before+1)
	}
	time.Sleep(20 * time.Millisecond) // some rounds
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := goroutinesSettle(before); n != before {
		t.Fatalf("%d goroutines after Close, want %d", n, before)
	}
	// Without the option, no goroutine.
	s, _ = badger.New(db)
	if n := goroutinesSettle(before); n != before {
		t.Fatalf("%d goroutines for a store without GC interval, want %d", n, before)
	}
	_ = s.Close()
}

// TestRunGC runs value log GC over a value log that is mostly garbage:
// it succeeds, repeatedly, and leaves the live entries intact. (Whether
// badger rewrites a file depends on discard statistics that only
// compactions produce, which a short test cannot force reliably, so the
// test does not insist on reclaimed bytes.)
func TestRunGC(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := badger.Open(dir, badger.WithBadgerOptions(func(o bdg.Options) bdg.Options {
		return o.WithValueLogFileSize(1 << 20).WithValueThreshold(1 << 10)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	value := bytes.Repeat([]byte{1}, 64<<10)
	var keys []string
	for i := range 100 { // about 6.4 MB in value log files of 1 MiB
		k := fmt.Sprintf("k%03d", i)
		keys = append(keys, k)
		if err := s.Set(ctx, k, value); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteMany(ctx, keys[:90]); err != nil {
		t.Fatal(err)
	}
	if n := vlogBytes(t, dir); n < 6<<20 {
		t.Fatalf("value log holds %d bytes: the values did not go to the value log", n)
	}
	for range 2 {
		if err := s.RunGC(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || !bytes.Equal(got["k099"], value) {
		t.Fatalf("after RunGC: %d entries", len(got))
	}
}

// vlogBytes returns the size of the value log files in dir.
func vlogBytes(t *testing.T, dir string) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}
