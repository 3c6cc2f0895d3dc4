package badger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
)

func guarded(t testing.TB) {
	t.Helper()
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd":
	default:
		t.Skipf("no free-space guard on %s", runtime.GOOS)
	}
}

// TestSparseDeficit checks that a file made with Truncate, as badger makes
// its memory-mapped files, counts as space still to be allocated, and a
// written one does not.
func TestSparseDeficit(t *testing.T) {
	guarded(t)
	dir := t.TempDir()
	const size = 4 << 20
	sparse := filepath.Join(dir, "sparse")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	// Touch one page in the middle, as a write through a map would.
	if _, err := f.WriteAt([]byte{1}, size/2); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(dir, "written")
	if err := os.WriteFile(written, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	if d, err := sparseDeficit(sparse); err != nil || d < size-64<<10 || d >= size {
		t.Errorf("sparse %d-byte file with one page written: deficit %d, %v; want about %d", size, d, err, size-4096)
	}
	if d, err := sparseDeficit(written); err != nil || d != 0 {
		t.Errorf("written file: deficit %d, %v; want 0", d, err)
	}
	if _, err := sparseDeficit(filepath.Join(dir, "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v, want os.ErrNotExist", err)
	}
}

// TestComputeReserve checks the reserve against badger's options and
// levels: a flush always; an L0 compaction only when the memtables would
// bring L0 to NumLevelZeroTables; a deeper level only past half its
// target size.
func TestComputeReserve(t *testing.T) {
	o := bdg.DefaultOptions("").WithMemTableSize(10 << 20)
	flush := int64(10<<20 + 10<<20*15/100)
	const mib = 1 << 20
	levels := func(l0Tables int, l0Size int64, base bdg.LevelInfo) []bdg.LevelInfo {
		ls := make([]bdg.LevelInfo, 7)
		for i := range ls {
			ls[i] = bdg.LevelInfo{Level: i, TargetFileSize: 2 * mib, TargetSize: 10 * mib}
		}
		ls[0].NumTables, ls[0].Size = l0Tables, l0Size
		base.Level = 5
		ls[5] = base
		ls[6] = bdg.LevelInfo{Level: 6, NumTables: 10, Size: 40 * mib, TargetFileSize: 4 * mib}
		return ls
	}
	base := bdg.LevelInfo{NumTables: 4, Size: 8 * mib, TargetSize: 10 * mib, TargetFileSize: 2 * mib, IsBaseLevel: true, Score: 0.4}
	full := base
	full.Score = 0.8
	for _, tc := range []struct {
		name      string
		levels    []bdg.LevelInfo
		memtables int
		want      int64
	}{
		{"no levels", nil, 1, flush + reserveSlack},
		{"badger's defaults, fresh DB", make([]bdg.LevelInfo, 7), 1, flush + reserveSlack},
		{"L0 below trigger", levels(3, 30*mib, base), 1, flush + reserveSlack},
		{"L0 reaches trigger", levels(4, 40*mib, base), 1, flush + (40*mib + flush + 8*mib) + reserveSlack},
		{"memtables waiting", levels(3, 30*mib, base), 2, flush + (30*mib + 2*flush + 8*mib) + reserveSlack},
		// One 2 MiB table of L5, a quarter of L6 (10 MiB) and two 4 MiB
		// tables at the ends.
		{"base level past half", levels(0, 0, full), 1, flush + (2*mib + 10*mib + 8*mib) + reserveSlack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := computeReserve(o, tc.levels, tc.memtables); got != tc.want {
				t.Errorf("reserve %d, want %d (%+d)", got, tc.want, got-tc.want)
			}
		})
	}
	// The package doc says: near 75 MiB with badger's defaults.
	if got := computeReserve(bdg.DefaultOptions(""), make([]bdg.LevelInfo, 7), 1); got>>20 != 74 {
		t.Errorf("reserve with badger's defaults on a fresh DB: %d bytes (%d MiB), the package doc says near 75 MiB", got, got>>20)
	}
}

// TestSpaceGuard checks the guard on a real DB through the store: a
// reserve larger than the filesystem's free space refuses Set, SetMany,
// Delete, DeleteMany and Clear with an error wrapping ENOSPC that names the
// directory, writing nothing, while reads go on; once the space is there
// (here: the reserve lowered), the next write goes through without waiting
// for the cache to expire.
func TestSpaceGuard(t *testing.T) {
	guarded(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.space == nil {
		t.Fatal("no guard on a guarded platform")
	}
	if err := s.Set(ctx, "before", []byte("v")); err != nil {
		t.Fatal(err)
	}
	free, err := freeBytes(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.space.mu.Lock()
	s.space.fixed = free + 1<<30
	s.space.at = time.Time{} // measure again at the next write
	s.space.mu.Unlock()

	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s with a reserve above the free space: %v, want an error wrapping ENOSPC naming %s", what, err, dir)
		}
	}
	refused("set", s.Set(ctx, "k", []byte("v")))
	refused("set many", s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "m", Value: []byte("v")}}))
	refused("delete", s.Delete(ctx, "before"))
	refused("delete many", s.DeleteMany(ctx, []string{"before"}))
	refused("clear", s.Clear(ctx))
	if v, err := s.Get(ctx, "before"); err != nil || string(v) != "v" {
		t.Errorf("get after refusals: %q, %v; want \"v\"", v, err)
	}
	if ok, err := s.Has(ctx, "k"); err != nil || ok {
		t.Errorf("has k: %v, %v: a refused Set wrote", ok, err)
	}

	// The cached measurement is fresh and refuses; a refusal measures
	// again.
	s.space.mu.Lock()
	s.space.fixed = 1
	s.space.mu.Unlock()
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Errorf("set once the space is there: %v", err)
	}
}

// BenchmarkSpaceGuard times the guard alone: op=admit is the check a
// write pays while the cached measurement is fresh, op=refresh a new
// measurement (statfs, the directory listing, badger's levels), which a
// write pays at most every 100 ms while far from the limit.
func BenchmarkSpaceGuard(b *testing.B) {
	guarded(b)
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g := s.space
	b.Run("op=admit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := g.admit(kindWrite, 128, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=refresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g.mu.Lock()
			err := g.refresh(time.Now())
			g.mu.Unlock()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
