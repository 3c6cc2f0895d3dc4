package main

import (
	"math"
	"strings"
	"testing"
)

func TestMedianInterval(t *testing.T) {
	// Ten values: the interval is x(2)..x(9), covering the median with
	// probability 1 - 2·P(X <= 1) = 1 - 22/1024.
	xs := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	med, lo, hi, conf := medianInterval(xs)
	if med != 5.5 || lo != 2 || hi != 9 || math.Abs(conf-(1-22.0/1024)) > 1e-12 {
		t.Fatalf("got median %v, interval %v–%v at %v", med, lo, hi, conf)
	}
	// Six values: only the range reaches 95 %.
	_, lo, hi, conf = medianInterval([]float64{3, 1, 2, 6, 5, 4})
	if lo != 1 || hi != 6 || math.Abs(conf-(1-2.0/64)) > 1e-12 {
		t.Fatalf("six values: interval %v–%v at %v", lo, hi, conf)
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		lo, hi, max, min float64
		want             string
	}{
		{1.1, 1.2, 1.25, 0, "met"},
		{1.1, 1.3, 1.25, 0, "undecided"},
		{1.3, 1.4, 1.25, 0, "missed"},
		{1.8, 2.0, 0, 1.7, "met"},
		{1.5, 1.8, 0, 1.7, "undecided"},
		{1.2, 1.6, 0, 1.7, "missed"},
		{1.2, 1.6, 0, 0, ""},
	} {
		if got := verdict(c.lo, c.hi, c.max, c.min); got != c.want {
			t.Errorf("verdict(%v, %v, max %v, min %v) = %q, want %q", c.lo, c.hi, c.max, c.min, got, c.want)
		}
	}
}

func TestReadPairsByOrder(t *testing.T) {
	in := `goos: linux
BenchmarkX/impl=kv-2   100   60.0 ns/op   0 B/op   0 allocs/op
BenchmarkX/impl=raw-2  100   40.0 ns/op   0 B/op   0 allocs/op
BenchmarkX/impl=raw-2  100   50.0 ns/op
BenchmarkX/impl=kv-2   100   55.0 ns/op
`
	rs := read(strings.NewReader(in), "sec/op")
	if len(rs) != 4 || rs[0].name != "BenchmarkX/impl=kv-2" || rs[0].value != 60e-9 || rs[3].value != 55e-9 {
		t.Fatalf("read %+v", rs)
	}
	if rs := read(strings.NewReader(in), "allocs/op"); len(rs) != 2 || rs[1].value != 0 {
		t.Fatalf("allocs: %+v", rs)
	}
}
