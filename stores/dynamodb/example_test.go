package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/dynamodb"
)

// Open a store on DynamoDB Local and use it through kv.Typed. Against AWS,
// drop WithEndpoint and the static credentials: Open then reads region and
// credentials from the environment, ~/.aws or an IAM role. It runs
// against the test server (KV_TEST_DYNAMODB_ENDPOINT).
func Example() {
	endpoint := os.Getenv("KV_TEST_DYNAMODB_ENDPOINT") // e.g. http://127.0.0.1:8000
	ctx := context.Background()
	raw, err := dynamodb.Open(ctx, "example-sessions",
		dynamodb.WithEndpoint(endpoint),
		dynamodb.WithRegion("us-east-1"),
		dynamodb.WithAWSConfigOptions(config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider("local", "local", ""))),
		dynamodb.WithCreateTable(true),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer raw.Close()

	type session struct{ User string }
	sessions := kv.Typed(raw, kv.StringKeys(), kv.CBOR[session]())
	_ = sessions.Set(ctx, "s1", session{User: "ada"}, kv.WithTTL(time.Hour))

	s, err := sessions.Get(ctx, "s1")
	fmt.Println(s.User, err)
	_, err = sessions.Get(ctx, "s2")
	fmt.Println(errors.Is(err, kv.ErrNotFound))
	// Output:
	// ada <nil>
	// true
}
