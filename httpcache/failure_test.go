package httpcache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

// TestCorruptEntries: bytes that do not decode, and entries of another
// format version, are misses; they are deleted and the hook hears of
// each, as kv.ErrCorrupt.
func TestCorruptEntries(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, b []byte) []byte
	}{
		{"garbage", func(*testing.T, []byte) []byte { return []byte("\xff\x00not cbor") }},
		{"truncated", func(_ *testing.T, b []byte) []byte { return b[:len(b)/2] }},
		{"old version", func(t *testing.T, b []byte) []byte {
			codec := kv.CBOR[*httpcache.Response]()
			r, err := codec.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			r.Version = httpcache.FormatVersion + 1
			out, err := codec.Encode(r)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			var hits atomic.Int64
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Cache-Control", "max-age=600")
				fmt.Fprint(w, "body")
			}))
			defer origin.Close()
			raw := memory.New[string, []byte]()
			var (
				mu   sync.Mutex
				errs []error
			)
			tr := httpcache.NewFromStores(raw, nil, httpcache.WithErrorHook(func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }))
			defer tr.Close()
			get := func() httpcache.Status {
				resp, err := tr.Client().Get(origin.URL)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return httpcache.CacheStatus(resp)
			}
			get()
			if got := get(); got != httpcache.Hit {
				t.Fatalf("before damage: %s", got)
			}
			for e, err := range raw.All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				if err := raw.Set(ctx, e.Key, c.damage(t, e.Value)); err != nil {
					t.Fatal(err)
				}
			}
			if got := get(); got != httpcache.Miss {
				t.Fatalf("damaged entry: %s, want miss", got)
			}
			if got := get(); got != httpcache.Hit {
				t.Fatalf("after the miss stored it again: %s, want hit", got)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(errs) != 1 || !errors.Is(errs[0], kv.ErrCorrupt) {
				t.Fatalf("hook got %v; want one kv.ErrCorrupt report", errs)
			}
		})
	}
}

// slowStore is a memory store whose Get blocks until its context ends, as
// a stuck network store would.
type slowStore struct {
	*memory.Store[string, *httpcache.Response]
}

func (s slowStore) Get(ctx context.Context, key string) (*httpcache.Response, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestStoreTimeout(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprint(w, "body")
	}))
	defer origin.Close()
	m := memory.New[string, *httpcache.Response]()
	defer m.Close()
	var timeouts atomic.Int64
	tr := httpcache.New(slowStore{m}, nil, httpcache.WithStoreTimeout(50*time.Millisecond),
		httpcache.WithErrorHook(func(err error) {
			if errors.Is(err, context.DeadlineExceeded) {
				timeouts.Add(1)
			}
		}))
	defer tr.Close()
	start := time.Now()
	resp, err := tr.Client().Get(origin.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || time.Since(start) > 5*time.Second {
		t.Fatalf("status %d after %v", resp.StatusCode, time.Since(start))
	}
	if timeouts.Load() == 0 {
		t.Fatal("the hook heard of no timeout")
	}
}

// TestBodyErrorPassesThrough: a body that fails part way reaches the
// caller as a read error, and nothing is stored.
func TestBodyErrorPassesThrough(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Content-Length", "100")
		fmt.Fprint(w, "only part") // then the handler returns: the connection is cut short
	}))
	defer origin.Close()
	tr := httpcache.NewMemory()
	defer tr.Close()
	for i := range 2 {
		resp, err := tr.Client().Get(origin.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil || httpcache.CacheStatus(resp) != httpcache.Miss {
			t.Fatalf("request %d: %s, read error %v; want miss and an error", i, httpcache.CacheStatus(resp), err)
		}
	}
}

// TestLogger: store errors are logged at Warn level when a logger is set.
func TestLogger(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprint(w, "body")
	}))
	defer origin.Close()
	m := memory.New[string, *httpcache.Response]()
	m.Close() // every call fails with kv.ErrClosed
	var buf syncBuffer
	tr := httpcache.New(m, nil, httpcache.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	defer tr.Close()
	resp, err := tr.Client().Get(origin.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if out := buf.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "store closed") {
		t.Fatalf("log output %q, want a warning naming the closed store", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
