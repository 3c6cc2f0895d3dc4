// Package sqlite is the SQLite backend of kv: a kv.Store[string, []byte]
// over one table of a SQLite database file, through modernc.org/sqlite
// (pure Go, no cgo).
//
//	s, err := sqlite.Open("~/.cache/myapp/cache.db", sqlite.WithTable("responses"))
//
// The name a store is opened with is the database file's path; a leading
// "~" is the home directory, and missing directories are created. Keys are
// BLOBs, so any bytes (NUL included) are a key, and keys compare bytewise.
// Entries may carry an expiry, stored as unix nanoseconds with an index: an
// expired entry is invisible from the instant it expires, DeleteExpired
// deletes them all, and writes delete a bounded batch now and then (see
// WithSweepInterval); no goroutine is started.
//
// The store implements kv.BatchGetter, kv.BatchSetter and kv.BatchDeleter
// (each batch one transaction, so SetMany of a hundred entries costs about
// one commit instead of a hundred), kv.PrefixScanner (a range query on
// the key) and kv.KeyScanner (the same range reading the key column only,
// so a kv.Prefixed namespace lists and counts its keys without reading
// values).
//
// # Many goroutines, many processes
//
// Open puts the database in WAL mode, so readers never wait for the writer
// and the writer never waits for readers. Writes of one Open go through a
// pool of one connection, so goroutines of the process queue for it (Sets
// in the store's group commit, below; other writes in database/sql), each
// honouring its own context; reads use a pool of their own. Across processes (or separate Opens of one file) SQLite's lock
// decides: every connection waits up to DefaultBusyTimeout for it, and
// write transactions begin IMMEDIATE, taking the lock before reading, so
// that a transaction never has to be abandoned for a lock it cannot
// upgrade. Together this means "database is locked" is not an error a
// caller sees under contention, only when a writer holds the lock for
// longer than the busy timeout.
//
// # Group commit
//
// A SQLite commit costs several times the write it commits, and the
// writes of one Open go through one connection, one after the other. So
// Set commits concurrent Sets together: a Set that finds no commit
// running writes at once, as the one statement it always was; Sets that
// arrive while a commit runs queue up, and when it is done the oldest of
// them writes the whole queue in one transaction, hands the turn to the
// oldest Set that queued meanwhile, and returns. There is no goroutine,
// no timer and no batching window: a lone writer never waits (and
// allocates nothing for the queue), and under load the groups grow by
// themselves to what queued during one commit. One nudge helps them
// grow: the leader of a turn that follows a group first yields the
// processor once (runtime.Gosched), so that the Sets the group released
// queue behind it instead of each committing alone; a writer alone never
// follows a group. This is leader and followers rather than one writer
// goroutine so that a store costs nothing when idle and a Set runs on
// its caller's goroutine. Each Store groups its own Sets: stores made
// with Store.Table share the connection but not a queue.
//
// Every Set returns only after the transaction holding it committed
// (with the durability of the connection's synchronous setting, see
// Open), and a group never makes one Set fail for another: an entry too
// large is refused before it queues; a statement of the group that fails
// rolls the transaction back and its members are then written one by
// one, each getting its own outcome; a failed BEGIN or COMMIT is the
// error of every member. A group runs under none of its members'
// contexts (it is every member's write): a Set whose context ends while
// it queues leaves the queue unwritten, one whose context ends while its
// group commits returns the context's error, written or not. SetMany,
// Delete and the conditional writes are their own transactions and
// statements as before, queued with the groups on the one connection.
//
// # Can I reuse one database across several stores or sessions?
//
// Yes, in three ways:
//
//   - Store.Table returns a store over another table of the same database
//     that shares the connections: an HTTP cache keeps its responses and
//     its redirects in one file this way. Each store has its own Close;
//     the connections close with the last one.
//   - Open the same file again, in this process or in another one, with
//     the same or another table: the stores see each other's writes
//     (of the same table) as soon as they are committed, and wait for
//     each other's locks instead of failing. Clear, Len and iteration
//     only ever touch the store's own table.
//   - New builds a store on a *sql.DB you own, next to your own tables;
//     Close leaves the *sql.DB open, so one handle serves any number of
//     stores and sessions. See New for how to configure it.
//
// WithDSNParams passes the driver's own connection parameters (PRAGMAs,
// busy timeout, VFS) to Open.
package sqlite
