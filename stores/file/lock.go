package file

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path"
)

// Entry locks.
//
// Every write of an entry file takes the lock of its stripe: Set, Delete
// and the removals of DeleteExpired and eviction a shared one, the
// conditional writes an exclusive one, held around their read, compare
// and write. So a conditional write excludes every other write of the
// entry, in this process and in any other, while plain writes go on side
// by side as before. Reads take no lock: a rename is atomic for them.
//
// A stripe is one of lockStripes lock files, "00" to "3f", in the
// subdirectory ".locks" of the store's directory, created on first use
// and never removed (Clear leaves them, as every file that is not an
// entry); an entry's
// stripe is a checksum of its file name, the same in every process. A
// lock file per key would exclude less but leave a second file behind
// for every key ever written, which could only be removed safely under
// yet another lock; a single lock file for the store would make every
// conditional write wait for every other. Sixty-four files bound the
// clutter and make two busy keys share a lock rarely.

// lockStripes is the number of lock files.
const lockStripes = 64

// LockDir is the subdirectory of a store's directory that holds its lock
// files.
const LockDir = ".locks"

// lockNames are the lock files, relative to the store's directory.
var lockNames = func() (names [lockStripes]string) {
	for i := range names {
		names[i] = path.Join(LockDir, fmt.Sprintf("%02x", i))
	}
	return names
}()

// lockName returns the lock file of the entry file name.
func lockName(name string) string {
	return lockNames[crc32.Checksum([]byte(name), castagnoli)%lockStripes]
}

// entryLock is a held entry lock: the open lock file, nil when there is
// none to hold.
type entryLock struct{ f *os.File }

// unlock releases the lock: closing the last descriptor of the lock file
// releases its flock.
func (l entryLock) unlock() {
	if l.f != nil {
		l.f.Close()
	}
}

// openLock opens the lock file of the entry file name, creating it, and
// LockDir, when missing.
func (s *Store) openLock(name string) (*os.File, error) {
	lock := lockName(name)
	f, err := s.root.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o600)
	if !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	if err := s.root.Mkdir(LockDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return s.root.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o600)
}

// lockMode is how an entry lock is held.
type lockMode int

const (
	lockShared    lockMode = iota // plain writes, side by side
	lockExclusive                 // conditional writes, alone
)
