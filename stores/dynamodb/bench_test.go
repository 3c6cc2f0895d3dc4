package dynamodb_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Run with a short count, e.g.
//
//	go test -run '^$' -bench . -benchtime=200x -count=3 ./stores/dynamodb/
//
// and compare the sub-benchmarks of one benchmark with each other: they
// run against the same server in the same run.

var benchValue = make([]byte, 512)

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
