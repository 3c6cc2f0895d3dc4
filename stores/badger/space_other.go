//go:build !(linux || darwin || freebsd)

package badger

import "errors"

// Elsewhere the store does not measure free space: newSpaceGuard sees
// errNoGuard and returns no guard.

// errNoSpace is never returned here; plan9 has no syscall.ENOSPC.
var errNoSpace = errors.New("no space left on device")

func freeBytes(string) (int64, error) { return 0, errNoGuard }

func sparseDeficit(string) (int64, error) { return 0, nil }

func sameFS(a, b string) bool { return false }
