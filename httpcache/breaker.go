package httpcache

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// breaker stops calls to a store that is failing, so that requests do not
// each wait for a store timeout while it is down (WithStoreBreaker).
//
// Closed, every call goes through. A call that fails (see
// guarded.settle for what counts) opens it for a backoff period, in
// which calls are skipped and requests go to the origin. The first call
// after the period is a probe, and the only call until it ends: success
// closes the breaker, failure opens it again for twice the period, up to
// the maximum.
//
// While closed, allow costs one atomic load, and answered nothing for a
// call that was not a probe, so the hit path pays nothing measurable.
type breaker struct {
	name     string // "responses" or "redirects", for reports
	min, max time.Duration

	// state is odd while the breaker is open. Every transition adds one,
	// so a call's ticket tells whether the breaker changed since the call
	// was let through: a call that started before the last transition
	// neither trips the breaker again nor reports.
	state atomic.Uint64

	mu       sync.Mutex // guards the rest, and every change of state
	backoff  time.Duration
	until    time.Time // no probe before this
	probing  bool
	openedAt time.Time
}

// ticket is what allow hands to a call, to give back to answered,
// abandoned or failed.
type ticket struct {
	state uint64
	probe bool
}

// newBreaker returns a breaker whose backoff starts at lo and doubles up
// to hi; nil (no breaker) when lo <= 0.
func newBreaker(name string, lo, hi time.Duration) *breaker {
	if lo <= 0 {
		return nil
	}
	return &breaker{name: name, min: lo, max: max(hi, lo)}
}

// allow reports whether a call may go to the store. A nil breaker lets
// every call through.
func (b *breaker) allow() (ticket, bool) {
	if b == nil {
		return ticket{}, true
	}
	if s := b.state.Load(); s&1 == 0 {
		return ticket{state: s}, true
	}
	return b.allowOpen()
}

// openState is 1 while b is open, else 0 (also for a nil breaker), for
// the breaker state gauge.
func (b *breaker) openState() int64 {
	if b == nil {
		return 0
	}
	return int64(b.state.Load() & 1)
}

// allowOpen lets one probe through once the backoff period is over.
func (b *breaker) allowOpen() (ticket, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state.Load()
	if s&1 == 0 {
		return ticket{state: s}, true // closed meanwhile
	}
	if b.probing || time.Now().Before(b.until) {
		return ticket{}, false
	}
	b.probing = true
	return ticket{state: s, probe: true}, true
}

// answered records a call that the store answered (a miss or a corrupt
// entry included). It reports, when the call was a probe, how long the
// store was skipped; zero otherwise.
func (b *breaker) answered(tk ticket) time.Duration {
	if !tk.probe {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	b.backoff = 0
	b.state.Add(1) // closed
	return max(time.Since(b.openedAt), time.Nanosecond)
}

// abandoned records a call that ended without an answer for reasons of
// the caller's (its context ended): it says nothing about the store.
func (b *breaker) abandoned(tk ticket) {
	if !tk.probe {
		return
	}
	b.mu.Lock()
	b.probing = false // the next call probes
	b.mu.Unlock()
}

// failed records a failed call. It returns true, and how long the store
// will be skipped, when the failure opens the breaker (the first failure
// since it closed, or a failed probe): that failure is to be reported,
// the others not. A nil breaker reports every failure, with period 0.
func (b *breaker) failed(tk ticket) (period time.Duration, report bool) {
	if b == nil {
		return 0, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	switch {
	case tk.probe:
		b.probing = false
		b.backoff = min(2*b.backoff, b.max)
	case tk.state&1 == 0 && b.state.Load() == tk.state:
		b.backoff = b.min
		b.openedAt = now
		b.state.Add(1) // open
	default:
		return 0, false // opened by another call, or a call from before
	}
	period = jitter(b.backoff)
	b.until = now.Add(period)
	return period, true
}

// jitter returns d less up to a fifth of it, at random, so that
// Transports (in several processes, say) that saw a store fail at the
// same moment do not all probe it at the same moment.
func jitter(d time.Duration) time.Duration {
	if d < 5 {
		return d
	}
	return d - rand.N(d/5)
}
