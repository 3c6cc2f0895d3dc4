package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores/redis"
	"github.com/redis/rueidis"
)

const (
	envAddr         = "KV_TEST_REDIS_ADDR"
	envClusterAddrs = "KV_TEST_REDIS_CLUSTER_ADDRS"
)

// env returns the value of the environment variable name, skipping the
// test when it is unset (failing it when CI is set).
func env(t testing.TB, name string) string {
	t.Helper()
	return testenv.Server(t, name)
}

func standaloneOption(t testing.TB) rueidis.ClientOption {
	return rueidis.ClientOption{InitAddress: []string{env(t, envAddr)}}
}

func clusterOption(t testing.TB) rueidis.ClientOption {
	return rueidis.ClientOption{InitAddress: strings.Split(env(t, envClusterAddrs), ",")}
}

// newClient connects with opt and closes the client when the test ends.
func newClient(t testing.TB, opt rueidis.ClientOption) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatalf("connecting to %v: %v", opt.InitAddress, err)
	}
	t.Cleanup(c.Close)
	return c
}

// uniqueName returns a store name no other test uses, with the bytes that
// mean something in a SCAN MATCH pattern in it, so that a store that
// forgets to escape its prefix fails.
func uniqueName(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return `kvtest*?[\` + hex.EncodeToString(b)
}

// newStore returns a store with a fresh name on client, closed and
// cleared when the test ends.
func newStore(t testing.TB, client rueidis.Client, opts ...redis.Option) *redis.Store {
	t.Helper()
	s, err := redis.New(client, uniqueName(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { clearName(t, client, s.Name()) })
	return s
}

// clearName removes the keys of the store called name, through a store of
// its own so that it works after the test closed its stores.
func clearName(t testing.TB, client rueidis.Client, name string) {
	t.Helper()
	s, err := redis.New(client, name)
	if err != nil {
		t.Error(err)
		return
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Clear(ctx); err != nil {
		t.Errorf("cleaning up %q: %v", name, err)
	}
}

var capabilities = conformance.Capabilities{
	TTL:           true,
	Persistent:    true,
	SharedHandles: true,
	Batch:         true,
	PrefixScan:    true,
	KeyScan:       true,
	Conditional:   true,
}

// conformanceConfig opens every location with opts, each handle on the
// next of clients in turn: with two clients, two handles on one location
// (the shared-handle and conditional subtests) talk to the server over
// clients of their own, as two processes would.
func conformanceConfig(clients []rueidis.Client, opts ...redis.Option) conformance.Config {
	return conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			name := uniqueName(t)
			t.Cleanup(func() { clearName(t, clients[0], name) })
			var opened atomic.Int64
			return func() (kv.Store[string, []byte], error) {
				client := clients[int(opened.Add(1)-1)%len(clients)]
				return redis.New(client, name, opts...)
			}
		},
		Capabilities: capabilities,
	}
}

func TestConformanceStandalone(t *testing.T) {
	conformance.Run(t, conformanceConfig([]rueidis.Client{newClient(t, standaloneOption(t)), newClient(t, standaloneOption(t))}))
}

func TestConformanceCluster(t *testing.T) {
	conformance.Run(t, conformanceConfig([]rueidis.Client{newClient(t, clusterOption(t)), newClient(t, clusterOption(t))}))
}
