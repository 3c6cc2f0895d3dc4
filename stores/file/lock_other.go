//go:build !unix

package file

// conditionalSupported reports whether the store has the conditional
// writes: not without flock.
const conditionalSupported = false

// lockEntry takes no lock: without conditional writes, the plain writes
// need none.
func (s *Store) lockEntry(string, lockMode) (entryLock, error) { return entryLock{}, nil }
