package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"

	kvdynamo "github.com/kvkit/kv/stores/dynamodb"
	kvpostgres "github.com/kvkit/kv/stores/postgres"
	kvredis "github.com/kvkit/kv/stores/redis"
)

// BenchmarkConditionalNetwork is BenchmarkConditional on the server
// backends: the store's SetIfAbsent and CompareAndSwap (impl=kv) against
// the backend's own conditional write by hand (impl=raw, the baseline):
// Redis SET NX and a compare-and-set Lua script, a DynamoDB PutItem with
// a ConditionExpression, PostgreSQL INSERT ... ON CONFLICT DO NOTHING and
// UPDATE ... WHERE value = $old.
func BenchmarkConditionalNetwork(b *testing.B) {
	b.Run("store=redis", func(b *testing.B) {
		runConditional(b, []condImpl{{"raw", openRedisCondRaw}, {"kv", openRedisCond}})
	})
	b.Run("store=dynamodb", func(b *testing.B) {
		runConditional(b, []condImpl{{"raw", openDynamoCondRaw}, {"kv", openDynamoCond}})
	})
	b.Run("store=postgres", func(b *testing.B) {
		runConditional(b, []condImpl{{"raw", openPostgresCondRaw}, {"kv", openPostgresCond}})
	})
}

func openRedisCond(b *testing.B) condOps {
	s, err := kvredis.New(rueidisClient(b), uniqueName(b, "kv"))
	if err == nil {
		b.Cleanup(func() { s.Clear(context.Background()) })
	}
	return condOf(b, s, err)
}

// casScript swaps KEYS[1] from ARGV[1] to ARGV[2] when it holds ARGV[1].
var casScript = rueidis.NewLuaScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0`)

// openRedisCondRaw is SET NX and a compare-and-set script through
// rueidis, under a prefix of its own.
func openRedisCondRaw(b *testing.B) condOps {
	c := rueidisClient(b)
	prefix := uniqueName(b, "raw") + ":"
	b.Cleanup(func() { flushPrefix(c, prefix) })
	return condOps{
		setIfAbsent: func(ctx context.Context, key string, value []byte) (bool, error) {
			err := c.Do(ctx, c.B().Set().Key(prefix+key).Value(rueidis.BinaryString(value)).Nx().Build()).Error()
			if rueidis.IsRedisNil(err) {
				return false, nil
			}
			return err == nil, err
		},
		compareAndSwap: func(ctx context.Context, key string, old, new []byte) (bool, error) {
			n, err := casScript.Exec(ctx, c, []string{prefix + key}, []string{string(old), string(new)}).AsInt64()
			return n == 1, err
		},
	}
}

func openDynamoCond(b *testing.B) condOps {
	c := dynamoClient(b)
	table := uniqueName(b, "kv")
	s, err := kvdynamo.New(c, table, kvdynamo.WithCreateTable(true))
	b.Cleanup(func() {
		c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return condOf(b, s, err)
}

// openDynamoCondRaw is PutItem with attribute_not_exists(k), and PutItem
// with v = :old, on items {k: key bytes, v: value bytes}.
func openDynamoCondRaw(b *testing.B) condOps {
	c := dynamoClient(b)
	table := rawDynamoTable(b, c)
	put := func(ctx context.Context, key string, value []byte, cond string, vals map[string]types.AttributeValue) (bool, error) {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: table,
			Item: map[string]types.AttributeValue{
				"k": &types.AttributeValueMemberB{Value: []byte(key)},
				"v": &types.AttributeValueMemberB{Value: value},
			},
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeValues: vals,
		})
		if _, failed := errors.AsType[*types.ConditionalCheckFailedException](err); failed {
			return false, nil
		}
		return err == nil, err
	}
	return condOps{
		setIfAbsent: func(ctx context.Context, key string, value []byte) (bool, error) {
			return put(ctx, key, value, "attribute_not_exists(k)", nil)
		},
		compareAndSwap: func(ctx context.Context, key string, old, new []byte) (bool, error) {
			return put(ctx, key, new, "v = :old", map[string]types.AttributeValue{":old": &types.AttributeValueMemberB{Value: old}})
		},
	}
}

func openPostgresCond(b *testing.B) condOps {
	p := pgPool(b)
	table := uniqueName(b, "kv")
	s, err := kvpostgres.New(p, table)
	b.Cleanup(func() { dropPGTable(p, table) })
	return condOf(b, s, err)
}

// openPostgresCondRaw is INSERT ... ON CONFLICT DO NOTHING and UPDATE ...
// WHERE value = $old (with the store's expiry check) through pgx, on a
// table of the store's shape.
func openPostgresCondRaw(b *testing.B) condOps {
	p := pgPool(b)
	table := uniqueName(b, "raw")
	t := pgx.Identifier{table}.Sanitize()
	if _, err := p.Exec(context.Background(), `CREATE TABLE `+t+` (key bytea NOT NULL PRIMARY KEY, long_key bytea, expires_at timestamptz, value bytea NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dropPGTable(p, table) })
	insert := `INSERT INTO ` + t + ` (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`
	update := `UPDATE ` + t + ` SET value = $3, expires_at = NULL WHERE key = $1 AND value = $2 AND (expires_at IS NULL OR expires_at > $4)`
	return condOps{
		setIfAbsent: func(ctx context.Context, key string, value []byte) (bool, error) {
			tag, err := p.Exec(ctx, insert, []byte(key), value)
			return err == nil && tag.RowsAffected() == 1, err
		},
		compareAndSwap: func(ctx context.Context, key string, old, new []byte) (bool, error) {
			tag, err := p.Exec(ctx, update, []byte(key), old, new, time.Now())
			return err == nil && tag.RowsAffected() == 1, err
		},
	}
}
