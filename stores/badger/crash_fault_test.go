package badger_test

import (
	"testing"

	bdg "github.com/dgraph-io/badger/v4"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/badger"
)

// openCrashBadger opens with smaller tables and value log files than
// badger's defaults, which only makes each of the many opens quicker.
func openCrashBadger(dir string) (kv.Store[string, []byte], error) {
	return badger.Open(dir, badger.WithBadgerOptions(func(o bdg.Options) bdg.Options {
		return o.WithMemTableSize(8 << 20).WithValueLogFileSize(16 << 20)
	}))
}

// TestCrashFault kills a process writing to a Badger store with SIGKILL
// at random moments: after each kill the database opens without repair
// (its directory lock goes with the process), every entry verifies (old
// or new value, never a torn one) and no acknowledged write is lost.
func TestCrashFault(t *testing.T) {
	st := faulttest.RunCrash(t, faulttest.CrashConfig{
		Open:       openCrashBadger,
		Path:       t.TempDir(),
		HelperTest: "TestHelperProcessBadgerCrashWriter",
		Rounds:     5,
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
