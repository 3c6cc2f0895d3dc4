package httpcache_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/dynamodb"
	"github.com/kvkit/kv/stores/file"
	kvmongo "github.com/kvkit/kv/stores/mongo"
	"github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
	"github.com/redis/rueidis"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The same scenarios as TestMemory, over every other backend, each through
// kv.Typed with the CBOR codec as NewFromStores builds it.

// typed wraps byte stores as NewFromStores does; a nil redirects keeps
// aliases in the responses store.
func typed(t *testing.T, responses, redirects kv.Store[string, []byte]) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
	t.Cleanup(func() { responses.Close() })
	r := kv.Typed(responses, kv.StringKeys(), kv.CBOR[*httpcache.Response]())
	if redirects == nil {
		return r, nil
	}
	t.Cleanup(func() { redirects.Close() })
	return r, kv.Typed(redirects, kv.StringKeys(), kv.String())
}

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// serverEnv returns the variable's value, skipping the test when it is
// missing, or failing it when CI is set.
func serverEnv(t *testing.T, name string) string {
	t.Helper()
	return testenv.Server(t, name)
}

var names atomic.Int64

// uniqueName returns a store name no other test of this run uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano(), names.Add(1))
}

func TestFile(t *testing.T) {
	runScenarios(t, backend{"file", true, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
		dir := t.TempDir()
		r := must(file.Open(filepath.Join(dir, "responses"), file.WithClock(now)))(t)
		a := must(file.Open(filepath.Join(dir, "redirects"), file.WithClock(now)))(t)
		return typed(t, r, a)
	}})
}

func TestSQLite(t *testing.T) {
	runScenarios(t, backend{"sqlite", true, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
		path := filepath.Join(t.TempDir(), "cache.db")
		r := must(sqlite.Open(path, sqlite.WithTable("responses"), sqlite.WithClock(now)))(t)
		a := must(sqlite.Open(path, sqlite.WithTable("redirects"), sqlite.WithClock(now)))(t)
		return typed(t, r, a)
	}})
}

// TestSQLiteOneTable keeps the whole cache (aliases too) in one table.
func TestSQLiteOneTable(t *testing.T) {
	runScenarios(t, backend{"sqlite-one-table", true, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
		r := must(sqlite.Open(filepath.Join(t.TempDir(), "cache.db"), sqlite.WithClock(now)))(t)
		return typed(t, r, nil)
	}})
}

func TestBadger(t *testing.T) {
	runScenarios(t, backend{"badger", false, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
		r := must(badger.Open(t.TempDir()))(t)
		return typed(t, r, nil)
	}})
}

func TestRedis(t *testing.T) {
	addr := serverEnv(t, "KV_TEST_REDIS_ADDR")
	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	runScenarios(t, backend{"redis", false, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
		prefix := uniqueName("httpcache")
		r := must(redis.New(client, prefix+"r"))(t)
		a := must(redis.New(client, prefix+"a"))(t)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r.Clear(ctx)
			a.Clear(ctx)
		})
		return typed(t, r, a)
	}})
}

func TestDynamoDB(t *testing.T) {
	endpoint := serverEnv(t, "KV_TEST_DYNAMODB_ENDPOINT")
	open := func(t *testing.T) kv.Store[string, []byte] {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return must(dynamodb.Open(ctx, strings.ReplaceAll(uniqueName("httpcache-"), "_", "-"),
			dynamodb.WithEndpoint(endpoint), dynamodb.WithRegion("us-east-1"), dynamodb.WithCreateTable(true),
			dynamodb.WithAWSConfigOptions(config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("kvtest", "kvtest", "")))))(t)
	}
	runScenarios(t, backend{"dynamodb", false, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
		return typed(t, open(t), nil)
	}})
}

func TestMongo(t *testing.T) {
	uri := serverEnv(t, "KV_TEST_MONGO_URI")
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(context.Background()) })
	runScenarios(t, backend{"mongo", false, func(t *testing.T, now func() time.Time) (kv.Store[string, *httpcache.Response], kv.Store[string, string]) {
		db := uniqueName("httpcache_")
		r := must(kvmongo.New(client, db, kvmongo.WithCollection("responses")))(t)
		a := must(kvmongo.New(client, db, kvmongo.WithCollection("redirects")))(t)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			client.Database(db).Drop(ctx)
		})
		return typed(t, r, a)
	}})
}
