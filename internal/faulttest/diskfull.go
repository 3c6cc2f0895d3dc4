package faulttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// TmpfsDir mounts a tmpfs of the given size ("2m") on a new temporary
// directory and unmounts it when the test ends. Where mounting is not
// permitted (not root, no CAP_SYS_ADMIN, no mount command) the test is
// skipped with the reason.
func TmpfsDir(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("disk full: mounting a size-limited tmpfs needs root")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("disk full: mount -t tmpfs not permitted here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// DiskFullStats counts what RunDiskFull saw.
type DiskFullStats struct {
	Written  int   // entries whose Set returned nil before the first failure
	Failures int   // Sets that failed once the disk was full
	Readable int   // earlier entries read back and verified after the failure
	Reopened int   // earlier entries read back after closing and reopening
	Err      error // the first failure
}

func (s DiskFullStats) String() string {
	return fmt.Sprintf("written=%d failed-sets=%d readable-after=%d readable-after-reopen=%d ENOSPC=%v first-error=%q",
		s.Written, s.Failures, s.Readable, s.Reopened, errors.Is(s.Err, syscall.ENOSPC), s.Err)
}

// RunDiskFull opens the store at path (on a small filesystem), writes
// 32 KiB entries until a Set fails, then checks that the failure is an
// error (not a panic or a hang), that every entry written before it still
// reads back and verifies, that a few more Sets fail cleanly too, and that
// after Close the store reopens (when it can on a full disk) with those
// entries intact.
func RunDiskFull(t *testing.T, open OpenFunc, path string) DiskFullStats {
	t.Helper()
	ctx := context.Background()
	s, err := open(path)
	if err != nil {
		t.Fatalf("open on the small filesystem: %v", err)
	}
	var st DiskFullStats
	rng := rand.NewChaCha8([32]byte{1})
	var keys []string
	for i := range 10_000 {
		k := fmt.Sprintf("full/%05d", i)
		if err := s.Set(ctx, k, Value(k, 1, 32<<10, rng)); err != nil {
			st.Err = err
			break
		}
		keys = append(keys, k)
	}
	st.Written = len(keys)
	if st.Err == nil {
		t.Fatalf("%d entries of 32 KiB written without an error: the filesystem is not full", st.Written)
	}
	for i := range 3 {
		k := fmt.Sprintf("more/%d", i)
		if err := s.Set(ctx, k, Value(k, 1, 32<<10, rng)); err != nil {
			st.Failures++
		}
	}
	st.Failures++ // the first one
	check := func(s interface {
		Get(context.Context, string) ([]byte, error)
	}) int {
		n := 0
		for _, k := range keys {
			v, err := s.Get(ctx, k)
			if err != nil {
				t.Errorf("after the disk filled up: get %s: %v", k, err)
				continue
			}
			if _, err := Check(k, v); err != nil {
				t.Errorf("after the disk filled up: %s: %v", k, err)
				continue
			}
			n++
		}
		return n
	}
	st.Readable = check(s)
	if err := s.Close(); err != nil {
		t.Logf("close on a full disk: %v", err)
	}
	s2, err := open(path)
	if err != nil {
		t.Errorf("reopen on a full disk: %v", err)
		return st
	}
	defer s2.Close()
	st.Reopened = check(s2)
	return st
}
