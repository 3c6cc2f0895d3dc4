package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores/postgres"
)

// newStore returns a store over a fresh table on pool, closed when the
// test ends.
func newStore(t *testing.T, pool *pgxpool.Pool, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.New(pool, uniqueTable(t, pool), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCreateTableFalse(t *testing.T) {
	pool := testPool(t)
	name := uniqueTable(t, pool)
	_, err := postgres.New(pool, name, postgres.WithCreateTable(false))
	if !errors.Is(err, postgres.ErrNoTable) {
		t.Fatalf("New on a missing table with WithCreateTable(false): %v, want ErrNoTable", err)
	}
	var exists bool
	if err := pool.QueryRow(t.Context(), `SELECT to_regclass($1) IS NOT NULL`, quote(name)).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatal("the table was created")
	}
	// Once it exists, the same call uses it.
	s, err := postgres.New(pool, name)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = postgres.New(pool, name, postgres.WithCreateTable(false))
	if err != nil {
		t.Fatalf("New on an existing table with WithCreateTable(false): %v", err)
	}
	s.Close()
}

func TestSchemaAndUnlogged(t *testing.T) {
	pool := testPool(t)
	ctx := t.Context()
	schema := "kv test " + strings.ReplaceAll(t.Name(), "/", "_")
	t.Cleanup(func() { pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+quote(schema)+` CASCADE`) })
	table := "t"
	s, err := postgres.New(pool, table, postgres.WithSchema(schema), postgres.WithUnlogged(true))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	var persistence string
	var n int
	err = pool.QueryRow(ctx, `SELECT c.relpersistence::text, (SELECT count(*) FROM `+quote(schema)+`.t)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, schema, table).Scan(&persistence, &n)
	if err != nil {
		t.Fatal(err)
	}
	if persistence != "u" || n != 1 {
		t.Fatalf("table %s.%s: relpersistence %q, %d rows; want u (unlogged) and 1", schema, table, persistence, n)
	}
	// The partial index on expires_at is there.
	var def string
	if err := pool.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef LIKE '%expires_at%'`, schema, table).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "WHERE (expires_at IS NOT NULL)") {
		t.Errorf("expiry index %q is not partial", def)
	}
	// A store over the same table name in the default schema is another table.
	other := newStore(t, pool)
	if got, err := other.Has(ctx, "k"); err != nil || got {
		t.Fatalf("Has in another schema = %v, %v", got, err)
	}
}

// TestBorrowedPool: Close of a store from New leaves the pool usable;
// Close of a store from Open closes its own.
func TestBorrowedPool(t *testing.T) {
	pool := testPool(t)
	s := newStore(t, pool)
	s.Close()
	if err := pool.Ping(t.Context()); err != nil {
		t.Fatalf("the borrowed pool after Close: %v", err)
	}
	if _, err := s.Get(t.Context(), "k"); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}

	o, err := postgres.Open(t.Context(), testenv.Server(t, envURL), uniqueTable(t, pool))
	if err != nil {
		t.Fatal(err)
	}
	own := o.Pool()
	o.Close()
	if err := own.Ping(t.Context()); err == nil {
		t.Fatal("Open's pool still answers after Close")
	}
}

func TestLimits(t *testing.T) {
	pool := testPool(t)
	s := newStore(t, pool, postgres.WithMaxValueSize(1000))
	ctx := t.Context()
	long := strings.Repeat("k", postgres.MaxKeySize+1)
	for _, err := range []error{
		s.Set(ctx, long, []byte("v")),
		s.Set(ctx, "k", make([]byte, 1001)),
		s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "a", Value: []byte("v")}, {Key: "k", Value: make([]byte, 1001)}}),
	} {
		if !errors.Is(err, kv.ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	}
	if n, err := s.Len(ctx); err != nil || n != 0 {
		t.Fatalf("Len after refused writes = %d, %v, want 0", n, err)
	}
	// The limits themselves are fine.
	key := (strings.Repeat("\xff\x00\x7f", postgres.MaxKeySize/3) + "\x01\x02")[:postgres.MaxKeySize]
	if err := s.Set(ctx, key, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, key)
	if err != nil || len(got) != 1000 {
		t.Fatalf("Get of the longest key: %d bytes, %v", len(got), err)
	}
}

func TestSetManyLastWins(t *testing.T) {
	s := newStore(t, testPool(t))
	ctx := t.Context()
	err := s.SetMany(ctx, []kv.Entry[string, []byte]{
		{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2")}, {Key: "a", Value: []byte("3")}, {Key: "", Value: nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetMany(ctx, []string{"a", "b", "", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"a": []byte("3"), "b": []byte("2"), "": {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("GetMany (-want +got):\n%s", diff)
	}
}

// rawCount counts every row of the store's table, expired ones too.
func rawCount(t *testing.T, pool *pgxpool.Pool, s *postgres.Store) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+s.QualifiedTable()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestJanitor: expired rows are deleted by the janitor, not by the next
// read; while another session holds the table's janitor lock no janitor
// sweeps; Close stops it.
func TestJanitor(t *testing.T) {
	pool := testPool(t)
	ctx := t.Context()
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	name := uniqueTable(t, pool)
	// Two stores on the table, as two processes would have.
	stores := make([]*postgres.Store, 2)
	for i := range stores {
		s, err := postgres.New(pool, name, postgres.WithClock(clock), postgres.WithJanitorInterval(20*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	s := stores[0]

	// Hold the lock a janitor takes, from a transaction of the test's own.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(key) FROM (SELECT $1::bigint AS key) k`, janitorLockKey(s)); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := s.Set(ctx, string(rune('a'+i)), []byte("v"), kv.WithTTL(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	now.Add(int64(2 * time.Minute))
	if n, err := s.Len(ctx); err != nil || n != 0 {
		t.Fatalf("Len after expiry = %d, %v, want 0", n, err)
	}
	time.Sleep(200 * time.Millisecond) // ten rounds of each janitor
	if n := rawCount(t, pool, s); n != 10 {
		t.Fatalf("%d rows left while the lock is held, want the 10 expired rows untouched", n)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rawCount(t, pool, s) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the janitors did not delete the expired rows within 10s of the lock's release")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Closed, neither sweeps.
	for _, st := range stores {
		st.Close()
	}
	live, err := postgres.New(pool, name, postgres.WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := live.Set(ctx, "x", []byte("v"), kv.WithExpiresAt(time.Now().Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := rawCount(t, pool, live); n != 1 {
		t.Fatalf("%d rows after the janitors were closed, want the expired row still there", n)
	}
	if n, err := live.DeleteExpired(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v, want 1", n, err)
	}
}

// janitorLockKey returns the advisory lock key of the store's janitor, as
// the package computes it (its doc names the scheme: FNV-1a of the
// purpose and the table).
func janitorLockKey(s *postgres.Store) int64 {
	return postgres.LockKeyForTest("janitor", s.QualifiedTable())
}

// TestIterationHoldsNoConnection: with a pool of one connection, the
// loop body of Keys, All and Scan can use the store, which it could not
// if the walk held a connection (or a cursor or transaction on it).
func TestIterationHoldsNoConnection(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(testenv.Server(t, envURL))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // after the table is dropped
	s := newStore(t, pool, postgres.WithPageSize(3))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var want []string
	for i := range 10 {
		k := "p/" + string(rune('a'+i))
		want = append(want, k)
		if err := s.Set(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(ctx, "q", []byte("q")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for e, err := range s.Scan(ctx, "p/") {
		if err != nil {
			t.Fatal(err)
		}
		// A write and a read in the loop body, on the pool's only connection.
		if err := s.Set(ctx, e.Key+"/seen", []byte("1")); err != nil {
			t.Fatalf("Set in the loop body: %v", err)
		}
		if _, err := s.Get(ctx, e.Key); err != nil {
			t.Fatalf("Get in the loop body: %v", err)
		}
		got = append(got, e.Key)
		if pool.Stat().AcquiredConns() != 0 {
			t.Fatalf("%d connections held while the loop body runs", pool.Stat().AcquiredConns())
		}
	}
	// Keys written during the walk may or may not be seen; the keys that
	// were there are seen once each, and none twice.
	if diff := cmp.Diff(want, slices.DeleteFunc(slices.Clone(got), func(k string) bool { return strings.HasSuffix(k, "/seen") })); diff != "" {
		t.Errorf("Scan, less the keys written during it (-want +got):\n%s", diff)
	}
	if c := slices.Compact(slices.Clone(got)); len(c) != len(got) {
		t.Errorf("Scan yielded a key twice: %q", got)
	}
	seen := map[string]int{}
	for k, err := range s.Keys(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Has(ctx, "q"); err != nil {
			t.Fatalf("Has in the loop body: %v", err)
		}
		seen[k]++
	}
	for _, k := range append(want, "q") {
		if seen[k] != 1 {
			t.Errorf("Keys yielded %q %d times, want once", k, seen[k])
		}
	}
}

// TestOpenErrorsNoPassword: Open with a DSN pgx cannot parse, and one
// naming a bad table, fail without printing the password.
func TestOpenErrorsNoPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:hunter2@127.0.0.1:1/db?sslmode=bogus",
		"postgres://u:hunter2@127.0.0.1:bad/db",
	} {
		_, err := postgres.Open(t.Context(), dsn, "t")
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q): the error prints the password: %v", dsn, err)
		}
	}
	_, err := postgres.Open(t.Context(), "postgres://u:hunter2@127.0.0.1:1/db", strings.Repeat("t", 64))
	if err == nil || !strings.Contains(err.Error(), "longer than 63") {
		t.Errorf("Open with a 64-byte table name: %v", err)
	}
}

// TestCloseDuringIteration: a store closed in the loop body ends the walk
// at the next entry with kv.ErrClosed, not at the end of the page.
func TestCloseDuringIteration(t *testing.T) {
	pool := testPool(t)
	s, err := postgres.New(pool, uniqueTable(t, pool), postgres.WithPageSize(100))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for i := range 10 {
		if err := s.Set(ctx, string(rune('a'+i)), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	var last error
	for k, err := range s.Keys(ctx) {
		if err != nil {
			last = err
			break
		}
		keys = append(keys, k)
		if len(keys) == 2 {
			s.Close()
		}
	}
	if len(keys) != 2 || !errors.Is(last, kv.ErrClosed) {
		t.Fatalf("after Close in the loop body: keys %q, then %v; want 2 keys, then ErrClosed", keys, last)
	}
}

// TestLongKeys: keys of 2 KiB and more, whose primary key is derived
// (their first 2016 bytes and a hash), round-trip through every method,
// stay apart when they share a long prefix, and Scan with a prefix longer
// than the primary key keeps finds exactly the keys with that prefix.
func TestLongKeys(t *testing.T) {
	pool := testPool(t)
	s := newStore(t, pool, postgres.WithPageSize(2))
	ctx := t.Context()
	common := strings.Repeat("p", 2100) // longer than the 2016 bytes a derived key keeps
	keys := []string{
		strings.Repeat("a", 2047), // the longest key that is its own primary key
		strings.Repeat("a", 2048), // the shortest derived one
		common + "1", common + "2", common + "2x",
		strings.Repeat("\xff", postgres.MaxKeySize),
		"short",
	}
	for i, k := range keys {
		if err := s.Set(ctx, k, []byte{byte(i)}); err != nil {
			t.Fatalf("Set(key of %d bytes): %v", len(k), err)
		}
	}
	for i, k := range keys {
		v, err := s.Get(ctx, k)
		if err != nil || len(v) != 1 || v[0] != byte(i) {
			t.Fatalf("Get(key %d, %d bytes) = %v, %v", i, len(k), v, err)
		}
	}
	var got []string
	for k, err := range s.Keys(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	if diff := cmp.Diff(keys, got, cmpSorted); diff != "" {
		t.Errorf("Keys (-want +got, as sizes):\n%s", diff)
	}
	var scanned []string
	for e, err := range s.Scan(ctx, common+"2") {
		if err != nil {
			t.Fatal(err)
		}
		scanned = append(scanned, e.Key)
	}
	if diff := cmp.Diff([]string{common + "2", common + "2x"}, scanned, cmpSorted); diff != "" {
		t.Errorf("Scan(a 2101-byte prefix) (-want +got):\n%s", diff)
	}
	many, err := s.GetMany(ctx, keys[1:4])
	if err != nil || len(many) != 3 || many[common+"1"][0] != 2 {
		t.Fatalf("GetMany of long keys = %d entries, %v", len(many), err)
	}
	if err := s.DeleteMany(ctx, keys[1:3]); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: common + "3", Value: []byte("v")}, {Key: keys[0], Value: []byte("w")}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Len(ctx); err != nil || n != 7-2+1 {
		t.Fatalf("Len = %d, %v, want 6", n, err)
	}
	if ok, _ := s.Has(ctx, keys[1]); ok {
		t.Error("a deleted long key is still there")
	}
}

// cmpSorted compares string slices as sets, and shows long strings by
// their length and ends.
var cmpSorted = cmp.Options{
	cmp.Transformer("sorted", func(in []string) []string {
		out := slices.Clone(in)
		slices.Sort(out)
		for i, s := range out {
			if len(s) > 40 {
				out[i] = fmt.Sprintf("%q...%q (%d bytes)", s[:8], s[len(s)-4:], len(s))
			}
		}
		return out
	}),
}
