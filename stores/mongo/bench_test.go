package mongo_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Run with a short count, e.g.
//
//	go test -run '^$' -bench . -benchtime=200x -count=3 ./stores/mongo/
//
// and compare the sub-benchmarks of one benchmark with each other: they
// run against the same server in the same run.

var benchValue = make([]byte, 512)

// BenchmarkGet compares Store.Get with the findOne it makes.
func BenchmarkGet(b *testing.B) {
	s, _ := newStore(b)
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
	coll := s.Collection()
	b.Run("Raw", func(b *testing.B) {
		for b.Loop() {
			doc, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "key"}}).Raw()
			if err != nil {
				b.Fatal(err)
			}
			if _, _, ok := doc.Lookup("v").BinaryOK(); !ok {
				b.Fatal("no value")
			}
		}
	})
}

// BenchmarkSet compares Store.Set with a plain replace with upsert of the
// same document.
func BenchmarkSet(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	b.Run("Store", func(b *testing.B) {
		for b.Loop() {
			if err := s.Set(ctx, "key", benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
	coll := s.Collection()
	filter := bson.D{{Key: "_id", Value: "key"}}
	doc := bson.D{{Key: "_id", Value: "key"}, {Key: "v", Value: bson.Binary{Data: benchValue}}}
	b.Run("Raw", func(b *testing.B) {
		for b.Loop() {
			if _, err := coll.ReplaceOne(ctx, filter, doc, options.Replace().SetUpsert(true)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
