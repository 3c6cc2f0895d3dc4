package kv_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

type Point struct {
	X, Y int
}

// Typed lifts a byte-level store to typed keys and values; here the byte
// store is in memory, but any backend of stores/ fits the same call.
func Example() {
	ctx := context.Background()
	raw := memory.New[string, []byte]()
	defer raw.Close() // Typed does not close the store it is given
	points := kv.Typed(raw, kv.IntKeys[int](), kv.CBOR[Point]())
	defer points.Close()

	_ = points.Set(ctx, 7, Point{X: 1, Y: 2})
	_ = points.Set(ctx, 8, Point{X: 3, Y: 4}, kv.WithTTL(time.Hour))

	p, err := points.Get(ctx, 7)
	fmt.Println(p, err)

	found, _ := kv.GetMany(ctx, points, []int{7, 8, 9})
	fmt.Println(len(found), found[8])
	// Output:
	// {1 2} <nil>
	// 2 {3 4}
}

// Prefixed keeps several stores in one: each namespace sees, counts and
// clears only its own keys. Closing a namespace does not close the store
// under it.
func ExamplePrefixed() {
	ctx := context.Background()
	raw := memory.New[string, []byte]()
	defer raw.Close()

	users := kv.Prefixed(raw, "users:")
	defer users.Close()
	sessions := kv.Typed(kv.Prefixed(raw, "sessions:"), kv.StringKeys(), kv.JSON[[]string]())
	defer sessions.Close()

	_ = users.Set(ctx, "ada", []byte("Ada Lovelace"))
	_ = sessions.Set(ctx, "s1", []string{"ada", "admin"}, kv.WithTTL(time.Hour))

	n, _ := users.Len(ctx)
	fmt.Println("users:", n)
	for k, err := range raw.Keys(ctx) {
		if err == nil && k == "users:ada" {
			fmt.Println("raw key:", k)
		}
	}
	_ = users.Clear(ctx)
	s, err := sessions.Get(ctx, "s1")
	fmt.Println("sessions survive:", s, err)
	// Output:
	// users: 1
	// raw key: users:ada
	// sessions survive: [ada admin] <nil>
}

// A wrapper offers exactly the capabilities of the store it wraps, so a
// type assertion on it tells the truth.
func ExampleTyped_capabilities() {
	raw := memory.New[string, []byte]() // batch, but no prefix scan
	defer raw.Close()
	names := kv.Typed(raw, kv.StringKeys(), kv.String())

	_, batch := names.(kv.BatchGetter[string, string])
	_, scan := names.(kv.PrefixScanner[string])
	fmt.Println("batch:", batch, "prefix scan:", scan)
	// Output:
	// batch: true prefix scan: false
}

// Tiered keeps hot entries in a bounded memory store in front of a far
// one (here another memory store; in practice Redis, SQLite, ...). Reads
// fill the near store; writes go to both.
func ExampleTiered() {
	ctx := context.Background()
	far := memory.New[string, []byte]()
	defer far.Close()
	near := memory.New[string, []byte](memory.WithMaxEntries(10_000))
	defer near.Close()

	cache := kv.Tiered(near, far, kv.WithNearTTL(30*time.Second))
	defer cache.Close()

	_ = far.Set(ctx, "greeting", []byte("hello"))
	v, _ := cache.Get(ctx, "greeting") // from far, now near too
	_, inNear := near.Get(ctx, "greeting")
	fmt.Println(string(v), inNear == nil)

	_ = cache.Set(ctx, "greeting", []byte("hi")) // write-through
	v, _ = far.Get(ctx, "greeting")
	fmt.Println(string(v))
	// Output:
	// hello true
	// hi
}

// Loader calls a load function on a miss, once for any number of
// concurrent misses of a key, and keeps what it loads for the TTL the
// function gives.
func ExampleLoader() {
	ctx := context.Background()
	m := memory.New[int, string]()
	defer m.Close()

	loads := 0
	users := kv.Loader(m, func(ctx context.Context, id int) (string, time.Duration, error) {
		loads++
		if id != 1 {
			return "", 0, kv.ErrNotFound
		}
		return "Ada", 10 * time.Minute, nil
	}, kv.WithNegativeTTL(time.Minute))
	defer users.Close()

	for range 3 {
		name, err := users.Get(ctx, 1)
		fmt.Println(name, err)
	}
	_, err := users.Get(ctx, 2)
	_, err = users.Get(ctx, 2) // remembered: not loaded again
	fmt.Println(errors.Is(err, kv.ErrNotFound), "loads:", loads)
	// Output:
	// Ada <nil>
	// Ada <nil>
	// Ada <nil>
	// true loads: 2
}
