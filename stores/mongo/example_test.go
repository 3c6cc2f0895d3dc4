package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kvkit/kv"
	mongostore "github.com/kvkit/kv/stores/mongo"
)

// Two stores, one per collection, on one client the application owns.
// It runs against the test server (KV_TEST_MONGO_URI).
func Example() {
	uri := os.Getenv("KV_TEST_MONGO_URI") // e.g. mongodb://127.0.0.1:27017/
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Disconnect(ctx)

	responses, err := mongostore.New(client, "example", mongostore.WithCollection("responses"))
	if err != nil {
		log.Fatal(err)
	}
	defer responses.Close() // leaves the client connected
	redirects, err := mongostore.New(client, "example", mongostore.WithCollection("redirects"))
	if err != nil {
		log.Fatal(err)
	}
	defer redirects.Close()

	_ = responses.Set(ctx, "GET https://example.com/", []byte("<html>…"), kv.WithTTL(time.Hour))
	_ = redirects.Set(ctx, "GET http://example.com/", []byte("GET https://example.com/"))

	alias, _ := redirects.Get(ctx, "GET http://example.com/")
	body, err := responses.Get(ctx, string(alias))
	fmt.Println(string(body), err)

	_, err = responses.Get(ctx, "GET https://example.org/")
	fmt.Println(errors.Is(err, kv.ErrNotFound))
	// Output:
	// <html>… <nil>
	// true
}
