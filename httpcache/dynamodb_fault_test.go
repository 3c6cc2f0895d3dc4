package httpcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kvkit/kv/internal/faulttest"
	ddbstore "github.com/kvkit/kv/stores/dynamodb"
)

// TestDynamoDBStoppedFault runs requests through a Transport over a
// DynamoDB store while the test's own DynamoDB Local is killed (SIGKILL)
// and started again on the same port (its tables kept on disk): no
// request fails or hangs, store calls fail within their deadline while it
// is down, and the store and the cache work again by themselves after.
func TestDynamoDBStoppedFault(t *testing.T) {
	srv := faulttest.StartDynamoDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	store, err := ddbstore.Open(ctx, faulttest.UniqueName("fault"),
		ddbstore.WithEndpoint(srv.Endpoint), ddbstore.WithRegion("us-east-1"), ddbstore.WithCreateTable(true),
		ddbstore.WithAWSConfigOptions(config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("kvtest", "kvtest", ""))))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runStoppedServer(t, stoppedServer{
		store:        store,
		kill:         srv.Kill,
		start:        func() { srv.Start(t) },
		storeTimeout: 500 * time.Millisecond,
		direct:       500 * time.Millisecond,
		down:         1500 * time.Millisecond,
		hung:         5 * time.Second,
	})
}
