package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/postgres"
)

// Two stores on one pool the program owns, as an HTTP cache keeps its
// responses and its redirects, each in a table of its own. It needs a
// PostgreSQL server, so it has no output to check.
func Example() {
	ctx := context.Background()
	// For example postgres://app:secret@db.internal:5432/app?sslmode=verify-full&pool_max_conns=20
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close() // after the stores: they do not close it

	responses, err := postgres.New(pool, "cache_responses", postgres.WithUnlogged(true))
	if err != nil {
		log.Fatal(err)
	}
	defer responses.Close()
	redirects, err := postgres.New(pool, "cache_redirects", postgres.WithUnlogged(true))
	if err != nil {
		log.Fatal(err)
	}
	defer redirects.Close()

	pages := kv.Typed(responses, kv.StringKeys(), kv.String())
	if err := pages.Set(ctx, "https://example.com/", "<html>", kv.WithTTL(time.Hour)); err != nil {
		log.Fatal(err)
	}
	body, err := pages.Get(ctx, "https://example.com/")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(body)
}

// A store that opens its own pool from a URL, and closes it on Close.
func ExampleOpen() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, "postgres://app:secret@db.internal:5432/app?sslmode=verify-full&connect_timeout=5",
		"kv", postgres.WithSchema("cache"), postgres.WithJanitorInterval(5*time.Minute))
	if err != nil {
		log.Fatal(err) // the error never holds the password
	}
	defer s.Close()
}

// A program that only inspects a table opens it read-only: it creates
// nothing (a missing table is fs.ErrNotExist), and every write fails with
// kv.ErrReadOnly. It runs against the test server (KV_TEST_POSTGRES_URL).
func ExampleOpenReadOnly() {
	ctx := context.Background()
	dsn := os.Getenv("KV_TEST_POSTGRES_URL")
	w, err := postgres.Open(ctx, dsn, "example_readonly", postgres.WithJanitorInterval(0))
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	if err := w.Set(ctx, "greeting", []byte("hello")); err != nil {
		log.Fatal(err)
	}

	r, err := postgres.OpenReadOnly(ctx, dsn, "example_readonly")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	v, err := r.Get(ctx, "greeting")
	fmt.Println(string(v), err)
	err = r.Set(ctx, "greeting", []byte("changed"))
	fmt.Println(errors.Is(err, kv.ErrReadOnly))

	_, err = postgres.OpenReadOnly(ctx, dsn, "example_no_such_table")
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// hello <nil>
	// true
	// true
}
