package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/redis"
	"github.com/redis/rueidis"
)

// Two stores on one client the program owns, as an HTTP cache keeps its
// responses and its redirects. It needs a Redis server, so it has no
// output to check.
func Example() {
	ctx := context.Background()
	client, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress: []string{os.Getenv("REDIS_ADDR")}, // or several cluster nodes
		// Username, Password, TLSConfig, Sentinel: see the package doc.
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close() // after the stores: they do not close it

	responses, err := redis.New(client, "myapp:responses")
	if err != nil {
		log.Fatal(err)
	}
	defer responses.Close()
	redirects, err := redis.New(client, "myapp:redirects")
	if err != nil {
		log.Fatal(err)
	}
	defer redirects.Close()

	if err := responses.Set(ctx, "https://example.com/", []byte("<html>"), kv.WithTTL(time.Hour)); err != nil {
		log.Fatal(err)
	}
	body, err := responses.Get(ctx, "https://example.com/")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", body)
}

// A store that owns its client, from a URL.
func ExampleOpen() {
	ctx := context.Background()
	opts, err := rueidis.ParseURL("rediss://user:secret@redis.example.com:6380/0")
	if err != nil {
		log.Fatal(err)
	}
	s, err := redis.Open(ctx, opts, "sessions", redis.WithClientSideCache(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close() // closes the client too

	typed := kv.Typed(s, kv.StringKeys(), kv.JSON[map[string]string]())
	if err := typed.Set(ctx, "session-1", map[string]string{"user": "ada"}, kv.WithTTL(30*time.Minute)); err != nil {
		log.Fatal(err)
	}
}

// A program that only inspects a store opens it read-only: reads work,
// and every write fails with kv.ErrReadOnly before it reaches the server.
// It runs against the test server (KV_TEST_REDIS_ADDR).
func ExampleOpenReadOnly() {
	ctx := context.Background()
	opts := rueidis.ClientOption{InitAddress: []string{os.Getenv("KV_TEST_REDIS_ADDR")}}
	w, err := redis.Open(ctx, opts, "example:readonly")
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	if err := w.Set(ctx, "greeting", []byte("hello"), kv.WithTTL(time.Minute)); err != nil {
		log.Fatal(err)
	}

	r, err := redis.OpenReadOnly(ctx, opts, "example:readonly")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	v, err := r.Get(ctx, "greeting")
	fmt.Println(string(v), err)
	err = r.Delete(ctx, "greeting")
	fmt.Println(errors.Is(err, kv.ErrReadOnly))
	// Output:
	// hello <nil>
	// true
}
