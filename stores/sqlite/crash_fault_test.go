package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/sqlite"
)

func openCrashSQLite(path string) (kv.Store[string, []byte], error) { return sqlite.Open(path) }

// TestCrashFault kills a process writing to a SQLite store with SIGKILL
// at random moments: after each kill the database opens without repair
// (WAL recovery), every entry verifies (old or new value, never a torn
// one) and no acknowledged write is lost.
func TestCrashFault(t *testing.T) {
	st := faulttest.RunCrash(t, faulttest.CrashConfig{
		Open:       openCrashSQLite,
		Path:       filepath.Join(t.TempDir(), "crash.db"),
		HelperTest: "TestHelperProcessSQLiteCrashWriter",
		Rounds:     6,
		Keys:       16,
	})
	t.Logf("sqlite: %s", st)
	if st.Acked == 0 {
		t.Fatal("no write was acknowledged before any kill: the test proved nothing")
	}
}

// TestHelperProcessSQLiteCrashWriter is the writer process of
// TestCrashFault; run directly, it skips.
func TestHelperProcessSQLiteCrashWriter(t *testing.T) {
	faulttest.CrashWriter(t, openCrashSQLite)
}
