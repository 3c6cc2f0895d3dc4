package httpcache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// flight makes concurrent identical fetches reach the origin once: the
// first caller of a key leads (fetches), the others follow (wait for its
// result). Unlike x/sync/singleflight, a follower stops waiting when its
// own context is done, and the result carries a response that each
// follower turns into its own *http.Response (with its own body reader).
type flight struct {
	mu    sync.Mutex
	calls map[string]*call
}

// call is one fetch in flight.
type call struct {
	done      chan struct{}
	res       flightResult
	followers atomic.Int32
}

// flightResult is what followers get: entry is nil when the response
// could not be shared (too large to buffer, or not to be shared in this
// cache's mode), and then each follower fetches for itself. transient
// marks an entry that is not stored (an uncacheable answer shared in a
// private cache).
type flightResult struct {
	entry     *Response
	status    Status
	transient bool
}

// join returns the call in flight for key and false, or a new call that
// the caller leads and true; the leader ends it with finish.
func (f *flight) join(key string) (*call, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.calls[key]; ok {
		c.followers.Add(1)
		return c, false
	}
	if f.calls == nil {
		f.calls = make(map[string]*call)
	}
	c := &call{done: make(chan struct{})}
	f.calls[key] = c
	return c, true
}

// finish ends c, the call of key, with res.
func (f *flight) finish(key string, c *call, res flightResult) {
	f.mu.Lock()
	delete(f.calls, key)
	f.mu.Unlock()
	c.res = res
	close(c.done)
}

// wait returns c's result once its leader has finished, or ctx's error
// when ctx ends first.
func (c *call) wait(ctx context.Context) (flightResult, error) {
	select {
	case <-c.done:
		return c.res, nil
	case <-ctx.Done():
		return flightResult{}, ctx.Err()
	}
}

// followed reports whether requests wait for c.
func (c *call) followed() bool { return c.followers.Load() > 0 }

// uncacheableFor is how long a key stays marked after the origin answered
// it with a response that is neither stored nor shared.
const uncacheableFor = 2 * time.Second

// maxMarks bounds the marks kept at once.
const maxMarks = 4096

// marks remembers, for a short while and in memory only, the keys the
// origin answered uncacheably: identical requests for them go straight to
// the origin instead of queueing behind one another for an answer that
// will not be shared. A cacheable answer clears the mark.
type marks struct {
	mu sync.Mutex
	m  map[string]time.Time // key → end of the mark
}

func (m *marks) mark(key string) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[string]time.Time)
	}
	if len(m.m) >= maxMarks {
		for k, end := range m.m {
			if !now.Before(end) {
				delete(m.m, k)
			}
		}
		if len(m.m) >= maxMarks {
			clear(m.m)
		}
	}
	m.m[key] = now.Add(uncacheableFor)
}

func (m *marks) has(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	end, ok := m.m[key]
	if ok && !time.Now().Before(end) {
		delete(m.m, key)
		return false
	}
	return ok
}

func (m *marks) clear(key string) {
	m.mu.Lock()
	if m.m != nil {
		delete(m.m, key)
	}
	m.mu.Unlock()
}
