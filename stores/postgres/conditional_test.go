package postgres_test

import (
	"testing"

	"github.com/kvkit/kv/internal/conditionaltest"
	"github.com/kvkit/kv/stores/postgres"
)

// TestConditional checks the conditional writes, with a second store on
// its own pool over the same table for the concurrent counter.
func TestConditional(t *testing.T) {
	s := newStore(t, testPool(t))
	other, err := postgres.New(testPool(t), s.Table())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conditionaltest.Run(t, s, other)
}
