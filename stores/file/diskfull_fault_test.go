package file_test

import (
	"testing"

	"github.com/kvkit/kv/internal/faulttest"
)

// TestDiskFullFault fills a 2 MiB tmpfs through a file store: Set fails
// with an error, and every entry written before stays readable, also
// after reopening. Skipped where mounting a tmpfs is not permitted.
func TestDiskFullFault(t *testing.T) {
	dir := faulttest.TmpfsDir(t, "2m")
	st := faulttest.RunDiskFull(t, openCrashFile, dir+"/store")
	t.Logf("file: %s", st)
}
