package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores/postgres"
)

const envURL = "KV_TEST_POSTGRES_URL"

// testPool connects to the test server and closes the pool when the test
// ends.
func testPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), testenv.Server(tb, envURL))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// uniqueTable returns a table name no other test uses, with a quote, a
// space and capitals in it, so that a statement that forgets to quote it
// fails; the table is dropped when the test ends.
func uniqueTable(tb testing.TB, pool *pgxpool.Pool) string {
	tb.Helper()
	name := faulttest.UniqueName(`kv "T" `)
	tb.Cleanup(func() { dropTable(tb, pool, "", name) })
	return name
}

func dropTable(tb testing.TB, pool *pgxpool.Pool, schema, name string) {
	tb.Helper()
	q := quote(name)
	if schema != "" {
		q = quote(schema) + "." + q
	}
	if _, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+q); err != nil {
		tb.Errorf("drop table %s: %v", q, err)
	}
}

func quote(name string) string {
	out := []byte{'"'}
	for i := 0; i < len(name); i++ {
		if name[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, name[i])
	}
	return string(append(out, '"'))
}

func TestConformance(t *testing.T) {
	conformance.Run(t, conformanceConfig(t))
}

// BenchmarkConformance runs the suite's benchmarks; GetMany100 against
// Get100Loop is the batch read against 100 single reads.
func BenchmarkConformance(b *testing.B) {
	conformance.Benchmark(b, conformanceConfig(b))
}

func conformanceConfig(tb testing.TB) conformance.Config {
	pool := testPool(tb)
	return conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			table := uniqueTable(t, pool)
			return func() (kv.Store[string, []byte], error) {
				return postgres.New(pool, table)
			}
		},
		Capabilities: conformance.Capabilities{
			TTL:           true,
			Persistent:    true,
			SharedHandles: true,
			Batch:         true,
			PrefixScan:    true,
			KeyScan:       true,
			Conditional:   true,
			// Expiry is kept to the microsecond, but a round trip to a
			// loaded shared machine can take a good part of a second.
			TTLResolution: 250 * time.Millisecond,
			MaxKeySize:    postgres.MaxKeySize,
			MaxValueSize:  postgres.DefaultMaxValueSize,
		},
	}
}

// TestConformanceOwnPoolSmallPages runs the suite on stores that open
// pools of their own (Open, closed by Close), over UNLOGGED tables in a
// schema of their own, with pages of 3 rows, so that every walk spans
// many keyset pages, and a janitor every 50ms.
func TestConformanceOwnPoolSmallPages(t *testing.T) {
	dsn := testenv.Server(t, envURL)
	pool := testPool(t)
	schema := "kv_conformance_" + faulttest.UniqueName("")
	t.Cleanup(func() { pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+quote(schema)+` CASCADE`) })
	cfg := conformanceConfig(t)
	cfg.NewStore = func(t testing.TB) conformance.Opener {
		table := faulttest.UniqueName("t")
		return func() (kv.Store[string, []byte], error) {
			return postgres.Open(context.Background(), dsn, table, postgres.WithSchema(schema), postgres.WithUnlogged(true),
				postgres.WithPageSize(3), postgres.WithJanitorInterval(50*time.Millisecond))
		}
	}
	conformance.Run(t, cfg)
}
