package badger

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
)

// Free-space guard.
//
// Badger creates its memtable logs (.mem), value logs (.vlog) and tables
// (.sst) at their full size with truncate, so they hold no disk blocks
// yet, memory-maps them and writes through the mapping. A page the
// filesystem cannot back then raises SIGBUS, which ends the Go process;
// badger never sees an error. So the store checks the filesystem's free
// space before it lets a write reach badger, and refuses with ENOSPC while
// a write could leave less than badger needs for the work it does on its
// own: flushing a full memtable to a table, compacting tables, flushing
// the memtable on Close.
//
// What badger may still take from the filesystem, beyond the space it
// already uses (statfs counts allocated blocks only):
//
//   - the unwritten tails of the current memtable log and value log,
//     which only writes fill: the store's own writes are counted as they
//     are admitted (writeCost), and every refresh reads statfs afresh;
//   - a memtable flush: one L0 table of about MemTableSize plus the batch
//     that filled it (flushReserve); flushes run one at a time, and each
//     frees its memtable log when done;
//   - compactions, whose output exists next to their input until they
//     finish: an L0 compaction (all of L0, the memtables still to be
//     flushed and the base level) once L0 is about to reach
//     NumLevelZeroTables, and for each deeper level past half its target
//     size one table and the part of the next level it overlaps
//     (compactionReserve);
//   - the unwritten part of the DISCARD file, which compactions fill
//     (its sparse deficit: apparent size less allocated blocks);
//   - slack for the MANIFEST and other small files (reserveSlack).
//
// Set and SetMany must leave that reserve plus writeHeadroom free;
// Delete, DeleteMany and Clear, which are how space comes back, only the
// reserve.

const (
	// writeHeadroom is the free space Set and SetMany leave beyond the
	// reserve: room for writes of other processes between two refreshes,
	// and for deletes once writes are refused.
	writeHeadroom = 4 << 20

	// reserveSlack covers badger's small files: MANIFEST rewrites,
	// KEYREGISTRY, the DISCARD file doubling.
	reserveSlack = 1 << 20

	// refreshEvery is how old the cached free space may get; within
	// writeHeadroom of the limit, nearEvery; a refusal always refreshes.
	refreshEvery = 100 * time.Millisecond
	nearEvery    = time.Millisecond

	// entryCost is what badger writes per entry beside key and value
	// (header, checksum, value pointer), rounded up; requestCost the page
	// a request may start in each of the two logs.
	entryCost   = 64
	requestCost = 2 * 4096
)

// errNoGuard reports that free space cannot be measured on this platform.
var errNoGuard = errors.New("free space not measurable on this platform")

// writeKind says how much free space an operation must leave.
type writeKind int

const (
	kindWrite  writeKind = iota // Set, SetMany, RunGC: reserve + headroom
	kindDelete                  // Delete, DeleteMany, Clear: reserve only
)

// spaceGuard decides whether a write may go to badger, from a cached
// measurement of the free space.
type spaceGuard struct {
	db       *bdg.DB
	dirs     []string // Dir, and ValueDir when on another filesystem
	valueDir string   // where DISCARD lives
	fixed    int64    // reserve set by WithMinFreeSpace; 0: computed
	log      *slog.Logger

	mu      sync.Mutex
	at      time.Time // last refresh; zero: never
	free    int64     // free bytes at the last refresh, less sparse deficits
	dir     string    // the directory free was measured on
	reserve int64     // at the last refresh
	spent   int64     // bytes admitted since the last refresh
	warned  bool      // a measurement error was logged
}

// newSpaceGuard returns the guard for db, or nil when there is nothing to
// guard (memory mode, read-only) or it was turned off (min < 0).
func newSpaceGuard(db *bdg.DB, min int64, log *slog.Logger) *spaceGuard {
	o := db.Opts()
	if min < 0 || o.InMemory || o.ReadOnly {
		return nil
	}
	dirs := []string{o.Dir}
	if o.ValueDir != "" && filepath.Clean(o.ValueDir) != filepath.Clean(o.Dir) && !sameFS(o.Dir, o.ValueDir) {
		dirs = append(dirs, o.ValueDir)
	}
	if _, err := freeBytes(o.Dir); errors.Is(err, errNoGuard) {
		return nil
	}
	return &spaceGuard{db: db, dirs: dirs, valueDir: o.ValueDir, fixed: min, log: log}
}

// writeCost is what admitting entries of the given total key and value
// bytes may allocate in badger's logs.
func writeCost(entries int, bytes int64) int64 {
	return bytes + int64(entries)*entryCost + requestCost
}

// admit reports whether a write that may allocate n bytes leaves enough
// free space for kind, refreshing the measurement when it is old (by now,
// the caller's clock reading) or the write comes close to the limit, and
// counts n as spent when it does. A refusal wraps errNoSpace
// (syscall.ENOSPC). A nil guard admits everything.
func (g *spaceGuard) admit(kind writeKind, n int64, now time.Time) error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	left := g.left(kind, n)
	age := now.Sub(g.at)
	if g.at.IsZero() || age >= refreshEvery || left < 0 || (left < writeHeadroom && age >= nearEvery) {
		if err := g.refresh(now); err != nil {
			// Not knowing is no reason to fail a write badger may well
			// take: let it through, and say so once.
			if !g.warned {
				g.warned = true
				g.log.Warn("kv/badger: free space unknown, writes not guarded", "err", err)
			}
			return nil
		}
		left = g.left(kind, n)
	}
	if left < 0 {
		need := g.reserve + n
		if kind == kindWrite {
			need += writeHeadroom
		}
		return fmt.Errorf("%w: %s has %d bytes free, this write needs %d (%d for badger's flushes and compactions, see WithMinFreeSpace)",
			errNoSpace, g.dir, max(g.free-g.spent, 0), need, g.reserve)
	}
	g.spent += n
	return nil
}

// left is the free space a write of n bytes would leave beyond what kind
// must keep, by the last measurement.
func (g *spaceGuard) left(kind writeKind, n int64) int64 {
	l := g.free - g.spent - n - g.reserve
	if kind == kindWrite {
		l -= writeHeadroom
	}
	return l
}

// refresh measures the free space of the directories and recomputes the
// reserve.
func (g *spaceGuard) refresh(now time.Time) error {
	o := g.db.Opts()
	free, dir := int64(-1), ""
	for _, d := range g.dirs {
		f, err := freeBytes(d)
		if err != nil {
			return err
		}
		if free < 0 || f < free {
			free, dir = f, d
		}
	}
	discard, err := sparseDeficit(filepath.Join(g.valueDir, "DISCARD"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	reserve := g.fixed
	if reserve <= 0 {
		memtables, err := countMemtables(o.Dir)
		if err != nil {
			return err
		}
		reserve = computeReserve(o, g.db.Levels(), memtables)
	}
	g.at, g.free, g.dir, g.reserve, g.spent = now, free-discard, dir, reserve, 0
	return nil
}

// countMemtables counts the memtable logs in dir: the current memtable
// and those waiting to be flushed.
func countMemtables(dir string) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".mem") {
			n++
		}
	}
	return n, nil
}

// flushReserve is the size of the L0 table a full memtable becomes: the
// memtable and the batch that filled it (badger's maxBatchSize is 15% of
// MemTableSize).
func flushReserve(o bdg.Options) int64 {
	return o.MemTableSize + o.MemTableSize*15/100
}

// computeReserve returns the free space badger may take on its own, with
// options o, its levels as db.Levels reports them and the given number of
// memtables (the current one and those waiting for a flush): one
// memtable flush, the compactions that may run, and slack.
func computeReserve(o bdg.Options, levels []bdg.LevelInfo, memtables int) int64 {
	return flushReserve(o) + compactionReserve(o, levels, memtables) + reserveSlack
}

// compactionReserve estimates the output of the compactions badger may
// run, which it writes before it deletes their input.
func compactionReserve(o bdg.Options, levels []bdg.LevelInfo, memtables int) int64 {
	if len(levels) == 0 {
		return 0
	}
	flush := flushReserve(o)
	var total int64
	// L0 is compacted once it holds NumLevelZeroTables tables; flushing
	// the memtables there are adds one table each. The compaction
	// rewrites L0 with the tables of the base level it overlaps (with
	// random keys, all of them).
	l0 := levels[0]
	pending := int64(max(memtables, 1))
	if l0.NumTables+int(pending) >= o.NumLevelZeroTables {
		total += l0.Size + pending*flush
		for _, l := range levels[1:] {
			if l.IsBaseLevel {
				total += l.Size
			}
		}
	}
	// Below L0, a level is compacted into the next once it outgrows its
	// target size: a table of it with the tables of the next level it
	// overlaps (about the next level's size over the number of tables in
	// this one, and a table at each end). Count it for every level past
	// half its target.
	var deeper, below int64
	for i := 1; i < len(levels); i++ {
		below += levels[i].Size
	}
	for i := 1; i+1 < len(levels); i++ {
		l, next := levels[i], levels[i+1]
		if l.NumTables == 0 || l.Score < 0.5 {
			continue
		}
		table := max(l.TargetFileSize, l.Size/int64(l.NumTables))
		est := table + next.Size/int64(l.NumTables) + 2*next.TargetFileSize
		deeper += min(est, l.Size+next.Size)
	}
	total += min(deeper, below)
	return total
}
