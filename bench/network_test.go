package bench

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"
	gokvdynamo "github.com/philippgille/gokv/dynamodb"
	gokvredis "github.com/philippgille/gokv/redis"
	"github.com/redis/rueidis"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	mopts "go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kvkit/kv"
	kvdynamo "github.com/kvkit/kv/stores/dynamodb"
	kvmongo "github.com/kvkit/kv/stores/mongo"
	kvredis "github.com/kvkit/kv/stores/redis"
)

// runNetworkStores adds the server backends to BenchmarkStore.
func runNetworkStores(b *testing.B) {
	b.Run("store=redis", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"raw", openRedisRaw},
			{"kv", openRedisKV},
			{"gokv", openRedisGokv},
		})
	})
	b.Run("store=mongo", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"raw", openMongoRaw},
			{"kv", openMongoKV},
		})
	})
	b.Run("store=dynamodb", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"raw", openDynamoRaw},
			{"kv", openDynamoKV},
			{"gokv", openDynamoGokv},
		})
	})
	b.Run("store=postgres", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"raw", openPostgresRaw},
			{"kv", openPostgresKV},
			{"gokv", openPostgresGokv},
		})
	})
}

// BenchmarkBatchGet100 reads 100 Records from the typed kv store of each
// network backend with one kv.GetMany (impl=batch: MGET, BatchGetItem, one
// find with $in, one SELECT ... = ANY($1)) and with 100 Gets (impl=loop, the baseline).
func BenchmarkBatchGet100(b *testing.B) {
	for _, st := range []struct {
		name string
		open func(*testing.B) kv.Store[string, Record]
	}{
		{"redis", func(b *testing.B) kv.Store[string, Record] { return redisKVStore(b) }},
		{"mongo", func(b *testing.B) kv.Store[string, Record] { return mongoKVStore(b) }},
		{"dynamodb", func(b *testing.B) kv.Store[string, Record] { return dynamoKVStore(b) }},
		{"postgres", func(b *testing.B) kv.Store[string, Record] { return postgresKVStore(b) }},
	} {
		b.Run("store="+st.name, func(b *testing.B) {
			s := st.open(b)
			ctx := context.Background()
			rec := newRecord(recordSize)
			entries := make([]kv.Entry[string, Record], benchKeys)
			keys := make([]string, benchKeys)
			for i := range entries {
				keys[i] = benchKey(i)
				entries[i] = kv.Entry[string, Record]{Key: keys[i], Value: rec}
			}
			if err := kv.SetMany(ctx, s, entries); err != nil {
				b.Fatal(err)
			}
			b.Run("impl=loop", func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					start := (n * 100) % benchKeys
					for _, k := range keys[start : start+100] {
						if _, err := s.Get(ctx, k); err != nil {
							b.Fatal(err)
						}
					}
					n++
				}
			})
			b.Run("impl=batch", func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					start := (n * 100) % benchKeys
					got, err := kv.GetMany(ctx, s, keys[start:start+100])
					if err != nil {
						b.Fatal(err)
					}
					if len(got) != 100 {
						b.Fatalf("GetMany found %d of 100", len(got))
					}
					n++
				}
			})
		})
	}
}

// redis

func rueidisClient(b *testing.B) rueidis.Client {
	b.Helper()
	addr := serverEnv(b, redisVar)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// openRedisRaw is GET and SET through rueidis, under keys prefixed as the
// store prefixes them.
func openRedisRaw(b *testing.B) ops {
	c := rueidisClient(b)
	prefix := uniqueName(b, "raw") + ":"
	b.Cleanup(func() { flushPrefix(c, prefix) })
	return ops{
		get: func(ctx context.Context, key string) (Record, error) {
			v, err := c.Do(ctx, c.B().Get().Key(prefix+key).Build()).AsBytes()
			if rueidis.IsRedisNil(err) {
				return Record{}, kv.ErrNotFound
			}
			if err != nil {
				return Record{}, err
			}
			return decodeRecord(v)
		},
		set: func(ctx context.Context, key string, r Record) error {
			data, err := encodeRecord(r)
			if err != nil {
				return err
			}
			return c.Do(ctx, c.B().Set().Key(prefix+key).Value(rueidis.BinaryString(data)).Build()).Error()
		},
	}
}

// flushPrefix deletes the keys under prefix, best effort.
func flushPrefix(c rueidis.Client, prefix string) {
	ctx := context.Background()
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			return
		}
		if len(e.Elements) > 0 {
			c.Do(ctx, c.B().Unlink().Key(e.Elements...).Build())
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}

func redisKVStore(b *testing.B) kv.Store[string, Record] {
	s, err := kvredis.New(rueidisClient(b), uniqueName(b, "kv"))
	if err != nil {
		b.Fatal(err)
	}
	t := kv.Typed(s, kv.StringKeys(), kv.CBOR[Record]())
	b.Cleanup(func() {
		t.Clear(context.Background())
		t.Close()
		s.Close() // Typed does not close the store it wraps
	})
	return t
}

func openRedisKV(b *testing.B) ops { return typedOps(redisKVStore(b)) }

// openRedisGokv is gokv's Redis store (go-redis), keys under a prefix of
// their own.
func openRedisGokv(b *testing.B) ops {
	addr := serverEnv(b, redisVar)
	s, err := gokvredis.NewClient(gokvredis.Options{Address: addr, Codec: gokvCBOR{}})
	if err != nil {
		b.Fatal(err)
	}
	prefix := uniqueName(b, "gokv") + ":"
	b.Cleanup(func() {
		s.Close()
		c := rueidisClient(b)
		flushPrefix(c, prefix)
	})
	o := gokvOps(s)
	return ops{
		get: func(ctx context.Context, key string) (Record, error) { return o.get(ctx, prefix+key) },
		set: func(ctx context.Context, key string, r Record) error { return o.set(ctx, prefix+key, r) },
	}
}

// mongo

func mongoClient(b *testing.B) *mongo.Client {
	b.Helper()
	uri := serverEnv(b, mongoVar)
	c, err := mongo.Connect(mopts.Client().ApplyURI(uri))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Disconnect(context.Background()) })
	return c
}

// openMongoRaw is FindOne and ReplaceOne (upsert) by _id through the
// mongo driver, on documents {_id: key, v: CBOR bytes}.
func openMongoRaw(b *testing.B) ops {
	c := mongoClient(b)
	db := c.Database(uniqueName(b, "raw"))
	b.Cleanup(func() { db.Drop(context.Background()) })
	coll := db.Collection("kv")
	upsert := mopts.Replace().SetUpsert(true)
	return ops{
		get: func(ctx context.Context, key string) (Record, error) {
			doc, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Raw()
			if errors.Is(err, mongo.ErrNoDocuments) {
				return Record{}, kv.ErrNotFound
			}
			if err != nil {
				return Record{}, err
			}
			_, v, ok := doc.Lookup("v").BinaryOK()
			if !ok {
				return Record{}, fmt.Errorf("document %q without a binary v", key)
			}
			return decodeRecord(v)
		},
		set: func(ctx context.Context, key string, r Record) error {
			data, err := encodeRecord(r)
			if err != nil {
				return err
			}
			_, err = coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: key}},
				bson.D{{Key: "_id", Value: key}, {Key: "v", Value: bson.Binary{Data: data}}}, upsert)
			return err
		},
	}
}

func mongoKVStore(b *testing.B) kv.Store[string, Record] {
	c := mongoClient(b)
	name := uniqueName(b, "kv")
	s, err := kvmongo.New(c, name)
	if err != nil {
		b.Fatal(err)
	}
	t := kv.Typed(s, kv.StringKeys(), kv.CBOR[Record]())
	b.Cleanup(func() {
		t.Close()
		s.Close()
		c.Database(name).Drop(context.Background())
	})
	return t
}

func openMongoKV(b *testing.B) ops { return typedOps(mongoKVStore(b)) }

// dynamodb

func dynamoClient(b *testing.B) *dynamodb.Client {
	b.Helper()
	ep := serverEnv(b, dynamoVar)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("kvbench", "kvbench", "")),
		config.WithLogger(logging.Nop{}))
	if err != nil {
		b.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ep) })
}

// rawDynamoTable creates a table of items {k: key bytes, v: value bytes}
// for the raw baselines, deleted when the benchmark ends.
func rawDynamoTable(b *testing.B, c *dynamodb.Client) *string {
	table := aws.String(uniqueName(b, "raw"))
	ctx := context.Background()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            table,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("k"), AttributeType: types.ScalarAttributeTypeB}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("k"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(c).Wait(ctx, &dynamodb.DescribeTableInput{TableName: table}, time.Minute); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: table}) })
	return table
}

// openDynamoRaw is GetItem (consistent read, as the store reads) and
// PutItem through the AWS SDK, on items {k: key bytes, v: CBOR bytes}.
func openDynamoRaw(b *testing.B) ops {
	c := dynamoClient(b)
	table := rawDynamoTable(b, c)
	return ops{
		get: func(ctx context.Context, key string) (Record, error) {
			out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
				TableName:      table,
				Key:            map[string]types.AttributeValue{"k": &types.AttributeValueMemberB{Value: []byte(key)}},
				ConsistentRead: aws.Bool(true),
			})
			if err != nil {
				return Record{}, err
			}
			if out.Item == nil {
				return Record{}, kv.ErrNotFound
			}
			v, ok := out.Item["v"].(*types.AttributeValueMemberB)
			if !ok {
				return Record{}, fmt.Errorf("item %q without a binary v", key)
			}
			return decodeRecord(v.Value)
		},
		set: func(ctx context.Context, key string, r Record) error {
			data, err := encodeRecord(r)
			if err != nil {
				return err
			}
			_, err = c.PutItem(ctx, &dynamodb.PutItemInput{
				TableName: table,
				Item: map[string]types.AttributeValue{
					"k": &types.AttributeValueMemberB{Value: []byte(key)},
					"v": &types.AttributeValueMemberB{Value: data},
				},
			})
			return err
		},
	}
}

func dynamoKVStore(b *testing.B) kv.Store[string, Record] {
	c := dynamoClient(b)
	table := uniqueName(b, "kv")
	s, err := kvdynamo.New(c, table, kvdynamo.WithCreateTable(true))
	if err != nil {
		b.Fatal(err)
	}
	t := kv.Typed(s, kv.StringKeys(), kv.CBOR[Record]())
	b.Cleanup(func() {
		t.Close()
		s.Close()
		c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return t
}

func openDynamoKV(b *testing.B) ops { return typedOps(dynamoKVStore(b)) }

// openDynamoGokv is gokv's DynamoDB store (AWS SDK v1), on a table it
// creates.
func openDynamoGokv(b *testing.B) ops {
	ep := serverEnv(b, dynamoVar)
	table := uniqueName(b, "gokv")
	s, err := gokvdynamo.NewClient(gokvdynamo.Options{
		Region:             "us-east-1",
		TableName:          table,
		CustomEndpoint:     ep,
		AWSaccessKeyID:     "kvbench",
		AWSsecretAccessKey: "kvbench",
		Codec:              gokvCBOR{},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.Close()
		dynamoClient(b).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return gokvOps(s)
}
