package file_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/file"
)

func Example() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "kv-file-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)

	// The directory is the store's name; it is created when missing.
	s, err := file.Open(filepath.Join(tmp, "cache"), file.WithMaxBytes(64<<20))
	if err != nil {
		panic(err)
	}
	defer s.Close()

	if err := s.Set(ctx, "../../etc/passwd", []byte("stays inside"), kv.WithTTL(time.Hour)); err != nil {
		panic(err)
	}
	v, err := s.Get(ctx, "../../etc/passwd")
	fmt.Printf("%s %v\n", v, err)

	_, err = s.Get(ctx, "missing")
	fmt.Println(errors.Is(err, kv.ErrNotFound))

	names, _ := os.ReadDir(s.Dir())
	for _, n := range names {
		fmt.Println(n.Name())
	}
	// Output:
	// stays inside <nil>
	// true
	// .locks
	// k..%2f..%2fetc%2fpasswd.kv
}

// A typed store over the file store: keys and values of any type, encoded
// with a key codec and a value codec.
func Example_typed() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "kv-file-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)

	raw, err := file.Open(tmp)
	if err != nil {
		panic(err)
	}
	defer raw.Close() // after s: Typed does not close the store it is given
	type visit struct {
		Path  string
		Count int
	}
	s := kv.Typed(raw, kv.IntKeys[int](), kv.CBOR[visit]())
	defer s.Close()

	if err := s.Set(ctx, 42, visit{Path: "/home", Count: 3}); err != nil {
		panic(err)
	}
	v, err := s.Get(ctx, 42)
	fmt.Printf("%+v %v\n", v, err)
	// Output:
	// {Path:/home Count:3} <nil>
}
