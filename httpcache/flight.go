package httpcache

import (
	"context"
	"sync"
)

// flight makes concurrent identical fetches reach the origin once: the
// first caller of a key runs the fetch, the others wait for its result.
// Unlike x/sync/singleflight, a waiter stops waiting when its own context
// is done, and the result carries a stored response that each waiter
// turns into its own *http.Response (with its own body reader).
type flight struct {
	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	done chan struct{}
	res  flightResult
}

// flightResult is what waiters get: entry is nil when the response could
// not be shared (not stored, or too large to buffer), and then each waiter
// fetches for itself.
type flightResult struct {
	entry  *Response
	status Status
}

// do runs fn as the leader of key, or waits for the running leader. It
// returns the result and whether this caller was the leader; err is set
// only when ctx ended while waiting.
func (f *flight) do(ctx context.Context, key string, fn func() flightResult) (flightResult, bool, error) {
	f.mu.Lock()
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.res, false, nil
		case <-ctx.Done():
			return flightResult{}, false, ctx.Err()
		}
	}
	if f.calls == nil {
		f.calls = make(map[string]*call)
	}
	c := &call{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.res = fn()
	return c.res, true, nil
}
