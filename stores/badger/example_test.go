package badger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/badger"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "kv-badger-example")
	defer os.RemoveAll(dir)

	s, err := badger.Open(filepath.Join(dir, "cache"), badger.WithPrefix("pages"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	_ = s.Set(ctx, "/a", []byte("alpha"))
	_ = s.Set(ctx, "/b", []byte("beta"), kv.WithTTL(time.Hour))
	_ = kv.SetMany(ctx, s, []kv.Entry[string, []byte]{
		{Key: "/c/1", Value: []byte("one")},
		{Key: "/c/2", Value: []byte("two")},
	})

	v, err := s.Get(ctx, "/a")
	fmt.Printf("%s %v\n", v, err)

	for e, err := range kv.Scan(ctx, s, "/c/") {
		fmt.Printf("%s=%s %v\n", e.Key, e.Value, err)
	}
	n, _ := s.Len(ctx)
	fmt.Println(n, "entries")
	// Output:
	// alpha <nil>
	// /c/1=one <nil>
	// /c/2=two <nil>
	// 4 entries
}

// Two stores share one DB that the program opened itself, each under its
// own prefix; closing them leaves the DB open for the program to close.
func ExampleNew() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "kv-badger-example")
	defer os.RemoveAll(dir)

	db, err := bdg.Open(bdg.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	responses, _ := badger.New(db, badger.WithPrefix("responses"))
	redirects, _ := badger.New(db, badger.WithPrefix("redirects"))
	defer responses.Close()
	defer redirects.Close()

	_ = responses.Set(ctx, "k", []byte("a response"))
	_ = redirects.Set(ctx, "k", []byte("an alias"))
	_ = redirects.Clear(ctx)

	v, err := responses.Get(ctx, "k")
	fmt.Printf("%s %v\n", v, err)
	_, err = redirects.Get(ctx, "k")
	fmt.Println(errors.Is(err, kv.ErrNotFound))
	// Output:
	// a response <nil>
	// true
}
