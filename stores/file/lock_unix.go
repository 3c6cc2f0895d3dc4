//go:build unix

package file

import (
	"errors"
	"syscall"
)

// conditionalSupported reports whether the store has the conditional
// writes: they need flock, which every Unix has.
const conditionalSupported = true

// lockEntry takes the lock of the entry file name in mode. The lock is a
// flock on a descriptor of its own, which excludes other descriptors in
// this process as in others, and which the system releases when the
// process dies. It waits as long as the holder takes; holders keep it
// only for one entry's read and write.
func (s *Store) lockEntry(name string, mode lockMode) (entryLock, error) {
	f, err := s.openLock(name)
	if err != nil {
		return entryLock{}, err
	}
	how := syscall.LOCK_SH
	if mode == lockExclusive {
		how = syscall.LOCK_EX
	}
	rc, err := f.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) { err = flock(int(fd), how) })
		err = errors.Join(cerr, err)
	}
	if err != nil {
		f.Close()
		return entryLock{}, err
	}
	return entryLock{f}, nil
}

// flock is syscall.Flock retried when a signal interrupts it.
func flock(fd, how int) error {
	for {
		err := syscall.Flock(fd, how)
		if err != syscall.EINTR {
			return err
		}
	}
}
