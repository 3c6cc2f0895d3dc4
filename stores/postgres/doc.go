// Package postgres is the PostgreSQL backend of kv: a
// kv.Store[string, []byte] over one table, through
// github.com/jackc/pgx/v5 and its pool, pgxpool.
//
// # Opening
//
// Open(ctx, dsn, name) connects with a pool of its own and owns it: Close
// closes it. The DSN is a postgres:// URL or a libpq keyword/value
// string, and carries everything about the connection (see below);
// WithPoolConfig changes the parsed pgxpool.Config before it connects.
// New(pool, name) builds a store on a *pgxpool.Pool the caller already
// has; Close then leaves the pool open, and the caller closes it after its
// last store. That is also the answer to reusing connections across
// stores and sessions: make one pool when the program starts, build a
// store per table on it (say the responses and the redirects of an HTTP
// cache), and close it when the program ends. stores.Open and OpenURL
// take a URL with the store's options in its query.
//
// # Connecting to a production server
//
//   - Pooling: pgxpool keeps up to pool_max_conns connections (default
//     the larger of 4 and the number of CPUs); every call takes one for
//     the length of one statement. Behind PgBouncer in transaction mode,
//     add default_query_exec_mode=exec (or simple_protocol) to the DSN:
//     pgx prepares and caches statements per connection by default, which
//     a transaction pooler cannot follow.
//   - TLS: sslmode decides. disable sends everything in clear; prefer
//     (libpq's default, and pgx's) tries TLS and falls back to clear
//     without telling; require encrypts but accepts any certificate;
//     verify-ca checks the certificate against sslrootcert (or the system
//     roots); verify-full also checks the host name. Use verify-full
//     across any network you do not own. sslcert and sslkey give a client
//     certificate.
//   - Timeouts: connect_timeout (seconds) bounds each dial, and so how long
//     an unreachable server holds a call that needs a new connection; ctx
//     bounds every call.
//   - Credentials: the password goes in the URL, a passfile, or
//     PGPASSWORD; errors never print it.
//
// # Layout
//
// The store named name is the table name (created when missing, with
// WithCreateTable(false) to refuse, in the schema WithSchema names or the
// first of the search_path):
//
//	key        bytea       NOT NULL PRIMARY KEY  -- the key, or one derived from it
//	long_key   bytea                             -- the key, when key is derived
//	expires_at timestamptz                       -- NULL: never
//	value      bytea       NOT NULL
//
// with a partial index on expires_at WHERE expires_at IS NOT NULL. Keys
// and values are any bytes. A B-tree entry holds at most 2704 bytes, so a
// key of 2 KiB (2048 bytes) or more is not its own primary key: that is
// its first 2016 bytes followed by its SHA-256 hash, and the key itself
// is in long_key. Shorter keys are shorter than every derived key, so no
// two keys share a row, and a derived key starts with the key's first
// 2016 bytes, so prefix scans still read a range of the primary key. Keys
// are limited to MaxKeySize (64 KiB), values to DefaultMaxValueSize
// (64 MiB) or what WithMaxValueSize says (PostgreSQL takes up to 1 GiB);
// larger ones fail with kv.ErrTooLarge, with nothing sent. Names are
// always quoted, so any name of at most 63 bytes works. Each store reads,
// counts, lists and clears only its own table.
//
// WithUnlogged creates the table UNLOGGED: writes skip the write-ahead
// log and cost less, but the table is emptied by a crash restart and is
// not replicated. Fine for a cache, wrong for data that must survive.
//
// # Expiry
//
// A TTL becomes expires_at, rounded up to the microsecond. Every read
// (Get, Has, Len, GetMany, Keys, All, Scan) compares it with the store's
// clock, so an expired row is never returned; a janitor goroutine deletes
// expired rows every WithJanitorInterval (a minute by default), 5000 per
// transaction. Of all the stores on one table, in every process, one
// sweeps at a time: each round takes pg_try_advisory_xact_lock on a key
// derived from the table and skips the round when another session holds
// it. Close stops the janitor.
//
// # Operations
//
// Get and Has are one SELECT by primary key, Set one INSERT ... ON
// CONFLICT (key) DO UPDATE, Delete one DELETE. The store implements
// kv.BatchGetter (one SELECT ... WHERE key = ANY($1)), kv.BatchSetter
// (one INSERT ... SELECT FROM unnest($1, $2, $3) ON CONFLICT DO UPDATE,
// so a batch is written whole or not at all) and kv.BatchDeleter (one
// DELETE ... WHERE key = ANY($1)). kv.KeyScanner's ScanKeys is Scan's
// range selecting the key and its expiry, no value. Keys, All and kv.PrefixScanner's Scan
// walk the table in key order by keyset pagination: each page
// (WithPageSize, 100 rows by default) is one query, read whole and
// handed back to the pool before its rows are yielded, so no cursor,
// transaction or connection is held while the loop body runs. Scan's
// pages are range queries on the key (key >= prefix AND key < the
// prefix's successor).
//
// Conditional writes (set-if-absent, compare-and-swap) are not a kv
// capability yet; when they are, INSERT ... ON CONFLICT DO NOTHING and
// UPDATE ... WHERE value = $old give them natively.
package postgres
