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
// Clear is badger's DropPrefix, which frees the space at once but blocks
// writes to the whole DB while it runs: the stores of this package on the
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
// kv.PrefixScanner (a prefix-bounded badger iterator). Keys, All and Scan
// yield in key order; they read in chunks, each with its own transaction
// and iterator closed before the chunk is yielded, so no transaction stays
// open while the loop body runs.
//
// # Space
//
// Badger keeps large values in a value log that must be garbage
// collected. RunGC collects it now; WithGCInterval runs it in a goroutine
// that Close stops.
//
// Keep the directory on a disk with room to spare. When the disk fills,
// badger does not return an error: its background flush writes table files
// through memory maps, and a write to a map the disk cannot back kills the
// process with SIGBUS (seen with badger v4.9.6 on a full tmpfs; see
// TestDiskFullFault). The file and SQLite stores return an error instead.
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
