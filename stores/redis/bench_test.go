package redis_test

import (
	"bytes"
	"testing"

	"github.com/redis/rueidis"
)

// The benchmarks run against KV_TEST_REDIS_ADDR, each beside its baseline
// in the same run:
//
//	go test -run='^$' -bench=. -benchtime=2000x -count=3 ./stores/redis/ > bench.txt
//	benchstat -col /impl bench.txt

var benchValue = bytes.Repeat([]byte("0123456789abcdef"), 16) // 256 bytes

// BenchmarkGet compares Store.Get with the same GET through rueidis.
func BenchmarkGet(b *testing.B) {
	client := newClient(b, standaloneOption(b))
	s := newStore(b, client)
	ctx := b.Context()
	if err := s.Set(ctx, "k", benchValue); err != nil {
		b.Fatal(err)
	}
	b.Run("impl=Store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, err := s.Get(ctx, "k")
			if err != nil || len(v) != len(benchValue) {
				b.Fatal(len(v), err)
			}
		}
	})
	b.Run("impl=rueidis", func(b *testing.B) {
		rk := s.Key("k")
		b.ReportAllocs()
		for b.Loop() {
			v, err := client.Do(ctx, client.B().Get().Key(rk).Build()).AsBytes()
			if err != nil || len(v) != len(benchValue) {
				b.Fatal(len(v), err)
			}
		}
	})
}

// BenchmarkSet compares Store.Set with the same SET through rueidis.
func BenchmarkSet(b *testing.B) {
	client := newClient(b, standaloneOption(b))
	s := newStore(b, client)
	ctx := b.Context()
	b.Run("impl=Store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Set(ctx, "k", benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=rueidis", func(b *testing.B) {
		rk := s.Key("k")
		b.ReportAllocs()
		for b.Loop() {
			if err := client.Do(ctx, client.B().Set().Key(rk).Value(rueidis.BinaryString(benchValue)).Build()).Error(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
