// Package file is the filesystem backend of kv: a kv.Store[string, []byte]
// that keeps one file per entry in a directory, the store's name.
//
//	s, err := file.Open("~/.cache/myapp/http", file.WithMaxBytes(500<<20))
//
// # Keys and file names
//
// No key, however hostile ("../../etc/passwd", an absolute path, NUL,
// "." or "..", 4 KiB long, keys differing only in case), can name a file
// outside the directory. A key's file name is one path component made of
// a-z, 0-9, '-', '_', '.' and '%' only:
//
//   - "k", the key with every byte other than a-z, 0-9, '-', '_' and '.'
//     written as '%' and two lower-case hex digits, then ".kv", when that
//     name is at most 200 bytes: the key "a/B" is in "ka%2f%42.kv";
//   - "h", the lower-case hex SHA-256 of the key, then ".kv" otherwise.
//
// Upper-case letters are escaped, so the names of two different keys differ
// on case-insensitive filesystems too; the prefix keeps names clear of "."
// and ".." and of Windows device names. The key is also stored in the file,
// which is how Keys lists long keys and how a reader checks that a file
// holds the key its name says. Files are opened through an os.Root on the
// directory, a second wall should an escape ever slip through. Keys are at
// most MaxKeySize (64 KiB) long.
//
// Only files with exactly these names are entries; the store ignores, and
// Clear leaves, every other file in the directory, its lock directory
// ".locks" (see Conditional writes) among them.
//
// # File format
//
// An entry file is a 40-byte header, the key, then the value. Integers are
// big-endian.
//
//	offset size
//	0      4    magic "kvkf"
//	4      1    format version, 1
//	5      1    flags: bit 0 set when the entry expires; other bits 0
//	6      2    reserved, 0
//	8      8    expiry, seconds since the Unix epoch (int64; 0 unless flagged)
//	16     4    expiry, nanoseconds within the second (0 unless flagged)
//	20     4    key length in bytes
//	24     8    value length in bytes
//	32     4    CRC-32C (Castagnoli) of bytes 0-31 and the key
//	36     4    CRC-32C of the value
//	40     -    the key, then the value
//
// The first checksum lets Has, Len and Keys trust an entry's key and
// expiry without reading its value; Get and All check both.
// A file whose magic, version, flags or lengths are wrong (the file must
// be exactly 40 + key + value bytes long), whose checksums do not match,
// or that holds a key other than the one its name stands for, is damaged:
// Get reports it with an error wrapping kv.ErrCorrupt, Keys and All yield
// such an error and go on, Len does not count it. Delete removes it.
//
// Files are created with mode 0600 and a missing directory with mode 0700
// (an existing directory keeps its mode).
//
// # Writes, durability and concurrency
//
// Set writes the whole entry to a temp file in the directory (named
// ".tmp-" followed by its creation time and a random number) and renames
// it over the entry's name. A rename is atomic, so a reader in any process
// sees the old entry or the new one, never a part, and a crash in the
// middle of a write leaves at most a temp file, which Keys, All and Len
// ignore like every file whose name is not an entry name; Open, Clear
// and DeleteExpired remove temp files older than StaleTempAge (one minute),
// which no live writer still needs.
//
// By default nothing is fsynced, which is what a cache wants: a Set that
// returned survives the process crashing, but after a power loss or an
// operating system crash recent entries may be missing or, on some
// filesystems, read back as kv.ErrCorrupt (the checksum catches a file
// whose data did not reach the disk). WithSync(true) fsyncs each entry file
// before its rename and the directory after every Set, Delete and Clear,
// so what returned is on disk.
//
// Any number of goroutines and of processes may use one directory at
// once. The outcome of racing calls is that of some order of them: a Set
// racing with a Delete of the same key leaves the entry or not; an entry
// set while Clear runs may survive it; Keys and All may or may not see
// entries written during the loop, and never yield a key twice.
// DeleteExpired and eviction never remove an entry that was replaced
// after they looked at it: they rename the file away, compare it with what
// they read, and put a newer entry back with a hard link (a reader may miss
// that entry for the instant it is away).
//
// # Conditional writes
//
// On Unix systems the store implements kv.ConditionalWriter (SetIfAbsent,
// CompareAndSwap, CompareAndDelete, and so kv.Update and kv.Lock),
// atomic across goroutines, handles and processes sharing the directory.
// Every write takes a flock on one of 64 lock files in the subdirectory
// ".locks", chosen by the entry's file name: Set, Delete and the removals
// of DeleteExpired and eviction a shared lock, so they still run side by
// side, a conditional write an exclusive one, held while it reads the
// entry, compares it and writes it by temp file and rename like Set. No
// write of the entry, from any process, falls in between. An expired
// entry counts as absent; a damaged one fails the call with an error
// wrapping kv.ErrCorrupt. The lock files are created on first use and
// stay; the operating system releases the locks of a process that dies.
// Stripes rather than a file per key keep the directory from holding a
// second file for every key, and rather than one lock for the store keep
// conditional writes of different keys from waiting for each other.
// Elsewhere (Windows) the store has no conditional writes: kv.Update
// fails with kv.ErrUnsupported.
//
// # Expiry
//
// An entry's expiry is in its header. An expired entry is invisible to
// Get, Has, Len, Keys and All from the instant it expires; its file stays
// until DeleteExpired, Delete, Clear or eviction removes it.
//
// # Size bound
//
// WithMaxBytes(n) bounds the sum of the sizes of the entry files (header,
// key and value; temp files and filesystem blocks are not counted) with
// least-recently-used eviction. Use is the file's modification time: Set
// writes it, Get and Has set it to now. Each store keeps a running total:
// Open measures the directory, every Set adds the size it wrote, and the
// Set that takes the total over n runs an eviction pass before returning.
// A pass lists the directory, measures it again and, when it holds more
// than n bytes, removes the entries used longest ago until it holds at most
// 90% of n. So the bound holds after each Set of this store; entries
// written by other processes count from this store's next pass. Use is as
// fine-grained as the filesystem's timestamps. An entry larger than n
// cannot be stored: Set fails with kv.ErrTooLarge.
//
// # Reuse
//
// A Store holds nothing but a handle on its directory. Open one per
// directory and share it between goroutines; two stores (say responses and
// redirects of an HTTP cache) live in two directories. Opening the same
// directory again, in this process or another, gives a store that sees
// the same entries. New builds a store on an os.Root the caller already
// has open (a subdirectory it confines its own files to, say); closing the
// store leaves that os.Root open.
//
// # Prefix scans
//
// The store is a kv.PrefixScanner and a kv.KeyScanner. A "k" file name is
// the key escaped byte by byte, so the name alone says whether the key
// starts with a prefix: Scan and ScanKeys list the directory as All and
// Keys do, but open only the "k" files of the prefix and every "h" file
// (a key too long for its name, which only the file holds). ScanKeys reads
// their header and key, never the value, and leaves out expired entries
// by the header's expiry. A directory of mostly long keys gains little.
//
// The store does not implement the batch capabilities: a batch of files is
// no faster than a loop, and kv.GetMany and the other helpers loop.
package file
