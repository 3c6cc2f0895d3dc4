package httpcache_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/kvkit/kv/httpcache"
)

func Example() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, "hello")
	}))
	defer origin.Close()

	t := httpcache.NewMemory(httpcache.WithExpireAfter(httpcache.After(time.Hour)))
	defer t.Close()
	client := t.Client()

	for range 2 {
		resp, err := client.Get(origin.URL)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body), httpcache.CacheStatus(resp))
	}
	// Output:
	// hello miss
	// hello hit
}
