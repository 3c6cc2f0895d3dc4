package testenv_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kvkit/kv/internal/testenv"
)

// TestServerMissing runs a test that needs an unset variable, with and
// without CI, in a child process: it must skip without CI and fail with.
func TestServerMissing(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "" {
		testenv.Server(t, "KV_TEST_SURELY_UNSET")
		t.Fatal("Server returned for an unset variable")
	}
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestServerMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "CI="+ci, "KV_TEST_SURELY_UNSET=")
		out, err := cmd.CombinedOutput()
		switch {
		case ci == "" && (err != nil || !strings.Contains(string(out), "--- SKIP") || !strings.Contains(string(out), "KV_TEST_SURELY_UNSET")):
			t.Errorf("without CI: err %v, want a skip naming the variable:\n%s", err, out)
		case ci != "" && (err == nil || !strings.Contains(string(out), "--- FAIL")):
			t.Errorf("with CI: err %v, want a failure:\n%s", err, out)
		}
	}
}

func TestServerSet(t *testing.T) {
	t.Setenv("KV_TEST_SOMETHING", "127.0.0.1:1")
	if got := testenv.Server(t, "KV_TEST_SOMETHING"); got != "127.0.0.1:1" {
		t.Fatalf("Server = %q", got)
	}
}
