package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

type user struct {
	Name  string
	Email string
}

func Example() {
	ctx := context.Background()
	users := memory.New[int, user]()
	defer users.Close()

	_ = users.Set(ctx, 1, user{Name: "Ada", Email: "ada@example.com"})
	_ = users.Set(ctx, 2, user{Name: "Alan"}, kv.WithTTL(time.Hour))

	u, err := users.Get(ctx, 1)
	fmt.Println(u.Name, err)

	_, err = users.Get(ctx, 3)
	fmt.Println(errors.Is(err, kv.ErrNotFound))

	n, _ := users.Len(ctx)
	fmt.Println(n)
	// Output:
	// Ada <nil>
	// true
	// 2
}

func ExampleWithMaxEntries() {
	ctx := context.Background()
	lru := memory.New[string, int](memory.WithMaxEntries(2))
	defer lru.Close()

	_ = lru.Set(ctx, "a", 1)
	_ = lru.Set(ctx, "b", 2)
	_, _ = lru.Get(ctx, "a") // a is now the most recently used
	_ = lru.Set(ctx, "c", 3) // evicts b

	for _, k := range []string{"a", "b", "c"} {
		ok, _ := lru.Has(ctx, k)
		fmt.Println(k, ok)
	}
	// Output:
	// a true
	// b false
	// c true
}
