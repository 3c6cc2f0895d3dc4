package badger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/kvkit/kv/internal/faulttest"
)

const envDiskFullDir = "KV_FAULTTEST_BADGER_DISKFULL_DIR"

// TestDiskFullFault fills a 24 MiB tmpfs through a Badger store (small
// tables and value log files) in a child process, because a fault there
// can end the process: Set must fail with an error wrapping
// syscall.ENOSPC, every entry written before must stay readable, also
// after reopening, and after Clear, Set must work again. Skipped where mounting a tmpfs is not permitted.
//
// Badger writes its memtable logs and tables through memory maps of
// sparse files, so on a full filesystem it would get SIGBUS ("unexpected
// fault address") and the Go runtime would end the process; the store's
// free-space guard (space.go) refuses the write before that. A crash of
// the child fails the test.
func TestDiskFullFault(t *testing.T) {
	dir := faulttest.TmpfsDir(t, "24m")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessBadgerDiskFull$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envDiskFullDir+"="+dir+"/store")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "unexpected fault address") {
			t.Fatalf("badger crashed the process with SIGBUS on the full disk instead of returning an error: %v\n%s", err, out)
		}
		t.Fatalf("disk-full child failed: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "badger:") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// TestHelperProcessBadgerDiskFull is the child of TestDiskFullFault; run
// directly, it skips.
func TestHelperProcessBadgerDiskFull(t *testing.T) {
	path := os.Getenv(envDiskFullDir)
	if path == "" {
		t.Skip("run by TestDiskFullFault in a child process")
	}
	st := faulttest.RunDiskFull(t, openCrashBadger, path)
	t.Logf("badger: %s", st)
	if !errors.Is(st.Err, syscall.ENOSPC) {
		t.Errorf("first failed Set: %v, want an error wrapping syscall.ENOSPC", st.Err)
	}
	if st.Written == 0 || st.Readable != st.Written || st.Reopened != st.Written {
		t.Errorf("written %d, readable after %d, after reopening %d: want all, and more than none", st.Written, st.Readable, st.Reopened)
	}
	if st.Failures != 4 {
		t.Errorf("%d of 4 Sets on the full disk failed, want all", st.Failures)
	}

	// Clear frees the space, and Set works again.
	ctx := context.Background()
	s, err := openCrashBadger(path)
	if err != nil {
		t.Fatalf("open to clear: %v", err)
	}
	defer s.Close()
	if err := s.Clear(ctx); err != nil {
		t.Fatalf("clear on the full disk: %v", err)
	}
	rng := rand.NewChaCha8([32]byte{2})
	n := 0
	for ; n < st.Written/2; n++ {
		k := fmt.Sprintf("again/%05d", n)
		if err := s.Set(ctx, k, faulttest.Value(k, 1, 32<<10, rng)); err != nil {
			t.Errorf("set after clear: %d entries written, then %v", n, err)
			break
		}
	}
	t.Logf("badger: after clear: %d of %d sets written", n, st.Written/2)
}
