package file_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/file"
)

// entryBytes sums the sizes of the entry files in dir.
func entryBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	for _, name := range dirNames(t, dir) {
		if name[0] == '.' {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	return total
}

// tick waits long enough for file times to move on, whatever the
// filesystem's timestamp granularity (coarse kernel clocks tick every few
// milliseconds).
func tick() { time.Sleep(30 * time.Millisecond) }

func TestLRU(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Every entry is 40 (header) + 2 (key) + 58 (value) = 100 bytes.
	const size = 100
	value := make([]byte, size-40-2)
	s := open(t, dir, file.WithMaxBytes(12*size))
	set := func(k string) {
		t.Helper()
		if err := s.Set(ctx, k, value); err != nil {
			t.Fatal(err)
		}
		if got := entryBytes(t, dir); got > 12*size {
			t.Fatalf("after Set(%q) the entries total %d bytes, bound %d", k, got, 12*size)
		}
	}
	for i := range 10 {
		set(fmt.Sprintf("a%d", i))
	}
	tick()
	for _, k := range []string{"a0", "a1"} {
		if _, err := s.Get(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.Has(ctx, "a2"); !ok || err != nil {
		t.Fatalf("Has = %v, %v", ok, err)
	}
	tick()
	// Two more fit (12 entries); the third pass evicts down to 90% of
	// the bound, 10 entries: the three least recently used go each time.
	for i := range 6 {
		set(fmt.Sprintf("b%d", i))
	}
	want := []string{"a0", "a1", "a2", "a9", "b0", "b1", "b2", "b3", "b4", "b5"}
	if diff := cmp.Diff(want, keys(t, s)); diff != "" {
		t.Errorf("keys after eviction (-want +got):\n%s", diff)
	}
	for _, k := range []string{"a3", "a8"} {
		if _, err := s.Get(ctx, k); !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("Get(%q) of an evicted entry: %v", k, err)
		}
	}
}

// TestLRUOpen checks that Open measures what is already in the directory
// (written by another store) and evicts down to the bound.
func TestLRUOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	unbounded := open(t, dir)
	value := make([]byte, 58)
	for i := range 20 {
		if err := unbounded.Set(ctx, fmt.Sprintf("%02d", i), value); err != nil {
			t.Fatal(err)
		}
		if i == 9 {
			tick()
		}
	}
	if got := entryBytes(t, dir); got != 2000 {
		t.Fatalf("20 entries total %d bytes, want 2000", got)
	}
	bounded := open(t, dir, file.WithMaxBytes(1000))
	if got := entryBytes(t, dir); got > 1000 {
		t.Errorf("after Open with a 1000-byte bound the entries total %d bytes", got)
	}
	got := keys(t, bounded)
	if len(got) != 9 {
		t.Errorf("%d entries after Open, want 9 (90%% of the bound)", len(got))
	}
	if !slices.Contains(got, "19") || slices.Contains(got, "00") {
		t.Errorf("Open kept %q: want the newest kept and the oldest evicted", got)
	}
}
