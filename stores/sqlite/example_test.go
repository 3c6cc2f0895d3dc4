package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "kv-sqlite-example")
	defer os.RemoveAll(dir)

	// Two stores in one database file: the responses of a cache and its
	// redirects. They share connections; each has its own table.
	responses, err := sqlite.Open(filepath.Join(dir, "cache.db"), sqlite.WithTable("responses"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer responses.Close()
	redirects, err := responses.Table("redirects")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer redirects.Close()

	_ = responses.Set(ctx, "GET https://example.com/", []byte("<html>"), kv.WithTTL(time.Hour))
	_ = redirects.Set(ctx, "GET http://example.com/", []byte("GET https://example.com/"))

	target, _ := redirects.Get(ctx, "GET http://example.com/")
	body, err := responses.Get(ctx, string(target))
	fmt.Printf("%s %v\n", body, err)

	_ = redirects.Clear(ctx) // the responses stay
	n, _ := responses.Len(ctx)
	_, err = redirects.Get(ctx, "GET http://example.com/")
	fmt.Println(n, errors.Is(err, kv.ErrNotFound))

	// Batches run in one transaction.
	_ = kv.SetMany(ctx, responses, []kv.Entry[string, []byte]{
		{Key: "user/1", Value: []byte("ada")},
		{Key: "user/2", Value: []byte("alan")},
	})
	for e, err := range kv.Scan(ctx, responses, "user/") {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(e.Key, string(e.Value))
	}
	// Output:
	// <html> <nil>
	// 1 true
	// user/1 ada
	// user/2 alan
}
