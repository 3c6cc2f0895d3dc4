package stores_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores"
)

// Open takes the store as configuration: the same code runs on memory:,
// sqlite:///var/cache/app.db, redis://host:6379/0?prefix=app, ...
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kv-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	for _, raw := range []string{"memory:", "sqlite://" + filepath.Join(dir, "app.db") + "?table=pages"} {
		s, err := stores.Open(ctx, raw)
		if err != nil {
			log.Fatal(err)
		}
		if err := s.Set(ctx, "https://example.com/", []byte("<html>")); err != nil {
			log.Fatal(err)
		}
		v, err := s.Get(ctx, "https://example.com/")
		scheme, _, _ := strings.Cut(raw, ":")
		fmt.Printf("%s: %s %v\n", scheme, v, err)
		s.Close()
	}
	// Output:
	// memory: <html> <nil>
	// sqlite: <html> <nil>
}

// OpenReadOnly reads what is there and creates nothing: a mistyped path
// is an error, not an empty store, and writes fail with kv.ErrReadOnly.
func ExampleOpenReadOnly() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kv-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	raw := "sqlite://" + filepath.Join(dir, "app.db")

	w, err := stores.Open(ctx, raw)
	if err != nil {
		log.Fatal(err)
	}
	_ = w.Set(ctx, "greeting", []byte("hello"))
	w.Close()

	r, err := stores.OpenReadOnly(ctx, raw)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	v, err := r.Get(ctx, "greeting")
	fmt.Println(string(v), err)
	err = r.Set(ctx, "greeting", []byte("changed"))
	fmt.Println(errors.Is(err, kv.ErrReadOnly))

	_, err = stores.OpenReadOnly(ctx, raw+".typo")
	_, statErr := os.Stat(filepath.Join(dir, "app.db.typo"))
	fmt.Println(errors.Is(err, fs.ErrNotExist), errors.Is(statErr, fs.ErrNotExist))
	// Output:
	// hello <nil>
	// true
	// true true
}
