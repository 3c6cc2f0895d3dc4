//go:build linux || darwin || freebsd

package badger

import (
	"os"
	"syscall"
)

// errNoSpace is what a refused write wraps.
var errNoSpace error = syscall.ENOSPC

// freeBytes returns the bytes available to unprivileged writers on the
// filesystem that holds dir.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// sparseDeficit returns how many bytes of the file at path hold no disk
// blocks yet: its size less its allocated blocks (512 bytes each), the
// space that writing all of it would still take.
func sparseDeficit(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, nil
	}
	return max(fi.Size()-int64(st.Blocks)*512, 0), nil
}

// sameFS reports whether directories a and b are on one filesystem.
func sameFS(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false
	}
	sa, ok1 := fa.Sys().(*syscall.Stat_t)
	sb, ok2 := fb.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && sa.Dev == sb.Dev
}
