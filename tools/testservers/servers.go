package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// The variables the tests read.
const (
	envRedisAddr         = "KV_TEST_REDIS_ADDR"
	envRedisClusterAddrs = "KV_TEST_REDIS_CLUSTER_ADDRS"
	envMongoURI          = "KV_TEST_MONGO_URI"
	envDynamoDBEndpoint  = "KV_TEST_DYNAMODB_ENDPOINT"
	envPostgresURL       = "KV_TEST_POSTGRES_URL"
)

// serverNames are the servers in the order -only accepts and starts them.
var serverNames = []string{"redis", "cluster", "mongo", "dynamodb", "postgres"}

// config is what the start functions need.
type config struct {
	tmp         string        // data and logs of this run
	cache       string        // downloads kept between runs
	timeout     time.Duration // how long a server may take to answer
	grace       time.Duration // how long a server may take to stop
	redisServer string        // path of redis-server
	redisCLI    string        // path of redis-cli
	java        string        // path of java
	pgBin       string        // directory of initdb, postgres, pg_isready and psql
	mongoAddr   string        // host:port FerretDB listens on ("" for a free loopback port)
	mongoTLS    *mongoTLS     // FerretDB's TLS listener (nil: none)
	logf        func(format string, args ...any)
}

// servers holds what was started: the environment to pass on and how to stop it.
type servers struct {
	mu    sync.Mutex
	env   map[string]string
	stops []func()
}

func (s *servers) setEnv(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.env == nil {
		s.env = make(map[string]string)
	}
	s.env[k] = v
}

func (s *servers) addStop(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stops = append(s.stops, f)
}

// environ returns the variables as sorted KEY=VALUE strings.
func (s *servers) environ() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, v := range s.env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// stop stops everything started, all at once, and returns when all is down.
func (s *servers) stop() {
	s.mu.Lock()
	stops := s.stops
	s.stops = nil
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range stops {
		wg.Go(f)
	}
	wg.Wait()
}

// parseOnly turns the -only flag into a set of server names.
func parseOnly(only string) (map[string]bool, error) {
	want := make(map[string]bool)
	if strings.TrimSpace(only) == "" {
		for _, n := range serverNames {
			want[n] = true
		}
		return want, nil
	}
	for n := range strings.SplitSeq(only, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !slices.Contains(serverNames, n) {
			return nil, fmt.Errorf("-only: unknown server %q (known: %s)", n, strings.Join(serverNames, ","))
		}
		want[n] = true
	}
	if len(want) == 0 {
		return nil, errors.New("-only: no server named")
	}
	return want, nil
}

// lookTools finds the programs the chosen servers need, before anything starts,
// so that a missing one is reported at once.
func lookTools(cfg *config, want map[string]bool) error {
	var errs []error
	look := func(dst *string, prog, why string) {
		p, err := exec.LookPath(prog)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s not found on PATH (needed for %s)", prog, why))
			return
		}
		*dst = p
	}
	if want["redis"] || want["cluster"] {
		look(&cfg.redisServer, "redis-server", "redis")
	}
	if want["cluster"] {
		look(&cfg.redisCLI, "redis-cli", "cluster")
	}
	if want["dynamodb"] {
		look(&cfg.java, "java", "dynamodb")
	}
	if want["postgres"] {
		if err := lookPostgres(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// startAll starts the chosen servers side by side. On an error, whatever was
// started is stopped again and the errors of every failed server are returned.
func startAll(ctx context.Context, cfg *config, want map[string]bool) (*servers, error) {
	if err := lookTools(cfg, want); err != nil {
		return nil, err
	}
	starters := map[string]func(context.Context, *config, *servers) error{
		"redis":    startRedis,
		"cluster":  startCluster,
		"mongo":    startMongo,
		"dynamodb": startDynamoDB,
		"postgres": startPostgres,
	}
	s := &servers{}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, name := range serverNames {
		if !want[name] {
			continue
		}
		wg.Go(func() {
			t0 := time.Now()
			err := starters[name](ctx, cfg, s)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			cfg.logf("%s ready in %v", name, time.Since(t0).Round(time.Millisecond))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}
