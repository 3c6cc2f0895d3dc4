package file_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/file"
)

func openCrashFile(dir string) (kv.Store[string, []byte], error) { return file.Open(dir) }

// TestCrashFault kills a process writing to a file store with SIGKILL at
// random moments: after each kill the store opens as it is, every entry
// verifies (old or new value, never a torn one), no acknowledged write is
// lost, and the temp files a kill leaves are not entries.
func TestCrashFault(t *testing.T) {
	dir := t.TempDir()
	st := faulttest.RunCrash(t, faulttest.CrashConfig{
		Open:       openCrashFile,
		Path:       dir,
		HelperTest: "TestHelperProcessFileCrashWriter",
		Rounds:     6,
		Keys:       16,
	})
	t.Logf("file: %s", st)
	if st.Acked == 0 {
		t.Fatal("no write was acknowledged before any kill: the test proved nothing")
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	temps := 0
	for _, n := range names {
		if strings.HasPrefix(n.Name(), ".tmp-") {
			temps++
		}
	}
	s, err := file.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.Len(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n > 16 {
		t.Fatalf("Len = %d with %d keys written: temp files counted as entries?", n, 16)
	}
	t.Logf("file: %d temp files left by the kills, Len=%d", temps, n)
}

// TestHelperProcessFileCrashWriter is the writer process of
// TestCrashFault; run directly, it skips.
func TestHelperProcessFileCrashWriter(t *testing.T) { faulttest.CrashWriter(t, openCrashFile) }
