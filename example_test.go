package kv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// Typed turns a byte store into one of any key and value types, through a
// key codec and a value codec; the bytes underneath are what the codecs
// make of them.
func ExampleTyped() {
	ctx := context.Background()
	raw := memory.New[string, []byte]()
	defer raw.Close()
	type user struct {
		Name  string `json:"name"`
		Admin bool   `json:"admin"`
	}
	users := kv.Typed(raw, kv.IntKeys[int64](), kv.JSON[user]())

	_ = users.Set(ctx, 42, user{Name: "ada", Admin: true})
	u, err := users.Get(ctx, 42)
	fmt.Println(u.Name, u.Admin, err)
	for e, err := range raw.All(ctx) {
		if err == nil {
			fmt.Printf("%q\n", e.Value)
		}
	}
	_, err = users.Get(ctx, 7)
	fmt.Println(errors.Is(err, kv.ErrNotFound))
	// Output:
	// ada true <nil>
	// "{\"name\":\"ada\",\"admin\":true}"
	// true
}

// GetMany reads several keys in one call: one round trip on a store with
// kv.BatchGetter, one Get per key on any other. Absent keys are left out
// of the map, not errors.
func ExampleGetMany() {
	ctx := context.Background()
	s := memory.New[string, []byte]()
	defer s.Close()
	_ = s.Set(ctx, "a", []byte("alpha"))
	_ = s.Set(ctx, "b", []byte("beta"))

	got, err := kv.GetMany(ctx, s, []string{"a", "b", "absent"})
	fmt.Println(len(got), string(got["a"]), string(got["b"]), err)
	_, found := got["absent"]
	fmt.Println(found)
	// Output:
	// 2 alpha beta <nil>
	// false
}

// EncryptStore seals every value with AES-GCM under the keyring's current
// key, bound to its key: the store underneath holds only ciphertext, and
// a value copied to another key does not open.
func ExampleEncryptStore() {
	ctx := context.Background()
	key := make([]byte, 32) // in practice, 32 random bytes from a secret store
	for i := range key {
		key[i] = byte(i)
	}
	ring, err := kv.NewKeyring(1, map[uint32][]byte{1: key})
	if err != nil {
		fmt.Println(err)
		return
	}
	raw := memory.New[string, []byte]()
	defer raw.Close()
	secrets := kv.EncryptStore(raw, ring)

	_ = secrets.Set(ctx, "token", []byte("s3cr3t"))
	v, err := secrets.Get(ctx, "token")
	fmt.Println(string(v), err)

	sealed, _ := raw.Get(ctx, "token")
	fmt.Println(len(sealed), bytes.Contains(sealed, []byte("s3cr3t")))

	_ = raw.Set(ctx, "moved", sealed) // the same bytes under another key
	_, err = secrets.Get(ctx, "moved")
	fmt.Println(errors.Is(err, kv.ErrCorrupt))
	// Output:
	// s3cr3t <nil>
	// 39 false
	// true
}

// Scan yields the entries whose keys start with a prefix: a range read on
// a store with kv.PrefixScanner (SQLite, badger, Redis, PostgreSQL), a
// filtered full read on any other. The order is the store's; sort what
// you need in order.
func ExampleScan() {
	ctx := context.Background()
	s := memory.New[string, []byte]()
	defer s.Close()
	for _, k := range []string{"user:2", "session:1", "user:1", "user:10"} {
		_ = s.Set(ctx, k, []byte("v"+k[len(k)-1:]))
	}

	var lines []string
	for e, err := range kv.Scan(ctx, s, "user:") {
		if err != nil {
			fmt.Println(err)
			return
		}
		lines = append(lines, e.Key+" "+string(e.Value))
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// user:1 v1
	// user:10 v0
	// user:2 v2
}
