package storekit

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/kvkit/kv"
)

// Lifecycle is the closed state of a store whose Close does not wait for
// calls under way (a network store: the client fails the calls it
// interrupts). The zero Lifecycle is open. It is safe for concurrent use.
type Lifecycle struct {
	closed atomic.Bool
}

// Begin returns the error a call must fail with before doing any work:
// kv.ErrClosed after Close, else ctx.Err() (nil when the call may go on).
func (l *Lifecycle) Begin(ctx context.Context) error {
	if l.closed.Load() {
		return kv.ErrClosed
	}
	return ctx.Err()
}

// Close marks the store closed. It reports whether this call closed it,
// so that only the first Close releases what the store owns.
func (l *Lifecycle) Close() bool { return !l.closed.Swap(true) }

// Closed reports whether Close has been called.
func (l *Lifecycle) Closed() bool { return l.closed.Load() }

// Gate is a Lifecycle whose Close waits for the calls under way, for a
// store that must not release its resources (a file, a database handle)
// under a running call. Every call that Begin lets through holds the gate
// shared until End. The zero Gate is open. It is safe for concurrent use.
type Gate struct {
	life Lifecycle
	mu   sync.RWMutex
}

// Begin is Lifecycle.Begin for a Gate: on nil the call holds the gate
// shared and must call End; on an error it holds nothing.
func (g *Gate) Begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g.mu.RLock()
	if g.life.Closed() {
		g.mu.RUnlock()
		return kv.ErrClosed
	}
	return nil
}

// End ends a call that Begin let through.
func (g *Gate) End() { g.mu.RUnlock() }

// BeginExclusive is Begin for a call that must run alone (no other call
// under way); on nil the caller must call EndExclusive.
func (g *Gate) BeginExclusive(ctx context.Context) error {
	g.mu.Lock()
	if g.life.Closed() {
		g.mu.Unlock()
		return kv.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		g.mu.Unlock()
		return err
	}
	return nil
}

// EndExclusive ends a call that BeginExclusive let through.
func (g *Gate) EndExclusive() { g.mu.Unlock() }

// Close marks the store closed, so that no new call starts, and waits
// for the calls under way to End. It reports whether this call closed
// it; a later Close returns false at once.
func (g *Gate) Close() bool {
	if !g.life.Close() {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return true
}

// Closed reports whether Close has been called. A long call (an
// iteration) checks it between steps.
func (g *Gate) Closed() bool { return g.life.Closed() }
