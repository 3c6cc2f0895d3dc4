package dynamodb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kvkit/kv"
)

// Run with a short count, e.g.
//
//	go test -run '^$' -bench . -benchtime=200x -count=3 ./stores/dynamodb/
//
// and compare the sub-benchmarks of one benchmark with each other: they
// run against the same server in the same run.

var benchValue = make([]byte, 512)

// BenchmarkGet100 reads 100 keys per op: one GetMany against a loop of
// Gets.
func BenchmarkGet100(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	keys := make([]string, 100)
	entries := make([]kv.Entry[string, []byte], 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%03d", i)
		entries[i] = kv.Entry[string, []byte]{Key: keys[i], Value: benchValue}
	}
	if err := s.SetMany(ctx, entries); err != nil {
		b.Fatal(err)
	}
	b.Run("GetMany", func(b *testing.B) {
		for b.Loop() {
			m, err := s.GetMany(ctx, keys)
			if err != nil || len(m) != len(keys) {
				b.Fatal(len(m), err)
			}
		}
	})
	b.Run("Gets", func(b *testing.B) {
		for b.Loop() {
			for _, k := range keys {
				if _, err := s.Get(ctx, k); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkGet compares Store.Get with the GetItem call it makes.
func BenchmarkGet(b *testing.B) {
	s, client := newStore(b)
	ctx := context.Background()
	if err := s.Set(ctx, "key", benchValue); err != nil {
		b.Fatal(err)
	}
	b.Run("Store", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Get(ctx, "key"); err != nil {
				b.Fatal(err)
			}
		}
	})
	in := &dynamodb.GetItemInput{
		TableName:      aws.String(s.Table()),
		Key:            map[string]types.AttributeValue{"k": &types.AttributeValueMemberB{Value: []byte("\x00key")}},
		ConsistentRead: aws.Bool(true),
	}
	b.Run("Raw", func(b *testing.B) {
		for b.Loop() {
			out, err := client.GetItem(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			if _, ok := out.Item["v"].(*types.AttributeValueMemberB); !ok {
				b.Fatal("no value")
			}
		}
	})
}

// BenchmarkSet compares Store.Set with a plain PutItem of the same item.
func BenchmarkSet(b *testing.B) {
	s, client := newStore(b)
	ctx := context.Background()
	b.Run("Store", func(b *testing.B) {
		for b.Loop() {
			if err := s.Set(ctx, "key", benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
	in := &dynamodb.PutItemInput{
		TableName: aws.String(s.Table()),
		Item: map[string]types.AttributeValue{
			"k": &types.AttributeValueMemberB{Value: []byte("\x00key")},
			"v": &types.AttributeValueMemberB{Value: benchValue},
		},
	}
	b.Run("Raw", func(b *testing.B) {
		for b.Loop() {
			if _, err := client.PutItem(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
