// Package conformance is the test suite every kv.Store[string, []byte]
// must pass: the built-in backends run it, and so can a store written for
// any other database. One call in the store's own tests runs it:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Config{
//			NewStore: func(t testing.TB) conformance.Opener {
//				dir := t.TempDir() // a fresh location for each subtest
//				return func() (kv.Store[string, []byte], error) { return mystore.Open(dir) }
//			},
//			Capabilities: conformance.Capabilities{TTL: true, Persistent: true},
//		})
//	}
//
// and Benchmark measures the same store with the same operations as every
// other, for side-by-side comparison:
//
//	func BenchmarkStore(b *testing.B) { conformance.Benchmark(b, cfg) }
//
// # What it checks
//
// Run has a subtest for each rule of the kv.Store contract: Get, Set,
// Delete, Has, Len and Clear; kv.ErrNotFound with a nil value on a miss;
// values as bytes (every byte value, empty, 1 and 8 MiB); keys that trip
// up paths, escapes, patterns, case-insensitive namespaces, padding, number
// parsing and the cutting or hashing of long keys, and the empty key; the
// declared size limits (kv.ErrTooLarge, nothing written, also for an
// oversize entry in the middle of a SetMany); TTLs (expiry as seen by
// every method, WithTTL(0), negative TTLs, overwrites, expiry times
// reported by All within the declared TTLResolution and nothing more,
// entries still there shortly before their deadline after repeated reads
// and gone after it, so that a TTL that slides on every Get or an entry
// that goes early fails, and the reported expiry still right after the
// entry has aged); iteration (complete, no duplicates, early break, yield
// never called after it returned false, the store usable from inside the
// loop and after a break, a context cancelled in the middle ending the
// loop with its error); a cancelled context (an error wrapping
// context.Canceled from every method, empty batches included, nothing
// written), and a context cancelled during a Set or SetMany, at each place
// the store looks at it in turn (ContextDuring: success with the new value
// whole, or an error wrapping context.Canceled with each entry whole, old
// or new, never torn); Close (kv.ErrClosed from every method, empty batches included,
// a second Close is fine, Close while other goroutines use the store);
// concurrent writers and
// readers; a seeded random sequence of operations checked against a map
// (SeedEnv replays one); persistence across reopening; two handles on one
// location; and the batch, prefix-scan and key-scan helpers of package
// kv, which
// must agree with the plain methods whether the store has the capability
// or the helpers fall back.
//
// Capabilities are declared, not guessed: the subtests of an undeclared
// one skip, but the Capabilities subtest fails when the store implements an
// optional interface it does not declare, or declares one it does not
// fully implement (Capabilities.Check, usable on its own).
//
// Some rules are the suite's own reading of the contract, where its words
// leave room:
//
//   - Values are not shared with the caller: changing a slice after passing
//     it to Set or SetMany, or after getting it from Get, All or GetMany,
//     does not change what the store holds (Values/NotAliased).
//   - A nil value is stored as an empty one, and an empty value is found.
//   - A key is any string of bytes, not only valid UTF-8 (Keys/NonUTF8),
//     the empty string included (Keys/Empty), compared byte for byte, up to
//     Capabilities.MaxKeySize or the 4 KiB tried (the case-by-case list is
//     in keys.go).
//   - An oversize entry in a SetMany is not written and fails the call
//     with kv.ErrTooLarge; the rest of the batch may or may not be written
//     (kv.BatchSetter states it).
//   - The error from a cancelled context wraps context.Canceled.
//   - The body of a loop over Keys or All may call the store, even to write
//     or delete (Iterate/Mutate).
//   - On failure (Faults, only with Config.NewFaultyStore): the error of a
//     failing write, read or iteration comes back wrapped (errors.Is finds
//     the injected one), a failed Set leaves the old value whole, also
//     after reopening, a failed Get returns no value and the next one reads
//     the entry, a failed GetMany returns no values (not a partial map),
//     an iteration yields the error once and stops, a failed Delete
//     leaves the entry, Sets from several goroutines while every write
//     fails each return the fault and write nothing (a group commit
//     cannot hide a member's failure), and Close still works, ErrClosed
//     after.
//   - On damage (Damaged, only with Config.NewDamagedStore, for a
//     Persistent store): an entry whose stored form is damaged in a way
//     the store declares it finds (a Damage: a flipped bit under a
//     checksum, a newer format version, a file cut short) is reported by
//     Get and GetMany with an error wrapping kv.ErrCorrupt, never as a
//     value and never as a miss; All yields such an error in its place
//     (and may go on); the entries beside it read as before; a Set over
//     it or a Delete of it repairs it. Has, Keys and Len may or may not
//     see the damage (a store may read only an entry's header for them).
//   - Open on a location that cannot be opened (Unopenable, only with
//     Config.NewUnopenableStore; UnopenableDir makes one) fails, again on
//     a second try, and leaves the location as it was.
//   - Read-only (ReadOnly, only with Config.NewReadOnlyStore, for a
//     Persistent store): a store opened read-only on a location reads what
//     was written there before, and every write (Set, Delete, Clear, the
//     batch and conditional writes it has) fails with an error wrapping
//     kv.ErrReadOnly and changes nothing, neither for it nor for a
//     writable store opened after it.
//
// # Injected faults
//
// A store's test may give Config.NewFaultyStore: NewStore for a location
// whose operations can be made to fail, with a Faults function that arms
// the next n operations of a kind (FaultRead, FaultWrite, FaultIterate)
// to fail with an error the suite makes. The backend decides where the
// fault enters, as close to its I/O as it can, so that its own error
// paths run: stores/file fails the open of an entry file, the writing of
// a temp file (before its last context check and its rename), the Remove
// of an entry file or a scan's read through a fault set that is nil
// outside its tests (one comparison on the production path);
// stores/sqlite needs no change at all: its test opens a *sql.DB over a
// database/sql driver that wraps the real one and fails the armed Exec,
// Query or row read. Another backend adopts it the same way (a wrapped
// client, connection or file system in its test); without
// NewFaultyStore the Faults subtests are skipped.
//
// # What it cannot prove
//
// The suite samples behaviour; passing it is evidence, not proof. It
// cannot show atomicity or durability across a crash or power loss, that a
// store is free of races (run it with -race: the race detector finds what
// the Concurrent subtest only provokes), isolation between processes,
// behaviour under a network partition or a full disk, performance, that a
// backend's own TTL sweep (as opposed to the expiry checked on read) ever
// runs, that Close releases a goroutine or a connection, the error paths
// of a failing disk or database beyond the faults its test injects (see
// Injected faults: not a failing Prepare or Close, a database busy at
// Open, a clash of random temp names) and the damage its test makes (see
// Config.NewDamagedStore: only the damage the backend declares it finds;
// stores/sqlite declares none, a row is a plain BLOB without a checksum
// of the store's own), a moment inside a store that no call can hold open
// (the group commit's leader finishing between two of its steps), a
// read-only store unless Config.NewReadOnlyStore is given, or anything
// about keys and values it does not try. A write whose context is
// cancelled during the call may complete (ContextDuring accepts it), so
// a store that checks its context once less than it could passes. Its TTL subtests sleep for a few multiples of
// Capabilities.TTLResolution (in parallel with each other, each on its own
// location) and so can be fooled by a badly overloaded machine.
//
// How strong a sample it is has been measured by mutation testing
// (conformance/mutation/REPORT.md, made by conformance/mutation/run):
// mutants of stores/memory, stores/file and stores/sqlite, one change each,
// judged by each store's TestConformance alone. Leaving out the equivalent
// mutants (changes no test through kv.Store can see, or that differ only in
// what the contract leaves open: a background sweep, LRU bookkeeping under
// a bound never reached, logging, an fsync), the suite kills 100 % of
// stores/memory's (a full run, and a 1-in-4 sample since its conditional
// writes and otter engine). Of stores/sqlite's and stores/file's, on
// the code with group commit, read-only opens and conditional writes (a
// sample of 1 in 4 and 1 in 8, so give or take several points), it kills
// 91.7 % of stores/sqlite's (44 of 48) and 97.4 % of stores/file's (38 of
// 39), against the 90 % aimed at (89.6 % and 82.1 % before the Damaged,
// Unopenable, ContextDuring, Faults/DeleteReports and
// Faults/ConcurrentSets subtests). Every survivor left that counts is an
// error path or a moment it cannot cause from outside: a failing Prepare
// or Close, SQLITE_BUSY at Open, a race window inside the group commit, a
// clash of random temp names; leaving those out too, it kills 100 % of
// both. One of sqlite's kills (a group commit that reports success for a
// group whose statements all failed) rests on concurrent Sets meeting in
// a queue, likely rather than certain. Every survivor is listed in the
// report, with why it survives.
//
// Each subtest gets a fresh location from Config.NewStore and closes every
// store it opens; a subtest that runs longer than Config.Watchdog (two
// minutes unless set) fails, has its context cancelled and its stores
// closed. Configure the store under test
// so that it keeps what it is given: a size bound that evicts entries, or a
// cache that drops them, makes the suite see entries vanish and fail.
package conformance
