// Package badger is the Badger backend of kv: a kv.Store[string, []byte]
// in a github.com/dgraph-io/badger/v4 database, for one machine.
//
// # Opening
//
// Open(dir) opens (or creates) the database in a directory ("~" is the home
// directory) and Close closes it. New(db) builds a store on a *badger.DB
// the caller already has open; Close then leaves the DB open, and several
// stores (say the responses and the redirects of an HTTP cache) share it,
// each under its own key prefix (WithPrefix). Reusing one DB across stores
// and sessions is the way to share it: open it once, hand it to New as
// often as needed, and close it after the last store.
//
// Badger's own options are reached through WithBadgerOptions. Badger logs
// a great deal by default; here it logs nothing unless WithLogger gives a
// *slog.Logger.
//
// # Layout
//
// Every key is stored as prefix name, a 0x00 byte, then the key
// ("kv\x00user-key" with the default prefix). A prefix holds no 0x00
// byte, so the keys of two stores never overlap, and Clear and iteration
// touch this store's keys only. Badger limits keys to 65000 bytes, so the
// store accepts keys up to 65000 less the prefix and separator
// (MaxKeySize), and values up to badger's ValueLogFileSize (1 GiB by
// default) less 12 bytes (MaxValueSize). Larger ones fail with
// kv.ErrTooLarge before anything is written.
//
// Clear is badger's DropPrefix, which frees the space the entries took in
// the tables at once (value-log space comes back only through RunGC, see
// below) but blocks writes to the whole DB while it runs: the stores of this package on the
// DB wait and retry, other writers get badger.ErrBlockedWrites.
//
// A value without expiry is stored as it is. A value with one starts with
// a 12-byte header holding the exact expiry and is marked in the entry's
// UserMeta; the badger entry also gets badger's own TTL (rounded up to
// the second), so badger hides it and reclaims its space natively, and the
// store checks the exact instant on every read.
//
// # Capabilities
//
// The store implements kv.BatchGetter (one read transaction),
// kv.BatchSetter and kv.BatchDeleter (a badger WriteBatch, which splits
// large batches into as many transactions as needed) and
// kv.PrefixScanner (a prefix-bounded badger iterator), and kv.KeyScanner
// (the same iterator without prefetching values). Keys, All and Scan
// yield in key order; they read in chunks, each with its own transaction
// and iterator closed before the chunk is yielded, so no transaction stays
// open while the loop body runs.
//
// It also implements kv.ConditionalWriter (and so kv.Update and kv.Lock):
// each SetIfAbsent, CompareAndSwap and CompareAndDelete is one read-write
// transaction that reads the key, compares and writes, with the TTL of
// the options as Set has it. Badger's conflict detection fails the commit
// when another transaction committed the key after the read; the write
// then runs again from the read, up to 20 times, before failing with an
// error wrapping kv.ErrConflict. A DB opened with DetectConflicts off
// (WithBadgerOptions, or a DB given to New) cannot make them atomic, and
// they fail with an error wrapping kv.ErrUnsupported.
//
// # Space
//
// Badger keeps large values in a value log that must be garbage
// collected. RunGC collects it now; WithGCInterval runs it in a goroutine
// that Close stops.
//
// # A full disk
//
// Badger creates its memtable logs, value logs and tables at full size
// as sparse files, memory-maps them and writes through the maps. When the
// filesystem cannot back a page, the kernel sends SIGBUS and the Go
// runtime ends the process: badger never returns an error (seen with
// badger v4.9.6 on a full tmpfs). So the store checks the free space of
// badger's directory (and of the value directory, when it is on another
// filesystem) before every write, and refuses with an error wrapping
// syscall.ENOSPC, writing nothing, when the write would leave too little
// for what badger does on its own. Reads go on; once space comes back,
// writes succeed again. TestDiskFullFault fills a small tmpfs this way.
//
// The reserve is what badger may still take without a write of the
// store's: one memtable flush (MemTableSize and 15%, the largest batch),
// the L0 compaction once the memtables would bring L0 to
// NumLevelZeroTables tables (all of L0, those memtables and the base
// level), for each deeper level past half its target size one of its
// tables and the part of the next level it overlaps, the unwritten part
// of badger's DISCARD file, and 1 MiB for small files. It follows the DB:
// with badger's defaults it starts near 75 MiB and grows with the levels.
// WithMinFreeSpace sets it instead. Set and SetMany must leave the
// reserve and 4 MiB more; Delete, DeleteMany and Clear, the ways to free
// space, only the reserve, since deleting writes tombstones too. RunGC
// must also have room to copy the live part of a value log file (1 -
// the discard ratio of ValueLogFileSize): a higher WithGCDiscardRatio
// lets it run with less. Clear frees table space at once; space in the
// value log (values of ValueThreshold and more) comes back through RunGC.
//
// The check is a measurement, refreshed every 100 ms, every millisecond
// near the limit and before every refusal, with the store's own writes
// counted in between; it costs a Set about 70 ns. It is not a guarantee:
// another process filling the disk between a check and badger's write,
// another writer of a DB shared through New, or a compaction larger than
// the estimate can still end the process with SIGBUS. Stores sharing a
// DB each count their own writes. In badger's memory and read-only modes
// there is nothing to check, and on platforms other than Linux, macOS
// and FreeBSD the store cannot measure free space and does not check:
// keep badger's directory on a disk with room to spare there. The file
// and SQLite stores return the filesystem's own error instead.
//
// # Processes
//
// Badger locks its directory: one process at a time may open it for
// writing. Open in a second process fails with an error wrapping
// ErrLocked, and the first process goes on unharmed. Read-only opens
// (WithBadgerOptions with badger's WithReadOnly(true)) may share a
// directory with each other, but not with a writer, and cannot write or
// Clear. The lock holds within one process too: a second Open of an open
// directory fails with ErrLocked, so share the DB through New instead.
// Within one process, any number of goroutines may use one store, or
// several stores on one DB, at once. Programs that need several
// processes writing one store need a server backend (stores/redis and
// others) or stores/sqlite.
package badger
