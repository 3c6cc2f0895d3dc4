package httpcache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

// stuckStore is a memory store whose Get, Set and Delete do not answer:
//
//   - "hang": they block until the test ends, whatever their context says;
//   - "ignore": they ignore their context and answer after delay;
//   - "never": they wait for their context to end (a server that never
//     answers, reached through a client that honours deadlines).
type stuckStore[V any] struct {
	*memory.Store[string, V]
	mode    string
	delay   time.Duration
	release chan struct{}
	calls   atomic.Int64
}

func newStuckStore[V any](t *testing.T, mode string, delay time.Duration) *stuckStore[V] {
	m := memory.New[string, V](memory.WithSweepInterval(0))
	s := &stuckStore[V]{Store: m, mode: mode, delay: delay, release: make(chan struct{})}
	t.Cleanup(func() { close(s.release); m.Close() })
	return s
}

func (s *stuckStore[V]) stall(ctx context.Context) error {
	s.calls.Add(1)
	switch s.mode {
	case "hang":
		<-s.release
		return errors.New("released at the end of the test")
	case "ignore":
		select {
		case <-time.After(s.delay):
		case <-s.release:
		}
		return nil
	default:
		<-ctx.Done()
		return ctx.Err()
	}
}

func (s *stuckStore[V]) Get(ctx context.Context, key string) (V, error) {
	if err := s.stall(ctx); err != nil {
		var zero V
		return zero, err
	}
	return s.Store.Get(ctx, key)
}

func (s *stuckStore[V]) Set(ctx context.Context, key string, v V, opts ...kv.SetOption) error {
	if err := s.stall(ctx); err != nil {
		return err
	}
	return s.Store.Set(ctx, key, v, opts...)
}

func (s *stuckStore[V]) Delete(ctx context.Context, key string) error {
	if err := s.stall(ctx); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

// slack is what a request may take beyond its bound on a loaded machine
// under the race detector.
const slack = 300 * time.Millisecond

// timedGet GETs url through tr and fails t when the answer takes longer
// than bound (the request is then left running: a hung request must not
// hang the test). It returns how long the request took.
func timedGet(t *testing.T, tr http.RoundTripper, url string, bound time.Duration) time.Duration {
	t.Helper()
	type answer struct {
		code int
		err  error
	}
	done := make(chan answer, 1)
	start := time.Now()
	go func() {
		resp, err := (&http.Client{Transport: tr}).Get(url)
		if err != nil {
			done <- answer{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- answer{code: resp.StatusCode}
	}()
	select {
	case a := <-done:
		took := time.Since(start)
		if a.err != nil || a.code != http.StatusOK {
			t.Errorf("GET %s: %d, %v; want 200 from the origin", url, a.code, a.err)
		}
		if took > bound {
			t.Errorf("GET %s took %v, want at most %v", url, took, bound)
		}
		return took
	case <-time.After(bound):
		t.Errorf("GET %s: no answer within %v", url, bound)
		return bound
	}
}

// slowOrigin answers every GET after delay, cacheable for a minute.
func slowOrigin(t *testing.T, delay time.Duration) *httptest.Server {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, "body of "+r.URL.Path)
	}))
	t.Cleanup(origin.Close)
	return origin
}

// TestStoreWaitBounded: whatever the stores do (hang, ignore their
// context, never answer), every request completes within one store
// timeout plus the origin's time, with the default options and with
// custom timeouts and breakers (the breaker off included: then every
// request calls the stores, and each still waits one timeout at most in
// all). The abandoned calls are reported as timeouts.
func TestStoreWaitBounded(t *testing.T) {
	const originDelay = 50 * time.Millisecond
	for _, mode := range []string{"hang", "ignore", "never"} {
		for _, c := range []struct {
			name    string
			timeout time.Duration
			opts    []httpcache.Option
		}{
			{"defaults", httpcache.DefaultStoreTimeout, nil},
			{"timeout 100ms", 100 * time.Millisecond, []httpcache.Option{httpcache.WithStoreTimeout(100 * time.Millisecond)}},
			{"timeout 100ms, breaker off", 100 * time.Millisecond, []httpcache.Option{httpcache.WithStoreTimeout(100 * time.Millisecond), httpcache.WithStoreBreaker(0, 0)}},
			{"timeout 200ms, breaker 50ms", 200 * time.Millisecond, []httpcache.Option{httpcache.WithStoreTimeout(200 * time.Millisecond), httpcache.WithStoreBreaker(50*time.Millisecond, 100*time.Millisecond)}},
		} {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				origin := slowOrigin(t, originDelay)
				resp := newStuckStore[*httpcache.Response](t, mode, 10*time.Second)
				redir := newStuckStore[string](t, mode, 10*time.Second)
				var timeouts atomic.Int64
				opts := append([]httpcache.Option{httpcache.WithErrorHook(func(err error) {
					if errors.Is(err, context.DeadlineExceeded) {
						timeouts.Add(1)
					}
				})}, c.opts...)
				tr := httpcache.New(resp, redir, opts...)
				defer tr.Close()
				bound := c.timeout + originDelay + slack
				for i := range 3 {
					timedGet(t, tr, fmt.Sprintf("%s/%d", origin.URL, i%2), bound)
				}
				if timeouts.Load() == 0 {
					t.Error("no store timeout was reported")
				}
			})
		}
	}
}

// TestConsecutiveRequestsNeverAnsweringStore: 8 requests in a row
// against a store that never answers (its calls end only with their
// context) each wait one store timeout at most, with the defaults (the
// breaker on) and with a custom timeout and the breaker off.
func TestConsecutiveRequestsNeverAnsweringStore(t *testing.T) {
	for _, c := range []struct {
		name    string
		timeout time.Duration
		opts    []httpcache.Option
	}{
		{"defaults", httpcache.DefaultStoreTimeout, nil},
		{"timeout 150ms, breaker off", 150 * time.Millisecond, []httpcache.Option{httpcache.WithStoreTimeout(150 * time.Millisecond), httpcache.WithStoreBreaker(0, 0)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			origin := slowOrigin(t, 0)
			resp := newStuckStore[*httpcache.Response](t, "never", 0)
			redir := newStuckStore[string](t, "never", 0)
			tr := httpcache.New(resp, redir, c.opts...)
			defer tr.Close()
			var took []time.Duration
			for i := range 8 {
				took = append(took, timedGet(t, tr, fmt.Sprintf("%s/%d", origin.URL, i), c.timeout+slack))
			}
			t.Logf("8 GETs took %v", took)
		})
	}
}
