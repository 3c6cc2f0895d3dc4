package mongo_test

import (
	"os"
	"testing"

	"github.com/kvkit/kv/internal/testenv"
)

// TestMain skips the examples that run against the test server when its
// variable is not set (see testenv.ExamplesNeed).
func TestMain(m *testing.M) {
	testenv.ExamplesNeed("KV_TEST_MONGO_URI", "Example")
	os.Exit(m.Run())
}
