package redis_test

import (
	"testing"

	"github.com/kvkit/kv/internal/conditionaltest"
	"github.com/kvkit/kv/stores/redis"
)

// TestConditional checks the conditional writes on a standalone server
// and on a cluster, with a second store on another client for the
// concurrent counter.
func TestConditional(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := newStore(t, newClient(t, m.option(t)))
			other, err := redis.New(newClient(t, m.option(t)), s.Name())
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			conditionaltest.Run(t, s, other)
		})
	}
}
