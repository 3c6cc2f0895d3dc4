package badger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
