package mongo_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kvkit/kv"
)

// Run with a short count, e.g.
//
//	go test -run '^$' -bench . -benchtime=200x -count=3 ./stores/mongo/
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
