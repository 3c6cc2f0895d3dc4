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

// BenchmarkScanKeys compares ScanKeys (a range query on _id) with the
// fallback a store without it gets from kv.ScanKeys (Keys, filtered in the
// process), listing 10 keys of 2000.
func BenchmarkScanKeys(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	entries := make([]kv.Entry[string, []byte], 0, 2000)
	for i := range cap(entries) {
		prefix := "other:"
		if i%200 == 0 {
			prefix = "ns:"
		}
		entries = append(entries, kv.Entry[string, []byte]{Key: fmt.Sprintf("%s%05d", prefix, i), Value: benchValue})
	}
	if err := s.SetMany(ctx, entries); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, st kv.Store[string, []byte]) {
		for b.Loop() {
			n := 0
			for _, err := range kv.ScanKeys(ctx, st, "ns:") {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != 10 {
				b.Fatalf("%d keys, want 10", n)
			}
		}
	}
	b.Run("ScanKeys", func(b *testing.B) { run(b, s) })
	// The store without its KeyScanner and PrefixScanner.
	b.Run("KeysFilter", func(b *testing.B) { run(b, struct{ kv.Store[string, []byte] }{s}) })
}
