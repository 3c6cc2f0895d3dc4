// Command quickstart stores and reads typed values through kv: a typed
// store lifted from a byte store with the CBOR codec, a TTL, a batch read
// and iteration. It uses the in-memory backend, so it needs nothing
// installed; swapping the backend changes one line.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

// Book is the value type; any type the codec can encode works.
type Book struct {
	Title  string
	Author string
	Year   int
}

func main() {
	ctx := context.Background()

	// A byte-level store, lifted to int keys and Book values.
	// It is closed here, where it was opened: closing books does not close
	// raw (close only what you opened).
	raw := memory.New[string, []byte]()
	defer raw.Close()
	books := kv.Typed(raw, kv.IntKeys[int](), kv.CBOR[Book]())
	defer books.Close()

	must(books.Set(ctx, 1, Book{"The Go Programming Language", "Donovan & Kernighan", 2015}))
	must(books.Set(ctx, 2, Book{"Structure and Interpretation of Computer Programs", "Abelson & Sussman", 1985}))
	must(books.Set(ctx, 3, Book{"A draft", "Nobody", 2026}, kv.WithTTL(50*time.Millisecond)))

	b, err := books.Get(ctx, 1)
	must(err)
	fmt.Printf("get 1: %s (%d)\n", b.Title, b.Year)

	if _, err := books.Get(ctx, 42); errors.Is(err, kv.ErrNotFound) {
		fmt.Println("get 42: not found")
	}

	found, err := kv.GetMany(ctx, books, []int{1, 2, 3, 42})
	must(err)
	fmt.Printf("get many 1,2,3,42: %d found\n", len(found))

	time.Sleep(60 * time.Millisecond) // book 3 expires
	n, err := books.Len(ctx)
	must(err)
	fmt.Printf("after the draft expired: %d books\n", n)

	for e, err := range books.All(ctx) {
		must(err)
		fmt.Printf("  %d: %s, %s\n", e.Key, e.Value.Title, e.Value.Author)
	}
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
