package badger_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kvkit/kv/internal/faulttest"
)

const envDiskFullDir = "KV_FAULTTEST_BADGER_DISKFULL_DIR"

// TestDiskFullFault fills a 24 MiB tmpfs through a Badger store (small
// tables and value log files) in a child process, because a fault there
// can end the process: Set should fail with an error, and every entry
// written before should stay readable, also after reopening. Skipped
// where mounting a tmpfs is not permitted.
//
// Known bug: when badger flushes a memtable (a background goroutine,
// DB.handleMemTableFlush -> table.CreateTable), it creates the table file
// at its full size without writing it (sparse), memory-maps it and copies
// the table in (table.buildData.Copy); on a full filesystem that copy gets
// SIGBUS and the Go runtime ends the whole process with "unexpected fault
// address" (no error is returned, nothing can recover).
// The test then skips with that evidence; it passes once Set returns an
// error instead.
func TestDiskFullFault(t *testing.T) {
	dir := faulttest.TmpfsDir(t, "24m")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessBadgerDiskFull$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envDiskFullDir+"="+dir+"/store")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "unexpected fault address") {
			t.Skipf("known bug: badger on a full disk crashes the process with SIGBUS (memtable flush copies into a sparse memory-mapped table file) instead of returning an error; child: %v", err)
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
}
