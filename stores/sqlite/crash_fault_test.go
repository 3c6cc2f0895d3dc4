package sqlite_test

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

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

func openCrashSQLiteFull(path string) (kv.Store[string, []byte], error) {
	return sqlite.Open(path, sqlite.WithDSNParams(url.Values{"_pragma": {"synchronous(FULL)"}}))
}

// TestCrashFaultManyWriters is TestCrashFault with 32 goroutines writing
// at once, so that the Sets are committed in groups: every Set a
// goroutine saw return before the kill is in the database after it,
// with the store's defaults (synchronous=NORMAL) and with
// synchronous=FULL.
func TestCrashFaultManyWriters(t *testing.T) {
	for _, c := range []struct {
		name, helper string
		open         faulttest.OpenFunc
	}{
		{"synchronous=NORMAL", "TestHelperProcessSQLiteCrashWriter", openCrashSQLite},
		{"synchronous=FULL", "TestHelperProcessSQLiteFullCrashWriter", openCrashSQLiteFull},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := faulttest.RunCrash(t, faulttest.CrashConfig{
				Open:       c.open,
				Path:       filepath.Join(t.TempDir(), "crash.db"),
				HelperTest: c.helper,
				Rounds:     6,
				Keys:       64,
				Writers:    32,
				MaxKill:    time.Second,
			})
			t.Logf("sqlite, 32 writers, %s: %s", c.name, st)
			if st.Acked < 50 {
				t.Fatalf("only %d writes were acknowledged before the kills: the test proved little", st.Acked)
			}
		})
	}
}

// TestHelperProcessSQLiteFullCrashWriter is the writer process of
// TestCrashFaultManyWriters with synchronous=FULL; run directly, it
// skips.
func TestHelperProcessSQLiteFullCrashWriter(t *testing.T) {
	faulttest.CrashWriter(t, openCrashSQLiteFull)
}
