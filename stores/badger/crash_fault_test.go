package badger_test

import (
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/badger"
)

func openCrashBadger(dir string) (kv.Store[string, []byte], error) { return badger.Open(dir) }

// TestCrashFault kills a process writing to a Badger store with SIGKILL
// at random moments: after each kill the database opens without repair
// (its directory lock goes with the process), every entry verifies (old
// or new value, never a torn one) and no acknowledged write is lost.
func TestCrashFault(t *testing.T) {
	st := faulttest.RunCrash(t, faulttest.CrashConfig{
		Open:       openCrashBadger,
		Path:       t.TempDir(),
		HelperTest: "TestHelperProcessBadgerCrashWriter",
		Rounds:     6,
		Keys:       16,
	})
	t.Logf("badger: %s", st)
	if st.Acked == 0 {
		t.Fatal("no write was acknowledged before any kill: the test proved nothing")
	}
}

// TestHelperProcessBadgerCrashWriter is the writer process of
// TestCrashFault; run directly, it skips.
func TestHelperProcessBadgerCrashWriter(t *testing.T) {
	faulttest.CrashWriter(t, openCrashBadger)
}
