package kv_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

type Point struct {
	X, Y int
}

// Typed lifts a byte-level store to typed keys and values; here the byte
// store is in memory, but any backend of stores/ fits the same call.
func Example() {
	ctx := context.Background()
	raw := memory.New[string, []byte]()
	defer raw.Close() // Typed does not close the store it is given
	points := kv.Typed(raw, kv.IntKeys[int](), kv.CBOR[Point]())
	defer points.Close()

	_ = points.Set(ctx, 7, Point{X: 1, Y: 2})
	_ = points.Set(ctx, 8, Point{X: 3, Y: 4}, kv.WithTTL(time.Hour))

	p, err := points.Get(ctx, 7)
	fmt.Println(p, err)

	found, _ := kv.GetMany(ctx, points, []int{7, 8, 9})
	fmt.Println(len(found), found[8])
	// Output:
	// {1 2} <nil>
	// 2 {3 4}
}
